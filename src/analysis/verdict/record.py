"""The :class:`Verdict`: label, title, sentences, numbers, qualifier and checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from analysis import wording


@dataclass
class Verdict:
    """A verdict: its label, the title in plain words, three sentences and the numbers."""

    label: str
    title: str
    headline: str
    supporting: str
    caveat: str
    when_we_will_know: str
    reasons: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    criteria: dict = field(default_factory=dict)
    #: Caveats computed from this run's data (trend extrapolation, where the data end).
    data_caveats: list[str] = field(default_factory=list)
    #: For a significant verdict the checks do not confirm: one sentence, and its reasons.
    qualifier: str = ""
    qualifier_reasons: list[str] = field(default_factory=list)
    #: The robustness checks (name -> True, False or None when it could not be made).
    checks: dict = field(default_factory=dict)
    #: What would settle the question, when this design cannot.
    what_would_help: str = ""
    #: The checks in one plain sentence (comparison cities, placebo dates, before/after).
    robustness_summary: str = ""
    #: Monitoring mode: the label this month's plain 95% rule alone would give, and the
    #: monitoring state (look, boundary, nominal level, crossing); empty otherwise.
    per_look_label: str = ""
    monitoring: dict = field(default_factory=dict)

    @property
    def robust(self) -> bool:
        """A significant verdict every check confirms."""
        return self.label.startswith("significant") and not self.qualifier

    @property
    def sentences(self) -> list[str]:
        return [self.headline, self.supporting, self.caveat]

    def readable(self) -> list[tuple[str, str]]:
        """The numbers behind the verdict as (what, value) pairs a non-specialist can read."""
        n = self.numbers
        c = self.criteria
        level = wording.level(n["confidence_level"])
        rows = [
            ("Verdict", self.title),
            ("Change against the projection", wording.percent(n["rate_ratio"] - 1, signed=True)),
            (
                f"{level} {n['interval']} interval of the change",
                f"{wording.percent(n['rate_ratio_lower'] - 1, signed=True)} to "
                f"{wording.percent(n['rate_ratio_upper'] - 1, signed=True)}",
            ),
            (
                "Chance of a difference this large with no real change",
                wording.p_value(n["p_value"]),
            ),
            (
                "Homicides above (+) or below (−) the projection, in total",
                f"{wording.count(n['cumulative_difference'])} ("
                f"{wording.count(n['cumulative_difference_lower'])} to "
                f"{wording.count(n['cumulative_difference_upper'])})",
            ),
            ("Months of data before", str(n["n_pre_months"])),
            (
                "Months of data since",
                f"{n['n_post_months']} (at least {c['min_post_months']} needed)",
            ),
            ("Data through", wording.month(n["last_month"] + "-01")),
        ]
        if n.get("power_now") is not None:
            rows.append(
                (
                    f"Chance now of detecting a {wording.percent(c['effect_that_matters'])} drop",
                    f"{wording.percent(n['power_now'])} (target "
                    f"{wording.percent(c['target_power'])})",
                )
            )
        if n.get("mde_now") is not None:
            rows.append(("Smallest drop detectable now", wording.percent(n["mde_now"])))
        if n.get("comparative_rate_ratio") is not None:
            rows.append(
                (
                    "Change against comparison cities",
                    f"{wording.percent(n['comparative_rate_ratio'] - 1, signed=True)} ("
                    f"{wording.percent(n['comparative_lower'] - 1, signed=True)} to "
                    f"{wording.percent(n['comparative_upper'] - 1, signed=True)})",
                )
            )
        if n.get("placebo_false_alarm_rate") is not None:
            rows.append(
                (
                    "Fake start dates at which the simple rule saw a change",
                    f"{wording.percent(n['placebo_false_alarm_rate'])} of {n['placebo_dates']}",
                )
            )
        if self.qualifier:
            rows.append(("Robustness", self.qualifier))
        return rows

    @property
    def subtitle(self) -> str:
        """Under the title: the number that supports the verdict (the estimate with its
        interval; after the reason, when the verdict is not about the estimate), and the
        qualifier when there is one."""
        if self.label.startswith("significant"):
            return f"{self.headline} {self.qualifier}".strip()
        return f"{self.headline} {self.supporting}"

    def to_dict(self) -> dict:
        return asdict(self)
