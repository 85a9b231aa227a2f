"""The verdict rule: the labels, their titles, and the label from the numbers alone
(see :mod:`analysis.verdict` for the rule in words)."""

from __future__ import annotations

from analysis import config, wording
from analysis.interventions import Intervention
from analysis.monitoring import Monitor

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


def monitoring_label(
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
