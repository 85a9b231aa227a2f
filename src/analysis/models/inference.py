"""Wald intervals and p-values: the one place where an estimate and its standard error
become an interval at the configured level and a two-sided p-value."""

from __future__ import annotations

import numpy as np
from scipy import stats


def wald_p(estimate: float, se: float, null: float = 0.0) -> float:
    """Two-sided normal p-value of ``(estimate - null) / se``; NaN when ``se`` is not positive."""
    if not se > 0 or not np.isfinite(se):
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate - null) / se))


def wald(estimate: float, se: float, z: float, null: float = 0.0) -> tuple[float, float, float]:
    """``(lower, upper, p)``: the interval ``estimate +- z se`` and its two-sided p-value."""
    return estimate - z * se, estimate + z * se, wald_p(estimate, se, null)
