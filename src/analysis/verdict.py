"""Stage 8, verdict: from the primary fit, its power and the robustness checks to one
plain answer.

The primary estimate is the rate ratio over the pre-declared evaluation window (the first
``window_months`` post months, see :mod:`analysis.core`). The *planning horizon* is that
window (the whole ``max_post_months`` when no window is declared). The rule
(:func:`decide_label`), applied in this order:

1. fewer than ``min_post_months`` complete post-intervention months: **too_early** ("still
   really early to tell": more data will tell, and the report says about when) if power
   for the change that matters reaches ``target_power`` within the planning horizon, else
   **cannot_tell** ("this design cannot tell": waiting for more months of this city alone
   will not settle it; the report says what would help);
2. the interval of the primary effect excludes 1: **significant_drop** (upper bound below
   1) or **significant_rise** (lower bound above 1). Said without a qualifier only when the
   robustness checks agree (:mod:`analysis.robustness.checks`: the comparison cities, the
   placebo dates, the trend); otherwise the verdict carries a qualifier with its reasons;
3. the interval includes 1 (a bound equal to 1 counts as including it), and the study had
   at least ``target_power`` to detect a change of ``effect_that_matters``:
   **no_detectable_change**;
4. otherwise **too_early** while the planning horizon still holds enough power, else
   **cannot_tell**.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from analysis import config, wording
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.monitoring import Monitor
from analysis.power import PowerAnalysis
from analysis.robustness import Robustness

LABELS = (
    "significant_drop",
    "significant_rise",
    "no_detectable_change",
    "too_early",
    "cannot_tell",
)

#: Title templates; ``{after}`` and ``{since}`` take the intervention's words
#: (:class:`analysis.interventions.Intervention`), e.g. "after the CHP partnership began".
TITLES = {
    "significant_drop": "Homicides dropped {after}",
    "significant_rise": "Homicides rose {after}",
    "no_detectable_change": "No detectable change in homicides {since}",
    "too_early": "Still really early to tell whether homicides changed",
    "cannot_tell": "This analysis cannot tell whether homicides changed {since}",
}
#: Titles of a significant verdict the robustness checks do not confirm.
QUALIFIED_TITLES = {
    "significant_drop": "Homicides dropped {after}, but the checks do not confirm the drop",
    "significant_rise": "Homicides rose {after}, but the checks do not confirm the rise",
}


def title(label: str, intervention: Intervention, *, qualified: bool = False) -> str:
    """The verdict's title in plain words for ``intervention``."""
    template = QUALIFIED_TITLES[label] if qualified else TITLES[label]
    return template.format(after=intervention.after, since=intervention.since)


def months(n: int) -> str:
    """'1 month', '3 months'."""
    return wording.plural(n, "month")


def decide_label(
    n_post: int,
    lower: float,
    upper: float,
    power_now: float | None,
    *,
    min_post_months: int = config.MIN_POST_MONTHS,
    target_power: float = config.TARGET_POWER,
    power_plan: float | None = None,
    plan_months: int | None = None,
) -> tuple[str, list[str]]:
    """The verdict label and the reasons for it, from the numbers alone.

    ``power_plan``: power for the change that matters at the end of the planning horizon
    (``plan_months``); None (not computed) is read as enough, so "too_early" is said."""
    reasons: list[str] = []
    horizon_ok = power_plan is None or power_plan >= target_power
    plan = f"{plan_months} months" if plan_months else "the planning horizon"
    plan_reason = (
        f"power for the change that matters {'reaches' if horizon_ok else 'stays at'} "
        f"{wording.percent(power_plan) if power_plan is not None else 'unknown'} after {plan} "
        f"(target {target_power:.0%})"
    )
    wait_label = "too_early" if horizon_ok else "cannot_tell"
    if n_post < min_post_months:
        reasons.append(
            f"only {months(n_post)} complete since the intervention; the minimum is "
            f"{min_post_months}"
        )
        reasons.append(plan_reason)
        return wait_label, reasons
    reasons.append(f"{n_post} complete months since the intervention (minimum {min_post_months})")
    if upper < 1.0:
        reasons.append(f"the interval of the rate ratio ({lower:.2f} to {upper:.2f}) is below 1")
        return "significant_drop", reasons
    if lower > 1.0:
        reasons.append(f"the interval of the rate ratio ({lower:.2f} to {upper:.2f}) is above 1")
        return "significant_rise", reasons
    reasons.append(f"the interval of the rate ratio ({lower:.2f} to {upper:.2f}) includes 1")
    if power_now is not None and power_now >= target_power:
        reasons.append(
            f"the study had {power_now:.0%} power (at least {target_power:.0%}) to detect the "
            "change that matters"
        )
        return "no_detectable_change", reasons
    shown = "unknown" if power_now is None else f"{power_now:.0%}"
    reasons.append(
        f"the study had {shown} power (needs {target_power:.0%}) to detect the change that matters"
    )
    if plan_months is not None and n_post >= plan_months:
        horizon_ok, wait_label = False, "cannot_tell"
    reasons.append(plan_reason)
    return wait_label, reasons


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


