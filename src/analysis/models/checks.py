"""Input checks: is a monthly series fit for an ITS model with a given specification?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import InsufficientDataError, SeriesError
from analysis.models.spec import ITSSpec, required_months


def validate_series(series: pd.DataFrame, spec: ITSSpec) -> tuple[pd.DataFrame, int]:
    """Check a monthly series for ``spec``; return it and the index of the first post month.

    ``series`` is indexed by month start (DatetimeIndex) with a ``count`` column and, for
    an offset, a ``population`` column (as :func:`analysis.series.model_frame` builds it).
    The first post month (``spec.first_post_month()``) belongs to the post period.
    """
    if not isinstance(series, pd.DataFrame) or "count" not in series.columns:
        raise SeriesError("the series must be a DataFrame with a 'count' column")
    idx = series.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise SeriesError(
            f"the series must be indexed by month (DatetimeIndex), not {type(idx).__name__}"
        )
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].strftime("%Y-%m").unique().tolist()
        raise SeriesError(f"duplicated month(s) {dup[:5]}: one row per month is needed")
    if not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
        raise SeriesError(
            f"months are not sorted: {idx[pos]:%Y-%m} comes after {idx[pos - 1]:%Y-%m}; "
            "sort the series by month"
        )
    if not (idx == idx.to_period("M").to_timestamp()).all():
        raise SeriesError("the index must hold month starts (e.g. 2012-11-01)")
    full = pd.date_range(idx[0], idx[-1], freq="MS")
    if len(full) != len(idx):
        gaps = full.difference(idx).strftime("%Y-%m").tolist()
        raise SeriesError(
            f"{len(gaps)} month(s) missing inside the series, e.g. {gaps[:5]}; "
            "a month inside coverage with no homicide must be a 0, not absent"
        )
    y = series["count"]
    if y.isna().any():
        bad = idx[y.isna()].strftime("%Y-%m").tolist()
        raise SeriesError(f"missing counts in month(s) {bad[:5]}")
    if spec.count_family:
        values = y.to_numpy(dtype=float)
        bad = (values < 0) | (values != np.round(values))
        if bad.any():
            months = idx[bad].strftime("%Y-%m").tolist()
            raise SeriesError(
                f"family {spec.family!r} needs non-negative whole counts; month(s) {months[:5]} "
                "are not. Use family='gaussian' for rates"
            )
    if (y == 0).all():
        raise SeriesError("every month is 0: there is nothing to model")
    first_post = spec.first_post_month()
    if first_post <= idx[0] or first_post > idx[-1]:
        raise SeriesError(
            f"the first post month {first_post:%Y-%m} (intervention {spec.intervention}) is "
            f"outside the data's months {idx[0]:%Y-%m} to {idx[-1]:%Y-%m}"
        )
    t0 = int(idx.get_loc(first_post))
    n_pre, n_post = t0, len(idx) - t0
    need_pre, need_post = required_months(spec)
    if n_pre < need_pre or n_post < need_post:
        raise InsufficientDataError(
            f"{n_pre} month(s) before and {n_post} after {first_post:%Y-%m}; the "
            f"{spec.estimator} {spec.family} model with seasonality={spec.seasonality!r} "
            f"and impact={spec.impact!r} needs at least {need_pre} before and {need_post} after"
        )
    if spec.offset:
        if "population" not in series.columns:
            raise SeriesError("offset=True needs a 'population' column (or set offset=False)")
        pop = series["population"]
        bad = pop.isna() | (pop <= 0)
        if bad.any():
            months = idx[bad.to_numpy()].strftime("%Y-%m").tolist()
            raise SeriesError(
                f"population missing or not positive for month(s) {months[:5]}; add the "
                "population (check the city name in the population file) or set offset=False"
            )
    return series, t0
