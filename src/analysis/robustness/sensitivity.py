"""Sensitivity of the primary estimate (the evaluation window's rate ratio) to the choices
an analyst makes: the start date (anticipation: one and two months earlier; a lag: one and
two months later), the end of the window (and of the intervention, when its end is
uncertain), the start of the pre-period, leaving out the last pre-period year, the
counterfactual trend, the family, seasonality, the errors and the measure (victims or
incidents). Every variant changes one thing; a variant that cannot be fitted is listed
with the reason instead of an estimate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.models import ITSSpec
from analysis.robustness.fits import fit_series
from analysis.robustness.periods import Period, named_periods, segment_columns
from analysis.robustness.placebo import window_fit


def _shift(month: pd.Timestamp, n: int) -> pd.Timestamp:
    return (month.to_period("M") + n).to_timestamp()


def _its(series, first_post, window, spec):
    t0 = int(series.index.get_loc(first_post))
    if t0 + window > len(series):
        window = len(series) - t0
    r = window_fit(series, t0, window, spec).rate_ratio
    return {k: r[k] for k in ("estimate", "lower", "upper", "p_value")}


def _stepped(series, first_post, window, spec, trend="linear"):
    data = series[series.index <= _shift(first_post, window - 1)]
    step = (data.index >= first_post).astype(float)
    fit = fit_series(data, spec, {"step": step}, first_post=first_post, trend=trend)
    r = fit.ratio(step.astype(bool))
    return {k: r[k] for k in ("estimate", "lower", "upper", "p_value")}


def sensitivity(
    series: pd.DataFrame,
    other_measure: tuple[str, pd.DataFrame] | None,
    first_post: pd.Timestamp,
    spec: ITSSpec,
    *,
    window: int,
    intervention=None,
    min_pre: int = 24,
) -> pd.DataFrame:
    """One row per variant: group, label, estimate, interval, p-value (or the error)."""
    first = series.index[0]
    variants: list[tuple[str, str, callable]] = []
    for n, word in (
        (-2, "two months earlier"),
        (-1, "one month earlier"),
        (1, "one month later"),
        (2, "two months later"),
    ):
        start = _shift(first_post, n)
        variants.append(
            (
                "start date",
                f"start {word} ({start:%B %Y})",
                lambda s=start: _its(
                    series, s, window, replace(spec, intervention=f"{s:%Y-%m-%d}")
                ),
            )
        )
    n_post = int((series.index >= first_post).sum())
    for w in (6, 24):
        if w != window and n_post >= w:
            variants.append(
                ("end date", f"window of {w} months", lambda w=w: _its(series, first_post, w, spec))
            )
    if (
        intervention is not None
        and intervention.end_latest
        and intervention.end_earliest
        and (intervention.end_latest != intervention.end_earliest)
    ):
        late = named_periods(intervention, first_post, window, end=intervention.end_latest)
        during = next((p for p in late if p.key == "during"), None)
        if during is not None and during.end <= series.index[-1]:
            variants.append(
                (
                    "end date",
                    f"{during.label}, to {intervention.end_latest}",
                    lambda: _period_ratio(series, first_post, window, spec, late, during),
                )
            )
    for k in (12, 24, 36):
        start = _shift(first, k)
        n_pre = int((series.index[series.index >= start] < first_post).sum())
        if n_pre >= min_pre:
            variants.append(
                (
                    "pre-period",
                    f"pre-period from {start:%B %Y}",
                    lambda s=start: _its(series[series.index >= s], first_post, window, spec),
                )
            )
    gap_start = _shift(first_post, -12)
    variants.append(
        (
            "pre-period",
            f"leaving out {gap_start:%B %Y} to {_shift(first_post, -1):%B %Y}",
            lambda: _stepped(
                series[(series.index < gap_start) | (series.index >= first_post)],
                first_post,
                window,
                spec,
            ),
        )
    )
    for trend, label in (
        ("none", "no trend"),
        ("damped", "trend stops at the start"),
        ("piecewise", "recent trend (knot 24 months before)"),
    ):
        variants.append(
            ("trend", label, lambda t=trend: _stepped(series, first_post, window, spec, trend=t))
        )
    for family in ("poisson", "negbin"):
        if family != spec.family:
            variants.append(
                (
                    "family",
                    family,
                    lambda f=family: _its(series, first_post, window, replace(spec, family=f)),
                )
            )
    for season in ("none", "months", "harmonic"):
        if season != spec.seasonality:
            label = {
                "none": "no seasonality",
                "months": "month-of-year terms",
                "harmonic": "harmonic seasonality",
            }[season]
            variants.append(
                (
                    "seasonality",
                    label,
                    lambda s=season: _its(series, first_post, window, replace(spec, seasonality=s)),
                )
            )
    if spec.robust != "hac":
        variants.append(
            (
                "errors",
                "Newey-West errors",
                lambda: _its(series, first_post, window, replace(spec, robust="hac")),
            )
        )
    if other_measure is not None:
        name, other = other_measure
        variants.append(
            ("measure", f"{name} instead", lambda: _its(other, first_post, window, spec))
        )
    rows = []
    for group, label, run in variants:
        try:
            rows.append({"group": group, "variant": label, **run(), "error": ""})
        except Exception as exc:
            rows.append(
                {
                    "group": group,
                    "variant": label,
                    "estimate": np.nan,
                    "lower": np.nan,
                    "upper": np.nan,
                    "p_value": np.nan,
                    "error": str(exc),
                }
            )
    return pd.DataFrame(rows)


def _period_ratio(series, first_post, window, spec, periods: list[Period], period: Period):
    months = pd.DatetimeIndex(series.index)
    fit = fit_series(series, spec, segment_columns(months, periods), first_post=first_post)
    r = fit.ratio(period.mask(months))
    return {k: r[k] for k in ("estimate", "lower", "upper", "p_value")}