def _month_after(month: pd.Timestamp, n: int) -> str:
    return f"{(month + pd.DateOffset(months=n)):%B %Y}"


def decide(
    result: ITSResult,
    power: PowerAnalysis | None,
    *,
    place: str = "the city",
    intervention: Intervention | None = None,
    min_post_months: int = config.MIN_POST_MONTHS,
    target_power: float = config.TARGET_POWER,
    as_of: str | None = None,
    window_months: int | None = None,
    robustness: Robustness | None = None,
    data_through: pd.Timestamp | None = None,
    monitor: Monitor | None = None,
) -> Verdict:
    """The verdict for ``result`` (the primary fit over the evaluation window of
    ``window_months``), with sentences written from its numbers and, for a significant
    change, the robustness checks' qualifier."""
    intervention = intervention or Intervention(start=result.spec.intervention)
    rr = result.rate_ratio
    power_now = power.power_now if power is not None else None
    plan_months = window_months or (power.max_post_months if power is not None else None)
    power_plan = None
    if power is not None and plan_months in power.horizons:
        power_plan = power.at(plan_months)
    label, reasons = decide_label(
        result.n_post,
        rr["lower"],
        rr["upper"],
        power_now,
        min_post_months=min_post_months,
        target_power=target_power,
        power_plan=power_plan,
        plan_months=plan_months,
    )
    per_look = label
    if monitor is not None:
        label, extra = _monitoring_label(label, monitor, result.n_post, power_now, target_power)
        reasons += extra
    level = wording.level(result.spec.confidence_level)
    pct = rr["estimate"] - 1
    cum = result.effects.loc["cumulative_difference"]
    start = wording.month(result.first_post_month)
    last = result.months[-1]
    n_post = result.n_post
    word = "lower" if pct < 0 else "higher"
    estimate_sentence = (
        f"Over the {months(n_post)} from {start} to {wording.month(last)}"
        f"{' (the evaluation window)' if window_months and n_post == window_months else ''}"
        f", homicides in "
        f"{place} were {wording.percent(abs(pct))} {word} than the trend "
        f"{intervention.before} predicts ({level} {rr['interval']} interval: "
        f"{wording.percent(rr['lower'] - 1, signed=True)} to "
        f"{wording.percent(rr['upper'] - 1, signed=True)}), "
        f"{_total(cum['estimate'], cum['lower'], cum['upper'])}."
    )
    matters = power.effect_that_matters if power else config.EFFECT_THAT_MATTERS
    if label == "significant_drop" or label == "significant_rise":
        headline = estimate_sentence
        supporting = (
            f"The {level} interval excludes no change ({wording.p_value(rr['p_value'])}); "
            f"{months(n_post)} of data are in, at least the {min_post_months} the verdict needs."
        )
    elif label == "no_detectable_change":
        headline = (
            f"No change in homicides in {place} can be detected over the {months(n_post)} "
            f"since {start}, although a {wording.percent(matters)} drop would have been "
            f"detected {wording.percent(power_now)} of the time."
        )
        supporting = estimate_sentence
    elif label == "cannot_tell":
        headline = (
            f"Even with {months(plan_months)} of data {intervention.since}, a "
            f"{wording.percent(matters)} drop in homicides in {place} would be detected only "
            f"{wording.percent(power_plan if power_plan is not None else power_now)} of the "
            "time: more months of this city's own data cannot settle the question."
        )
        supporting = estimate_sentence
    else:
        if n_post < min_post_months:
            headline = (
                f"Only {months(n_post)} of data {intervention.since} in {start}: "
                f"too few to tell (at least {min_post_months} are needed)."
            )
        elif power_now is None:
            headline = (
                f"The data {intervention.since} cannot yet tell a real change from chance "
                "(power was not computed)."
            )
        else:
            headline = (
                f"The data since {start} cannot yet tell a real change from chance: a "
                f"{wording.percent(matters)} drop would be detected only "
                f"{wording.percent(power_now)} of the time."
            )
        supporting = estimate_sentence
    caveat = (
        "The comparison is with a projection of the trend and seasonal pattern "
        f"{intervention.before}; anything else that changed at the same time (other "
        "programmes, policing, the economy) could also explain a difference."
    )
    when = _when_sentence(power, result.first_post_month, n_post, min_post_months)
    help_text = ""
    if label.startswith("significant") and power_plan is not None and power_plan < target_power:
        when = (
            f"With {place}'s own data a {wording.percent(matters)} change would be detected "
            f"only {wording.percent(power_plan)} of the time over {months(plan_months)}: only "
            "large changes, like this one, can be seen."
        )
    if label == "cannot_tell":
        help_text = _what_would_help(power, plan_months, robustness)
        when = help_text
    qualifier, qualifier_reasons, checks = _qualify(label, robustness, place)
    numbers = {
        "rate_ratio": rr["estimate"],
        "rate_ratio_lower": rr["lower"],
        "rate_ratio_upper": rr["upper"],
        "p_value": rr["p_value"],
        "interval": rr["interval"],
        "confidence_level": result.spec.confidence_level,
        "relative_change_percent": pct * 100,
        "cumulative_difference": float(cum["estimate"]),
        "cumulative_difference_lower": float(cum["lower"]),
        "cumulative_difference_upper": float(cum["upper"]),
        "n_pre_months": result.n_pre,
        "n_post_months": n_post,
        "first_post_month": f"{result.first_post_month:%Y-%m}",
        "last_month": f"{last:%Y-%m}",
        "power_now": power_now,
        "mde_now": power.mde_now if power else None,
        "months_to_know_effect_that_matters": _at_least(
            power.months_to_know_matters if power else None, min_post_months - n_post
        ),
        "window_months": window_months,
        "power_at_window": power_plan,
        **_robust_numbers(robustness),
    }
    criteria = {
        "min_post_months": min_post_months,
        "effect_that_matters": matters,
        "target_power": target_power,
        "primary_effect": (
            "rate ratio over the evaluation window (average_relative_effect + 1)"
            if window_months
            else "post-period rate ratio (average_relative_effect + 1)"
        ),
        "window_months": window_months,
    }
    return Verdict(
        data_caveats=data_caveats(
            result, as_of=as_of, intervention=intervention, data_through=data_through
        ),
        label=label,
        title=title(label, intervention, qualified=bool(qualifier)),
        headline=headline,
        supporting=supporting,
        caveat=caveat,
        when_we_will_know=when,
        reasons=reasons,
        numbers=numbers,
        criteria=criteria,
        qualifier=qualifier,
        qualifier_reasons=qualifier_reasons,
        checks=checks,
        what_would_help=help_text,
        robustness_summary=_summary(robustness, place, told=bool(qualifier)),
        per_look_label=per_look if monitor is not None else "",
        monitoring=monitor.to_dict() if monitor is not None else {},
    )


