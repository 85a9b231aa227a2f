"""The comparative design: the treated city against eligible comparison cities.

A difference-in-differences count model (a comparative interrupted time series): log of
the expected count = city fixed effect + calendar-month fixed effect (shared by every city:
seasonality, the common trend and any common shock) + log population + one step per period
segment for the treated city only; as an option, each city's own linear trend.
Quasi-Poisson, errors scaled by the Pearson dispersion. A period's rate ratio is the
treated city's fitted over counterfactual homicides in its months: the change relative to
what the comparison cities' course implies.

The event study replaces the steps by one term per ``EVENT_STUDY_BIN_MONTHS`` bin relative
to the first post month (the bins before ``EVENT_STUDY_PRE_BINS`` are the reference): the
treated-minus-control difference by period, so a reader sees when a difference opened and
whether it closed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import config
from analysis.models import ITSSpec
from analysis.robustness.fits import fit_panel
from analysis.robustness.periods import Period, segment_columns
from analysis.series import STATUS_COMPLETE


def stacked_panel(panel: pd.DataFrame, cities: list[str], measure: str) -> pd.DataFrame:
    rows = panel[
        panel["city"].isin(cities)
        & (panel["status"] == STATUS_COMPLETE)
        & panel["population"].notna()
        & (panel["population"] > 0)
    ]
    return pd.DataFrame(
        {
            "city": rows["city"].to_numpy(),
            "month": pd.DatetimeIndex(rows["month"]),
            "count": rows[measure].astype(int).to_numpy(),
            "population": rows["population"].to_numpy(dtype=float),
        }
    ).reset_index(drop=True)


def _treated_steps(stacked, treated, periods):
    months = pd.DatetimeIndex(stacked["month"])
    is_treated = (stacked["city"] == treated).to_numpy()
    return {k: v * is_treated for k, v in segment_columns(months, periods).items()}, is_treated


def comparative_estimates(
    stacked: pd.DataFrame,
    treated: str,
    periods: list[Period],
    spec: ITSSpec,
    *,
    city_trends: bool = False,
) -> pd.DataFrame:
    """One row per period: the treated city's rate ratio against the comparison cities."""
    steps, is_treated = _treated_steps(stacked, treated, periods)
    fit = fit_panel(stacked, spec, steps, city_trends=city_trends)
    months = pd.DatetimeIndex(stacked["month"])
    rows = []
    for p in periods:
        r = fit.ratio(is_treated & p.mask(months))
        rows.append({"period": p.key, "label": p.label, **r, "dispersion": fit.fit.scale})
    return pd.DataFrame(rows)


def window_estimate(
    stacked: pd.DataFrame, treated: str, first_post: pd.Timestamp, window: int, spec: ITSSpec
) -> dict:
    """The comparative rate ratio over the first ``window`` months after ``first_post`` on
    data that end with that window (one step; used at placebo dates)."""
    end = (first_post.to_period("M") + window - 1).to_timestamp()
    data = stacked[stacked["month"] <= end].reset_index(drop=True)
    months = pd.DatetimeIndex(data["month"])
    is_treated = (data["city"] == treated).to_numpy()
    step = ((months >= first_post) & is_treated).astype(float)
    fit = fit_panel(data, spec, {"step": step})
    return fit.ratio(step.astype(bool))


def event_study(
    stacked: pd.DataFrame,
    treated: str,
    first_post: pd.Timestamp,
    spec: ITSSpec,
    *,
    bin_months: int = config.EVENT_STUDY_BIN_MONTHS,
    pre_bins: int = config.EVENT_STUDY_PRE_BINS,
) -> pd.DataFrame:
    """Treated over control rate ratio per bin, relative to the months before the first
    ``pre_bins`` pre-intervention bins."""
    months = pd.DatetimeIndex(stacked["month"])
    offset = (months.to_period("M") - first_post.to_period("M")).map(lambda d: d.n)
    b = np.floor(np.asarray(offset, dtype=float) / bin_months).astype(int)
    is_treated = (stacked["city"] == treated).to_numpy()
    bins = sorted({int(x) for x in b[is_treated] if x >= -pre_bins})
    steps = {f"bin[{k}]": ((b == k) & is_treated).astype(float) for k in bins}
    fit = fit_panel(stacked, spec, steps)
    rows = []
    for k in bins:
        start = (first_post.to_period("M") + k * bin_months).to_timestamp()
        rows.append({"bin": k, "start": start, "post": k >= 0, **fit.coefficient(f"bin[{k}]")})
    return pd.DataFrame(rows)
