"""The checks an unqualified "significant" verdict must pass, in one place.

1. **primary**: the primary estimate's interval excludes no change (the plain rule);
2. **comparative**: the comparative (difference-in-differences) estimate over the same
   window points the same way and its interval excludes no change;
3. **placebo**: the real estimate is extreme among the placebo estimates in time: at most
   ``alpha`` of them (with the real one counted) are as far from no change;
4. **trend**: the conclusion does not hinge on the extrapolated trend: the projection stays
   within ``EXTRAPOLATION_RATIO`` of the last pre-period year's level, or the estimate
   against a trend that stops at the start points the same way and excludes no change.

A check that cannot be computed (no comparison city, too short a history) does not pass: a
verdict is unqualified only when every check was made and agreed.
"""

from __future__ import annotations

import numpy as np

from analysis import config

CHECKS = ("primary", "comparative", "placebo", "trend")


def direction(lower: float, upper: float) -> int:
    """-1: interval below 1; +1: above 1; 0: includes 1 (a bound equal to 1 included)."""
    if upper < 1.0:
        return -1
    if lower > 1.0:
        return 1
    return 0


def projection_departure(result) -> float:
    """Mean projection over the last (up to) 12 post months of the window over the mean
    observed in the 12 months before the start (1: no departure)."""
    last_pre = result.observed[max(0, result.t0 - 12) : result.t0].mean()
    projected = result.counterfactual[result.t0 :][-12:].mean()
    return float(projected / last_pre) if last_pre > 0 else float("nan")


def heavy_extrapolation(departure: float, ratio: float = config.EXTRAPOLATION_RATIO) -> bool:
    return not (np.isfinite(departure) and 1 / ratio <= departure <= ratio)


def evaluate(
    primary: tuple[float, float],
    comparative: tuple[float, float] | None,
    rank_p: float | None,
    departure: float,
    damped: tuple[float, float] | None,
    alpha: float,
) -> dict[str, bool | None]:
    """Each check: True (passes), False (fails) or None (could not be made)."""
    d = direction(*primary)
    out: dict[str, bool | None] = {"primary": d != 0}
    out["comparative"] = None if comparative is None else (d != 0 and direction(*comparative) == d)
    out["placebo"] = (
        None if rank_p is None or not np.isfinite(rank_p) else bool(d != 0 and rank_p <= alpha)
    )
    if not heavy_extrapolation(departure):
        out["trend"] = d != 0
    else:
        out["trend"] = None if damped is None else (d != 0 and direction(*damped) == d)
    return out


def unqualified(checks: dict[str, bool | None]) -> bool:
    return all(checks.get(k) is True for k in CHECKS)