def _monitoring_label(
    plain: str, monitor: Monitor, n_post: int, power_now: float | None, target: float
) -> tuple[str, list[str]]:
    """The label under monitoring: significant only once a look crossed its boundary."""
    look = monitor.look
    if look.look == 0:
        return plain, ["monitoring: before the first look"]
    where = (
        f"monitoring look {look.look} of {look.looks} (horizon {look.horizon_months} months): "
        f"boundary |z| >= {look.boundary_z:.2f}, a two-sided level of {look.nominal_alpha:.2g}"
    )
    if monitor.crossed:
        word = "significant_drop" if monitor.direction < 0 else "significant_rise"
        return word, [f"{where}; crossed at {monitor.crossed_at} post months"]
    reasons = [f"{where}; not crossed (z now {monitor.z_now:.2f})"]
    if not plain.startswith("significant"):
        return plain, reasons
    if n_post < look.horizon_months:
        return "too_early", reasons + ["monitoring continues to the horizon"]
    enough = power_now is not None and power_now >= target
    return ("no_detectable_change" if enough else "cannot_tell"), reasons


def early_verdict(
    *,
    place: str,
    intervention: Intervention,
    first_post: pd.Timestamp,
    last_month: pd.Timestamp | None,
    n_pre: int,
    min_post_months: int = config.MIN_POST_MONTHS,
    confidence_level: float = config.CONFIDENCE_LEVEL,
) -> Verdict:
    """ "Too early" when not one month after the start is complete yet (no model is fitted)."""
    through = f"{last_month:%B %Y}" if last_month is not None else "no complete month"
    needed = _month_after(first_post, min_post_months - 1)
    return Verdict(
        label="too_early",
        title=title("too_early", intervention),
        headline=(
            f"No month {intervention.since} is complete yet in the data for {place}: they run "
            f"to {through}, and the first month after the start is {first_post:%B %Y}."
        ),
        supporting=(
            f"The verdict needs at least {min_post_months} complete months after the start; "
            "nothing has been estimated."
        ),
        caveat="Homicide counts of a few weeks say nothing reliable about a change.",
        when_we_will_know=(
            f"The first verdict can be given once the data run through {needed}; whether it "
            "can then tell a change from chance depends on its size (the first run with data "
            "says how likely it is to be detected)."
        ),
        reasons=[f"no complete month since {first_post:%B %Y}; the minimum is {min_post_months}"],
        numbers={
            "rate_ratio": None,
            "rate_ratio_lower": None,
            "rate_ratio_upper": None,
            "p_value": None,
            "interval": "confidence",
            "confidence_level": confidence_level,
            "cumulative_difference": None,
            "n_pre_months": n_pre,
            "n_post_months": 0,
            "first_post_month": f"{first_post:%Y-%m}",
            "last_month": f"{last_month:%Y-%m}" if last_month is not None else None,
            "power_now": None,
        },
        criteria={
            "min_post_months": min_post_months,
            "effect_that_matters": None,
            "target_power": None,
        },
    )


