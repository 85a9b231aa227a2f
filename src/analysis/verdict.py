"""Stage 6, verdict: from a fitted ITS result and its power analysis to one plain answer.

The rule (:func:`decide_label`), applied in this order:

1. fewer than ``min_post_months`` complete post-intervention months: **too_early**
   ("still really early to tell"), whatever the estimate says;
2. the interval of the primary effect (the post-period rate ratio, see
   :mod:`analysis.models`) excludes 1: **significant_drop** (upper bound below 1) or
   **significant_rise** (lower bound above 1);
3. the interval includes 1 (a bound equal to 1 counts as including it), and the study
   had at least ``target_power`` to detect a change of ``effect_that_matters``:
   **no_detectable_change**;
4. otherwise: **too_early**, the study could not yet have detected a change that matters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from analysis import config, wording
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.power import PowerAnalysis

LABELS = ("significant_drop", "significant_rise", "no_detectable_change", "too_early")

#: Title templates; ``{after}`` and ``{since}`` take the intervention's words
#: (:class:`analysis.interventions.Intervention`), e.g. "after the CHP partnership began".
TITLES = {
    "significant_drop": "Homicides dropped {after}",
    "significant_rise": "Homicides rose {after}",
    "no_detectable_change": "No detectable change in homicides {since}",
    "too_early": "Still really early to tell whether homicides changed",
}


def title(label: str, intervention: Intervention) -> str:
    """The verdict's title in plain words for ``intervention``."""
    return TITLES[label].format(after=intervention.after, since=intervention.since)


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
) -> tuple[str, list[str]]:
    """The verdict label and the reasons for it, from the numbers alone."""
    reasons: list[str] = []
    if n_post < min_post_months:
        reasons.append(
            f"only {months(n_post)} complete since the intervention; the minimum is "
            f"{min_post_months}"
        )
        return "too_early", reasons
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
    return "too_early", reasons


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
        return rows

    @property
    def subtitle(self) -> str:
        """Under the title: the number that supports the verdict (the estimate with its
        interval; after the reason, when the verdict is not about the estimate)."""
        if self.label.startswith("significant"):
            return self.headline
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
) -> Verdict:
    """The verdict for ``result``, with sentences written from its numbers."""
    intervention = intervention or Intervention(start=result.spec.intervention)
    rr = result.rate_ratio
    power_now = power.power_now if power is not None else None
    label, reasons = decide_label(
        result.n_post,
        rr["lower"],
        rr["upper"],
        power_now,
        min_post_months=min_post_months,
        target_power=target_power,
    )
    level = wording.level(result.spec.confidence_level)
    pct = rr["estimate"] - 1
    cum = result.effects.loc["cumulative_difference"]
    start = wording.month(result.first_post_month)
    last = result.months[-1]
    n_post = result.n_post
    word = "lower" if pct < 0 else "higher"
    estimate_sentence = (
        f"Over the {months(n_post)} from {start} to {wording.month(last)}, homicides in "
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
        "months_to_know_estimated_effect": _at_least(
            power.months_to_know_estimated if power else None, min_post_months - n_post
        ),
    }
    criteria = {
        "min_post_months": min_post_months,
        "effect_that_matters": matters,
        "target_power": target_power,
        "primary_effect": "post-period rate ratio (average_relative_effect + 1)",
    }
    return Verdict(
        data_caveats=data_caveats(result, as_of=as_of, intervention=intervention),
        label=label,
        title=title(label, intervention),
        headline=headline,
        supporting=supporting,
        caveat=caveat,
        when_we_will_know=when,
        reasons=reasons,
        numbers=numbers,
        criteria=criteria,
    )


#: Projection over pre-period level beyond which the briefing warns about extrapolation.
EXTRAPOLATION_WARNING_RATIO = 1.25


def data_caveats(
    result: ITSResult, *, as_of: str | None = None, intervention: Intervention | None = None
) -> list[str]:
    """Plain caveats computed from the run: how far the projection departs from the last
    pre-period year, and whether the data stop before ``as_of``."""
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
        if result.months[-1].to_period("M") < expected_last - 2:
            out.append(
                f"The source's records end in {result.months[-1]:%B %Y}; later months are not "
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
    """When will we know: further months for the change that matters and the estimated one.

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
    est = power.estimated_effect
    k = _at_least(power.months_to_know_estimated, floor)
    size = f"the {abs(est):.0%} {'drop' if est < 0 else 'rise'} estimated so far"
    if k is None:
        parts.append(f"{size} would not be, within {power.max_post_months} months")
    elif k == 0:
        parts.append(f"{size} is already detectable")
    else:
        parts.append(
            f"{size} would be after about {months(k)} more (data through "
            f"{_month_after(first_post, n_post + k - 1)})"
        )
    text = "; ".join(parts)
    if floor > 0:
        text += f"; the verdict needs at least {min_post} months of data"
    return text[0].upper() + text[1:] + "."
