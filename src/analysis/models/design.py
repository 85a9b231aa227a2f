"""The design matrix of a segmented regression: constant, time, seasonality, level, slope."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.models.spec import ITSSpec


def seasonal_columns(months: pd.DatetimeIndex, spec: ITSSpec) -> dict[str, np.ndarray]:
    m = np.asarray(months.month, dtype=float)
    cols: dict[str, np.ndarray] = {}
    if spec.seasonality == "harmonic":
        for k in range(1, spec.harmonics + 1):
            angle = 2 * np.pi * k * m / 12.0
            if k < 6:  # sin(pi m) is 0 for every month: no column
                cols[f"sin{k}"] = np.sin(angle)
            cols[f"cos{k}"] = np.cos(angle)
    elif spec.seasonality == "months":
        for month in range(2, 13):
            cols[f"month{month:02d}"] = (m == month).astype(float)
    return cols


def design(months: pd.DatetimeIndex, t0: int, spec: ITSSpec, *, intervention: bool) -> pd.DataFrame:
    """The design matrix; ``intervention=False`` leaves out the level and slope terms.

    ``t0`` is the index of the first post month; the slope term is 0 there (Stata ``itsa``).
    """
    t = np.arange(len(months), dtype=float)
    cols = {"const": np.ones_like(t), "time": t, **seasonal_columns(months, spec)}
    if intervention:
        post = (t >= t0).astype(float)
        if spec.impact in ("level", "level_and_slope"):
            cols["level"] = post
        if spec.impact in ("slope", "level_and_slope"):
            cols["slope"] = (t - t0) * post
    return pd.DataFrame(cols, index=months)