#: Projection over pre-period level beyond which the briefing warns about extrapolation.
EXTRAPOLATION_WARNING_RATIO = config.EXTRAPOLATION_RATIO


def _ratio_words(estimate: float, lower: float, upper: float) -> str:
    return (
        f"{wording.percent(estimate - 1, signed=True)} ({wording.percent(lower - 1, signed=True)}"
        f" to {wording.percent(upper - 1, signed=True)})"
    )


def _qualify(label: str, rb: Robustness | None, place: str) -> tuple[str, list[str], dict]:
    """The qualifier of a significant verdict: '' when every check agrees."""
    if rb is None:
        if label.startswith("significant"):
            why = ["the robustness checks were not run"]
            return "Not checked against comparison cities or placebo dates.", why, {}
        return "", [], {}
    checks = dict(rb.checks)
    if not label.startswith("significant") or rb.unqualified:
        return "", [], checks
    reasons = []
    comp = rb.comparative
    if checks.get("comparative") is None:
        reasons.append("no comparison city was available to check it against")
    elif checks["comparative"] is False:
        row = comp.set_index("period").loc["first_year"]
        cities = ", ".join(rb.eligible_controls)
        reasons.append(
            f"it is not distinguishable from the change in comparison cities ({cities}): "
            "against them the change is "
            + _ratio_words(row["estimate"], row["lower"], row["upper"])
        )
    if checks.get("placebo") is None:
        reasons.append("the city's history is too short for placebo dates")
    elif checks["placebo"] is False:
        reasons.append(
            f"changes as large were estimated at fake start dates in {place}'s own past "
            f"(rank p = {rb.placebo_rank_p_value:.2f} among {len(rb.placebo_time)} placebo dates)"
        )
    if checks.get("trend") is False or checks.get("trend") is None:
        d = rb.damped
        reasons.append(
            "it depends on extrapolating the trend: against a trend that stops at the start the "
            f"change is {_ratio_words(d['estimate'], d['lower'], d['upper'])}"
        )
    word = "drop" if label == "significant_drop" else "rise"
    sentence = f"A {word} against {place}'s own past trend, but " + "; ".join(reasons) + "."
    return sentence, reasons, checks


