"""Count models with step terms, on calendar time, and rate ratios over any set of months.

One helper serves every robustness fit (the period model, the trend and pre-period
variants, the comparative model and its event study): a design built on *calendar* time
(months since a fixed origin, so months may be left out), fitted by
:func:`analysis.models.fit_model` (the spec's family and robust-error rule) or
:func:`analysis.models.fit_once`, and :meth:`StepFit.ratio`: fitted over counterfactual sums
over a set of rows (the counterfactual is the fit with every step term at 0), with a
delta-method *confidence* interval on the log scale at ``spec.confidence_level``, as the
primary effect (:mod:`analysis.models.result`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.models import Fit, ITSSpec, fit_model, fit_once, seasonal_columns, wald_p
from analysis.models.panel import profile_month_effects

#: Counterfactual trends: the pre-period line continued (``linear``), no trend, a trend
#: that stops at the intervention (``damped``: the projection stays at the level the line
#: reached in the last pre month) and a line with a knot ``TREND_KNOT_MONTHS`` before the
#: intervention (``piecewise``: the recent slope continued).
TRENDS = ("linear", "none", "damped", "piecewise")
TREND_KNOT_MONTHS = 24


def calendar_time(months: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    p = months.to_period("M")
    o = pd.Timestamp(origin).to_period("M")
    return np.asarray((p.year - o.year) * 12 + (p.month - o.month), dtype=float)


def trend_columns(t: np.ndarray, t_last_pre: float, trend: str) -> dict[str, np.ndarray]:
    if trend not in TRENDS:
        raise ValueError(f"trend={trend!r}: choose one of {TRENDS}")
    if trend == "none":
        return {}
    if trend == "damped":
        return {"time": np.minimum(t, t_last_pre)}
    cols = {"time": t}
    if trend == "piecewise":
        cols["time_recent"] = np.maximum(0.0, t - (t_last_pre - TREND_KNOT_MONTHS + 1))
    return cols


@dataclass
class StepFit:
    """A fitted log-link count model whose ``steps`` columns are the intervention terms."""

    spec: ITSSpec
    X: pd.DataFrame
    y: np.ndarray
    offset: np.ndarray | None
    steps: list[str]
    fit: Fit

    def _eta(self, X: np.ndarray) -> np.ndarray:
        eta = X @ self.fit.beta
        return eta if self.offset is None else eta + self.offset

    def ratio(self, rows) -> dict:
        """Fitted over counterfactual homicides summed over ``rows`` (a boolean mask)."""
        rows = np.asarray(rows, dtype=bool)
        n = int(rows.sum())
        if n == 0:
            return {
                "estimate": np.nan,
                "lower": np.nan,
                "upper": np.nan,
                "p_value": np.nan,
                "observed": np.nan,
                "expected": np.nan,
                "months": 0,
            }
        X = self.X.to_numpy()[rows]
        Xc = X.copy()
        Xc[:, [self.X.columns.get_loc(c) for c in self.steps]] = 0.0
        off = None if self.offset is None else self.offset[rows]
        fitted = np.exp(X @ self.fit.beta + (0 if off is None else off))
        cf = np.exp(Xc @ self.fit.beta + (0 if off is None else off))
        F, C = fitted.sum(), cf.sum()
        g = (fitted[:, None] * X).sum(0) / F - (cf[:, None] * Xc).sum(0) / C
        sd = float(np.sqrt(max(g @ self.fit.vcov @ g, 0.0)))
        r = float(F / C)
        z = self.spec.z
        return {
            "estimate": r,
            "lower": r / np.exp(z * sd),
            "upper": r * np.exp(z * sd),
            "p_value": wald_p(np.log(r), sd),
            "observed": float(self.y[rows].sum()),
            "expected": float(C),
            "months": n,
            "interval": "confidence",
            "confidence_level": self.spec.confidence_level,
        }

    def coefficient(self, name: str) -> dict:
        """exp(coefficient) with its Wald interval (event-study bins); a bin the data cannot
        estimate (no homicide in it: the coefficient runs off to infinity) gives NaN."""
        i = self.fit.names.index(name)
        b, se = float(self.fit.beta[i]), float(np.sqrt(self.fit.vcov[i, i]))
        z = self.spec.z
        with np.errstate(over="ignore"):
            values = np.exp([b, b - z * se, b + z * se])
        if not (np.all(np.isfinite(values)) and abs(b) < 20):
            values = np.full(3, np.nan)
        return {
            "estimate": float(values[0]),
            "lower": float(values[1]),
            "upper": float(values[2]),
            "p_value": wald_p(b, se) if np.isfinite(values).all() else float("nan"),
        }


def fit_series(
    series: pd.DataFrame,
    spec: ITSSpec,
    steps: dict[str, np.ndarray],
    *,
    first_post: pd.Timestamp,
    trend: str = "linear",
) -> StepFit:
    """One city's counts with the spec's seasonality, a ``trend`` and the ``steps`` given
    (0/1 columns over ``series``' months), by the spec's family and error rule."""
    months = pd.DatetimeIndex(series.index)
    t = calendar_time(months, months[0])
    t_last_pre = float(calendar_time(pd.DatetimeIndex([first_post]), months[0])[0]) - 1
    cols = {"const": np.ones(len(months)), **trend_columns(t, t_last_pre, trend)}
    cols.update(seasonal_columns(months, spec))
    cols.update(steps)
    X = pd.DataFrame(cols, index=months)
    y = series["count"].to_numpy(dtype=float)
    offset = np.log(series["population"].to_numpy(dtype=float)) if spec.offset else None
    fit = fit_model(y, X, offset, spec)
    return StepFit(spec, X, y, offset, list(steps), fit)


def fit_panel(
    stacked: pd.DataFrame,
    spec: ITSSpec,
    steps: dict[str, np.ndarray],
    *,
    city_trends: bool = False,
) -> StepFit:
    """Several cities stacked (columns ``city``, ``month``, ``count``, ``population``):
    city and calendar-month fixed effects (the two-way design: the month effects absorb the
    seasonality, the common trend and any shock every city shared), optionally a linear
    trend of each city's own relative to the first city's, and the ``steps`` (0/1 over the
    rows). Quasi-Poisson, errors scaled by the Pearson dispersion (model-based: with a
    handful of cities, errors clustered by city are not reliable)."""
    months = pd.DatetimeIndex(stacked["month"])
    t = calendar_time(months, months.min())
    city = stacked["city"].to_numpy()
    codes, unique_months = pd.factorize(months, sort=True)
    names, columns = ["const"], [np.ones(len(stacked))]
    for c in sorted(set(city))[1:]:
        is_c = (city == c).astype(float)
        names.append(f"city[{c}]")
        columns.append(is_c)
        if city_trends:
            names.append(f"time[{c}]")
            columns.append(t * is_c)
    free = list(range(1, len(names)))  # the city terms and (below) the steps
    month_dummies = (codes[:, None] == np.arange(1, len(unique_months))).astype(float)
    names += [f"month[{m:%Y-%m}]" for m in unique_months[1:]]
    free += list(range(len(names), len(names) + len(steps)))
    names += list(steps)
    Xn = np.column_stack([*columns, month_dummies, *(np.asarray(v, float) for v in steps.values())])
    y = stacked["count"].to_numpy(dtype=float)
    offset = np.log(stacked["population"].to_numpy(dtype=float))
    fit = _month_effects_fit(y, Xn, names, offset, codes, free)
    if fit is None:  # a month without any homicide: the full design by IRLS
        fit = fit_once(y, Xn, names, offset, "quasipoisson", None)
    return StepFit(spec, pd.DataFrame(Xn, columns=names), y, offset, list(steps), fit)


def _month_effects_fit(y, Xn, names, offset, codes, free) -> Fit | None:
    """The quasi-Poisson fit of ``Xn`` (a constant in column 0, one dummy per month but the
    first in the columns not ``free``) with the month effects profiled out
    (:mod:`analysis.models.panel`): the same numbers as :func:`fit_once`."""
    n_months = int(codes.max()) + 1
    found = profile_month_effects(y, Xn[:, free], offset, codes, n_months)
    if found is None:
        return None
    theta, G = found
    beta = np.zeros(Xn.shape[1])
    beta[free] = theta
    beta[0] = G[0]
    taken = set(free)
    months = [i for i in range(1, Xn.shape[1]) if i not in taken]
    beta[months] = G[1:] - G[0]
    mu = np.exp(Xn @ beta + offset)
    pearson = (y - mu) / np.sqrt(mu)
    df_resid = float(len(y) - Xn.shape[1])
    scale = float(np.sum(pearson**2) / df_resid)
    vcov = scale * np.linalg.pinv(Xn.T @ (mu[:, None] * Xn), hermitian=True)
    return Fit(
        names=list(names),
        beta=beta,
        vcov=vcov,
        scale=scale,
        nb_alpha=0.0,
        mu=mu,
        pearson=pearson,
        df_resid=df_resid,
        cov_label="model-based, scaled by the Pearson dispersion",
        diagnostics={},
        warnings=[],
    )
