"""The robustness checks in the verdict: the qualifier of a significant verdict, the checks
in one sentence, and their numbers."""

from __future__ import annotations

import numpy as np

from analysis import wording
from analysis.robustness import Robustness
from analysis.verdict.words import ratio_words


def qualify(label: str, rb: Robustness | None, place: str) -> tuple[str, list[str], dict]:
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
            "against them the change is " + ratio_words(row["estimate"], row["lower"], row["upper"])
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
            f"change is {ratio_words(d['estimate'], d['lower'], d['upper'])}"
        )
    word = "drop" if label == "significant_drop" else "rise"
    sentence = f"A {word} against {place}'s own past trend, but " + "; ".join(reasons) + "."
    return sentence, reasons, checks


def checks_summary(rb: Robustness | None, place: str, *, told: bool = False) -> str:
    """The checks for a reader: comparison cities (unless the qualifier ``told`` of them
    already), placebo dates, the simple comparison."""
    if rb is None:
        return "The robustness checks were not run."
    parts = []
    if rb.comparative is not None and not (told and rb.checks.get("comparative") is False):
        row = rb.comparative.set_index("period").loc["first_year"]
        parts.append(
            f"against comparison cities ({', '.join(rb.eligible_controls)}) the change is "
            + ratio_words(row["estimate"], row["lower"], row["upper"])
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


def robust_numbers(rb: Robustness | None) -> dict:
    if rb is None:
        return {"robust_checks_run": False}
    out = {
        "robust_checks_run": True,
        "placebo_dates": int(len(rb.placebo_time)),
        "placebo_false_alarm_rate": finite(rb.false_alarm_plain),
        "placebo_false_alarm_rate_unqualified": finite(rb.false_alarm_unqualified),
        "placebo_rank_p_value": finite(rb.placebo_rank_p_value),
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
        out["synthetic_control_p_value"] = finite(rb.synthetic["p_value"])
    return out


def finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