def _summary(rb: Robustness | None, place: str, *, told: bool = False) -> str:
    """The checks for a reader: comparison cities (unless the qualifier ``told`` of them
    already), placebo dates, the simple comparison."""
    if rb is None:
        return "The robustness checks were not run."
    parts = []
    if rb.comparative is not None and not (told and rb.checks.get("comparative") is False):
        row = rb.comparative.set_index("period").loc["first_year"]
        parts.append(
            f"against comparison cities ({', '.join(rb.eligible_controls)}) the change is "
            + _ratio_words(row["estimate"], row["lower"], row["upper"])
        )
    elif rb.comparative is None:
        parts.append("no comparison city was eligible")
    if not rb.placebo_time.empty:
        parts.append(
            f"at {wording.percent(rb.false_alarm_plain)} of {len(rb.placebo_time)} fake start "
            f"dates in {place}'s past the simple rule would also have reported a change"
        )
    ba = rb.before_after.set_index("period")
    if "first_year" in ba.index:
        r = ba.loc["first_year"]
        parts.append(
            f"simply counted, {r['mean_before']:.1f} homicides a month in the last year before "
            f"against {r['mean_during']:.1f} a month since "
            f"({wording.plural(int(r['months']), 'month')})"
        )
    text = "Checks: " + "; ".join(parts) + "."
    return text


def _robust_numbers(rb: Robustness | None) -> dict:
    if rb is None:
        return {"robust_checks_run": False}
    out = {
        "robust_checks_run": True,
        "placebo_dates": int(len(rb.placebo_time)),
        "placebo_false_alarm_rate": _finite(rb.false_alarm_plain),
        "placebo_false_alarm_rate_unqualified": _finite(rb.false_alarm_unqualified),
        "placebo_rank_p_value": _finite(rb.placebo_rank_p_value),
        "eligible_controls": rb.eligible_controls,
        "comparative_rate_ratio": None,
        "comparative_lower": None,
        "comparative_upper": None,
        "synthetic_control_ratio": None,
        "synthetic_control_p_value": None,
        "before_mean_per_month": None,
        "window_mean_per_month": None,
    }
    ba = rb.before_after.set_index("period")
    if "first_year" in ba.index:
        out["before_mean_per_month"] = float(ba.loc["first_year", "mean_before"])
        out["window_mean_per_month"] = float(ba.loc["first_year", "mean_during"])
    if rb.comparative is not None:
        row = rb.comparative.set_index("period").loc["first_year"]
        out.update(
            comparative_rate_ratio=float(row["estimate"]),
            comparative_lower=float(row["lower"]),
            comparative_upper=float(row["upper"]),
        )
    if rb.synthetic is not None:
        sc = rb.synthetic["periods"].set_index("period")
        if "first_year" in sc.index:
            out["synthetic_control_ratio"] = float(sc.loc["first_year", "ratio"])
        out["synthetic_control_p_value"] = _finite(rb.synthetic["p_value"])
    return out


def _finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _what_would_help(power: PowerAnalysis | None, plan: int | None, rb) -> str:
    """What would settle a question this design cannot: comparison cities, a longer window,
    a larger change."""
    parts = []
    if rb is not None and rb.eligible_controls:
        parts.append(
            f"comparison with other cities ({len(rb.eligible_controls)} eligible in these data; "
            "a full download has dozens)"
        )
    else:
        parts.append("comparison cities (none eligible in these data; a full download has dozens)")
    if power is not None and power.horizons:
        longest = max(power.horizons)
        parts.append(
            f"a longer window (after {longest} months a {power.effect_that_matters:.0%} drop "
            f"would be detected {wording.percent(power.at(longest))} of the time)"
        )
        if power.mde_now is not None:
            parts.append(
                f"or a larger change (only a drop of about {wording.percent(power.mde_now)} or "
                "more is detectable with the data in now)"
            )
    return "What would help: " + ", ".join(parts) + "."


