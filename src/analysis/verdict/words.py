"""The verdict's numbers in words: totals, when we will know, what would help, the
caveats computed from the run's data."""

from __future__ import annotations

import pandas as pd

from analysis import config, wording
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.power import PowerAnalysis
from analysis.verdict.rule import months


def month_after(month: pd.Timestamp, n: int) -> str:
    return f"{(month + pd.DateOffset(months=n)):%B %Y}"


#: Projection over pre-period level beyond which the briefing warns about extrapolation.
EXTRAPOLATION_WARNING_RATIO = config.EXTRAPOLATION_RATIO


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


def total_words(estimate: float, lower: float, upper: float) -> str:
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


def at_least(months: int | None, floor: int) -> int | None:
    """Further months needed: the power crossing, but never before the minimum post period."""
    return None if months is None else max(months, floor, 0)


def when_sentence(
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
    m = at_least(power.months_to_know_matters, floor)
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
            f"{month_after(first_post, n_post + m - 1)})"
        )
    text = "; ".join(parts)
    if floor > 0:
        text += f"; the verdict needs at least {min_post} months of data"
    return text[0].upper() + text[1:] + "."


def what_would_help(power: PowerAnalysis | None, plan: int | None, rb) -> str:
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


def ratio_words(estimate: float, lower: float, upper: float) -> str:
    return (
        f"{wording.percent(estimate - 1, signed=True)} ({wording.percent(lower - 1, signed=True)}"
        f" to {wording.percent(upper - 1, signed=True)})"
    )
