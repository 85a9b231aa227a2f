"""Writing a verdict: :func:`decide` from a fitted result, its power and the checks;
:func:`early_verdict` when not one month after the start is complete."""

from __future__ import annotations

import pandas as pd

from analysis import config, wording
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.monitoring import Monitor
from analysis.power import PowerAnalysis
from analysis.robustness import Robustness
from analysis.verdict.checks import checks_summary, qualify, robust_numbers
from analysis.verdict.record import Verdict
from analysis.verdict.rule import decide_label, monitoring_label, months, title
from analysis.verdict.words import (
    at_least,
    data_caveats,
    month_after,
    total_words,
    what_would_help,
    when_sentence,
)


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
        label, extra = monitoring_label(label, monitor, result.n_post, power_now, target_power)
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
        f"{total_words(cum['estimate'], cum['lower'], cum['upper'])}."
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
    when = when_sentence(power, result.first_post_month, n_post, min_post_months)
    help_text = ""
    if label.startswith("significant") and power_plan is not None and power_plan < target_power:
        when = (
            f"With {place}'s own data a {wording.percent(matters)} change would be detected "
            f"only {wording.percent(power_plan)} of the time over {months(plan_months)}: only "
            "large changes, like this one, can be seen."
        )
    if label == "cannot_tell":
        help_text = what_would_help(power, plan_months, robustness)
        when = help_text
    qualifier, qualifier_reasons, checks = qualify(label, robustness, place)
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
        "months_to_know_effect_that_matters": at_least(
            power.months_to_know_matters if power else None, min_post_months - n_post
        ),
        "window_months": window_months,
        "power_at_window": power_plan,
        **robust_numbers(robustness),
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
        robustness_summary=checks_summary(robustness, place, told=bool(qualifier)),
        per_look_label=per_look if monitor is not None else "",
        monitoring=monitor.to_dict() if monitor is not None else {},
    )


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
    needed = month_after(first_post, min_post_months - 1)
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