def data_caveats(
    result: ITSResult,
    *,
    as_of: str | None = None,
    intervention: Intervention | None = None,
    data_through: pd.Timestamp | None = None,
) -> list[str]:
    """Plain caveats computed from the run: how far the projection departs from the last
    pre-period year, and whether the data (through ``data_through``, by default the fit's
    last month) stop before ``as_of``."""
    intervention = intervention or Intervention(start=result.spec.intervention)
    out = []
    last_pre = result.observed[max(0, result.t0 - 12) : result.t0].mean()
    cf = result.counterfactual[result.t0 :]
    projected = cf[-12:].mean()
    if last_pre > 0 and not (
        1 / EXTRAPOLATION_WARNING_RATIO <= projected / last_pre <= EXTRAPOLATION_WARNING_RATIO
    ):
        direction = "rising" if projected > last_pre else "falling"
        out.append(
            f"The projection assumes the {direction} trend {intervention.before} would have "
            f"continued: by {result.months[-1]:%B %Y} it expects {projected:.1f} homicides a "
            f"month, against {last_pre:.1f} a month in the last year {intervention.before}. "
            "The size of the estimated change depends on that assumption."
        )
    if as_of is not None:
        expected_last = pd.Timestamp(as_of).to_period("M") - 1
        last = pd.Timestamp(data_through) if data_through is not None else result.months[-1]
        if last.to_period("M") < expected_last - 2:
            out.append(
                f"The source's records end in {last:%B %Y}; later months are not "
                "in the data, so the verdict speaks of the period up to then."
            )
    return out


def _fewer_more(x: float) -> str:
    n = round(abs(x))
    return "none" if n == 0 else f"{n:,d} {'fewer' if x < 0 else 'more'}"


def _total(estimate: float, lower: float, upper: float) -> str:
    """'about 64 fewer homicides (between 35 and 90 fewer)' or '... (between 20 fewer and 5
    more)': the running total and its interval in words."""
    n = round(abs(estimate))
    noun = "homicide" if n == 1 else "homicides"
    if n == 0:
        head = "about as many homicides as projected"
    else:
        head = f"about {n:,d} {'fewer' if estimate < 0 else 'more'} {noun}"
    lo, hi = sorted((lower, upper), key=abs)
    if round(lower) < 0 < round(upper) or round(lower) == 0 or round(upper) == 0:
        span = f"between {_fewer_more(lower)} and {_fewer_more(upper)}"
    else:
        side = "fewer" if upper < 0 else "more"
        span = f"between {round(abs(lo)):,d} and {round(abs(hi)):,d} {side}"
    return f"{head} ({span})"


def _at_least(months: int | None, floor: int) -> int | None:
    """Further months needed: the power crossing, but never before the minimum post period."""
    return None if months is None else max(months, floor, 0)


def _when_sentence(
    power: PowerAnalysis | None, first_post: pd.Timestamp, n_post: int, min_post: int
) -> str:
    """When will we know: further months until the change that matters is detectable.

    Never sooner than the minimum post period the verdict needs.
    """
    if power is None:
        return "Power was not computed for this run."
    target = f"{power.target_power:.0%}"
    floor = min_post - n_post
    parts = []
    m = _at_least(power.months_to_know_matters, floor)
    if m is None:
        parts.append(
            f"a {power.effect_that_matters:.0%} drop would not be detected with {target} power "
            f"within {power.max_post_months} months of data"
        )
    elif m == 0:
        parts.append(
            f"a {power.effect_that_matters:.0%} drop is already detectable with {target} power"
        )
    else:
        parts.append(
            f"a {power.effect_that_matters:.0%} drop would be detectable with {target} power "
            f"after about {months(m)} more (data through "
            f"{_month_after(first_post, n_post + m - 1)})"
        )
    text = "; ".join(parts)
    if floor > 0:
        text += f"; the verdict needs at least {min_post} months of data"
    return text[0].upper() + text[1:] + "."
