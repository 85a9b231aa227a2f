"""Placebo in time: the primary model at fake intervention dates inside the pre-period.

Every month with at least ``min_pre`` months of data before it and a whole evaluation
window before the real intervention is a fake start. At each, the primary model is fitted
to the data before the real intervention, exactly as at the real date (same family, errors,
seasonality and window), and the checks of :mod:`analysis.robustness.checks` are applied.
The share of fake dates at which the plain rule ("the interval excludes no change") fires
is that rule's false-alarm rate on the city's own history; the share at which every check
agrees is the false-alarm rate of an unqualified verdict.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.models import ITSSpec, fit_arrays
from analysis.robustness.checks import projection_departure
from analysis.robustness.comparative import window_estimate
from analysis.robustness.fits import fit_series


def window_fit(series: pd.DataFrame, t0: int, window: int, spec: ITSSpec):
    """The primary model on ``series`` cut at the end of the window; its ITS result."""
    data = series.iloc[: t0 + window]
    months = pd.DatetimeIndex(data.index)
    y = data["count"].to_numpy(dtype=float)
    off = np.log(data["population"].to_numpy(dtype=float)) if spec.offset else None
    return fit_arrays(months, y, off, t0, replace(spec, intervention=f"{months[t0]:%Y-%m-%d}"))


def damped_ratio(series: pd.DataFrame, t0: int, window: int, spec: ITSSpec) -> dict:
    """The window's rate ratio against a trend that stops at the start."""
    data = series.iloc[: t0 + window]
    step = (np.arange(len(data)) >= t0).astype(float)
    fit = fit_series(data, spec, {"step": step}, first_post=data.index[t0], trend="damped")
    return fit.ratio(step.astype(bool))


def fake_starts(n_pre: int, window: int, min_pre: int) -> list[int]:
    return list(range(min_pre, n_pre - window + 1))


#: Placebo tables by a digest of everything they depend on: a replay asks for the same
#: pre-period at every date after the start. Results only (no I/O); bounded.
_CACHE: dict[str, pd.DataFrame] = {}
_CACHE_SIZE = 16


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
            h.update(repr(list(part.columns)).encode())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


def placebo_in_time(
    series: pd.DataFrame,
    first_post: pd.Timestamp,
    spec: ITSSpec,
    *,
    window: int,
    min_pre: int,
    stacked: pd.DataFrame | None = None,
    treated: str = "",
) -> pd.DataFrame:
    """One row per fake start: the primary estimate and what each check would say."""
    pre = series[series.index < first_post]
    stacked_pre = None
    if stacked is not None:
        stacked_pre = stacked[stacked["month"] < first_post].reset_index(drop=True)
    key = _digest(pre, stacked_pre, spec, window, min_pre, treated)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _placebo_table(pre, spec, window, min_pre, stacked_pre, treated)
    return _CACHE[key].copy()


def _placebo_table(pre, spec, window, min_pre, stacked_pre, treated) -> pd.DataFrame:
    rows = []
    for t0 in fake_starts(len(pre), window, min_pre):
        fake = pre.index[t0]
        try:
            result = window_fit(pre, t0, window, spec)
        except Exception as exc:
            rows.append({"start": fake, "error": f"{type(exc).__name__}: {exc}"})
            continue
        rr = result.rate_ratio
        row = {
            "start": fake,
            "estimate": rr["estimate"],
            "lower": rr["lower"],
            "upper": rr["upper"],
            "p_value": rr["p_value"],
            "departure": projection_departure(result),
            "error": "",
        }
        d = damped_ratio(pre, t0, window, spec)
        row.update(damped_estimate=d["estimate"], damped_lower=d["lower"], damped_upper=d["upper"])
        if stacked_pre is not None:
            c = window_estimate(stacked_pre, treated, fake, window, spec)
            row.update(
                comparative_estimate=c["estimate"],
                comparative_lower=c["lower"],
                comparative_upper=c["upper"],
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame[frame["error"] == ""].reset_index(drop=True)
    logs = np.abs(np.log(frame["estimate"].to_numpy(dtype=float)))
    n = len(logs)
    # leave-one-out rank: how extreme each fake estimate is among the other fake dates
    frame["rank_p_value"] = [(1 + int(np.sum(np.delete(logs, i) >= logs[i]))) / n for i in range(n)]
    return frame


_Z_CACHE: dict[str, list[float]] = {}


def placebo_z(pre: pd.DataFrame, spec: ITSSpec, window: int, min_pre: int) -> list[float]:
    """The Wald z of the primary model's ``window`` estimate at every fake start of ``pre``
    (the empirical null of monitoring mode, :mod:`analysis.monitoring`)."""
    key = _digest(pre, spec, window, min_pre)
    if key not in _Z_CACHE:
        if len(_Z_CACHE) >= _CACHE_SIZE:
            _Z_CACHE.pop(next(iter(_Z_CACHE)))
        zs = []
        for t0 in fake_starts(len(pre), window, min_pre):
            rr = window_fit(pre, t0, window, spec).rate_ratio
            sd = np.log(rr["upper"] / rr["lower"]) / (2 * spec.z)
            zs.append(float(np.log(rr["estimate"]) / sd) if sd > 0 else float("nan"))
        _Z_CACHE[key] = zs
    return list(_Z_CACHE[key])


def rank_p_value(estimate: float, placebo: pd.DataFrame) -> float:
    """Share of placebo estimates at least as far from no change as ``estimate`` (on the
    log scale, both directions), counting the real one: ``(1 + k) / (n + 1)``."""
    if placebo.empty:
        return float("nan")
    logs = np.abs(np.log(placebo["estimate"].to_numpy(dtype=float)))
    return float((1 + np.sum(logs >= abs(np.log(estimate)))) / (len(logs) + 1))
