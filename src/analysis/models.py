"""Stage 4, models: interrupted time-series (ITS) regression, fitted with statsmodels.

The model
---------
For month ``t = 0, 1, ...`` (months since the series starts) and the first post month
``t0``::

    g(E[y_t]) = b0 + b1 t + seasonality(month of year) [+ log population_t]
                + b2 post_t + b3 (t - t0) post_t

``post_t`` is 1 from the first post month on. By default the month containing the
intervention date is the first post month (``intervention_month_is_post``; the
partnership began on 1 November 2012, so November 2012 is post). ``b2`` is the level
change at the first post month and ``b3`` the change of slope per month
(the Stata ``itsa`` convention: ``t - t0`` is 0 in the first post month). ``impact``
chooses ``"level"``, ``"slope"`` or ``"level_and_slope"`` (the default).

Families (``family``)
    ``poisson`` (log link, scale 1); ``quasipoisson`` (Poisson estimates, standard errors
    scaled by the Pearson dispersion, as R's ``quasipoisson``); ``negbin`` (NB2, its
    dispersion ``alpha`` estimated by maximum likelihood); ``gaussian`` (OLS on counts, the
    Stata ``itsa`` style, usually with Newey-West errors). Count families take a
    log-population offset (``offset=True``) so that effects are rate ratios.

Seasonality (``seasonality``)
    ``harmonic`` with ``harmonics`` sine/cosine pairs of period 12 on the calendar month,
    ``months`` (11 month indicators), or ``none``.

Errors (``robust``)
    ``none`` (model-based), ``hac`` (Newey-West, ``hac_maxlags`` or the plug-in rule) or
    ``auto``: model-based unless the Ljung-Box or Breusch-Godfrey test finds residual
    autocorrelation at ``alpha``, then HAC. The choice is recorded in the diagnostics.

Estimators (``estimator``): two questions, often confused
    ``segmented``: segmented regression on the whole series; the effect is what the
    level and slope terms say, and the counterfactual is the fitted model with them set to
    zero. Post months help estimate seasonality and dispersion; the answer leans on the
    chosen shape of the effect (level and/or slope).
    ``forecast``: the model without intervention terms is fitted to the pre-period alone
    and forecast into the post period; observed post months are compared with that
    forecast. Nothing is assumed about the shape of the effect; the interval for the
    comparison is a *prediction* interval (parameter uncertainty plus the noise of new
    observations). Level and slope changes are not estimated.

Effects (all at ``confidence_level`` from :mod:`analysis.config`; each row names its interval)
    ``level_change``: rate ratio ``exp(b2)`` (counts: additive, per month).
    ``slope_change``: rate ratio per month ``exp(b3)`` (counts: additive).
    ``average_relative_effect``: post-period rate ratio minus 1. Segmented:
    ``sum(fitted post) / sum(counterfactual post) - 1`` with a delta-method confidence
    interval on the log scale. Forecast: ``sum(observed post) / sum(forecast) - 1`` with a
    prediction interval (log-normal approximation of the sum).
    ``cumulative_difference``: observed minus counterfactual homicides over the post
    period (negative: fewer than the pre-period trend predicted). Segmented: a
    confidence interval (uncertainty of the counterfactual mean); forecast: a prediction
    interval.
    The verdict uses ``average_relative_effect`` as the primary effect.

Bands
    ``counterfactual_mean_lower/upper``: confidence interval for the counterfactual
    *mean* (delta method on the linear predictor). ``counterfactual_obs_lower/upper``:
    prediction interval for a *new observation* under the counterfactual (simulated from
    the family's distribution and the parameter uncertainty).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis import config
from analysis import diagnostics as diag
from analysis.errors import InsufficientDataError, ModelSpecError, SeriesError

FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")
COUNT_FAMILIES = ("poisson", "quasipoisson", "negbin")
SEASONALITIES = ("harmonic", "months", "none")
ESTIMATORS = ("segmented", "forecast")
IMPACTS = ("level", "slope", "level_and_slope")
ROBUST = ("none", "hac", "auto")
#: Residual degrees of freedom a fit must keep beyond its parameters.
MIN_RESIDUAL_DF = 4
#: A seasonal model needs at least one full year before the intervention.
MIN_PRE_MONTHS_SEASONAL = 12
#: Draws used for the simulated prediction band.
BAND_DRAWS = 4000


@dataclass(frozen=True)
class ITSSpec:
    """Everything that defines a fit. Defaults come from :mod:`analysis.config`."""

    intervention: str = config.INTERVENTION_DATE
    family: str = config.DEFAULT_FAMILY
    seasonality: str = config.DEFAULT_SEASONALITY
    harmonics: int = config.DEFAULT_HARMONICS
    estimator: str = config.DEFAULT_ESTIMATOR
    impact: str = config.DEFAULT_IMPACT
    offset: bool = True
    robust: str = config.DEFAULT_ROBUST
    hac_maxlags: int | None = None
    autocorrelation_lags: int = config.AUTOCORRELATION_LAGS
    intervention_month_is_post: bool = config.INTERVENTION_MONTH_IS_POST
    confidence_level: float = config.CONFIDENCE_LEVEL

    def __post_init__(self):
        for name, allowed in (
            ("family", FAMILIES),
            ("seasonality", SEASONALITIES),
            ("estimator", ESTIMATORS),
            ("impact", IMPACTS),
            ("robust", ROBUST),
        ):
            if getattr(self, name) not in allowed:
                raise ModelSpecError(f"{name}={getattr(self, name)!r}: choose one of {allowed}")
        if self.seasonality == "harmonic" and not 1 <= self.harmonics <= 6:
            raise ModelSpecError(f"harmonics={self.harmonics}: use 1 to 6 pairs (period 12)")
        if not 0.5 < self.confidence_level < 1:
            raise ModelSpecError(f"confidence_level={self.confidence_level}: use e.g. 0.95")
        if self.family == "gaussian" and self.offset:
            raise ModelSpecError(
                "offset=True needs a count family (poisson, quasipoisson, negbin); the "
                "gaussian model is on counts: set offset=False"
            )
        if self.hac_maxlags is not None and self.hac_maxlags < 0:
            raise ModelSpecError(f"hac_maxlags={self.hac_maxlags}: must be 0 or more")
        try:
            pd.Timestamp(self.intervention)
        except (ValueError, TypeError) as exc:
            raise ModelSpecError(f"intervention={self.intervention!r} is not a date") from exc

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence_level

    @property
    def z(self) -> float:
        return float(stats.norm.ppf(1 - self.alpha / 2))

    def first_post_month(self) -> pd.Timestamp:
        month = pd.Timestamp(self.intervention).to_period("M")
        if not self.intervention_month_is_post:
            month = month + 1
        return month.to_timestamp()


# --- design -----------------------------------------------------------------------


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
    """The design matrix; ``intervention=False`` leaves out the level and slope terms."""
    t = np.arange(len(months), dtype=float)
    cols = {"const": np.ones_like(t), "time": t, **seasonal_columns(months, spec)}
    if intervention:
        post = (t >= t0).astype(float)
        if spec.impact in ("level", "level_and_slope"):
            cols["level"] = post
        if spec.impact in ("slope", "level_and_slope"):
            cols["slope"] = (t - t0) * post
    return pd.DataFrame(cols, index=months)


def required_months(spec: ITSSpec) -> tuple[int, int]:
    """Months needed (before, after) the intervention for ``spec``."""
    n_season = len(seasonal_columns(pd.DatetimeIndex(["2000-01-01"]), spec))
    pre_params = 2 + n_season
    need_pre = pre_params + MIN_RESIDUAL_DF
    if spec.seasonality != "none":
        need_pre = max(need_pre, MIN_PRE_MONTHS_SEASONAL)
    # a slope change needs two post months; a level change or a forecast needs one
    need_post = 2 if spec.estimator == "segmented" and spec.impact != "level" else 1
    return need_pre, need_post


# --- input checks -------------------------------------------------------------------


def validate_series(series: pd.DataFrame, spec: ITSSpec) -> tuple[pd.DataFrame, int]:
    """Check a monthly series for ``spec``; return it and the index of the first post month.

    ``series`` is indexed by month start (DatetimeIndex) with a ``count`` column and, for
    an offset, a ``population`` column (as :meth:`analysis.series.MonthlySeries.city`).
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
    if spec.family in COUNT_FAMILIES:
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


# --- fitting ---------------------------------------------------------------------------


@dataclass
class _Fit:
    """The numbers of one statsmodels fit, in plain numpy (cheap to refit thousands of times)."""

    names: list[str]
    beta: np.ndarray
    vcov: np.ndarray
    scale: float  # quasi-Poisson dispersion or gaussian variance; 1 for Poisson
    nb_alpha: float  # NB2 dispersion; 0 otherwise
    mu: np.ndarray  # fitted means on the fit sample
    pearson: np.ndarray
    df_resid: float
    cov_label: str
    diagnostics: dict
    warnings: list[str]

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.beta, index=self.names)

    @property
    def cov(self) -> pd.DataFrame:
        return pd.DataFrame(self.vcov, index=self.names, columns=self.names)


def _fit_once(y, X, names, offset, family: str, hac_lags: int | None) -> _Fit:
    """One fit of ``family`` with model-based (``hac_lags=None``) or Newey-West errors."""
    cov_type = "HAC" if hac_lags is not None else "nonrobust"
    cov_kwds = {"maxlags": hac_lags} if hac_lags is not None else None
    caught: list[str] = []
    k = X.shape[1]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if family == "negbin":
            fit = _fit_negbin(y, X, offset, cov_type, cov_kwds)
            beta, vcov, nb_alpha, notes = fit
            caught += notes
            mu = np.exp(X @ beta + (0 if offset is None else offset))
            pearson = (y - mu) / np.sqrt(mu + nb_alpha * mu**2)
            scale = 1.0
        elif family == "gaussian":
            res = sm.OLS(y, X).fit(cov_type=cov_type, cov_kwds=cov_kwds)
            beta, vcov = np.asarray(res.params), np.asarray(res.cov_params())
            mu = X @ beta
            scale, nb_alpha = float(res.scale), 0.0
            pearson = y - mu
        else:
            model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
            scale_arg = "X2" if family == "quasipoisson" else 1.0
            res = model.fit(scale=scale_arg, cov_type=cov_type, cov_kwds=cov_kwds)
            beta, vcov = np.asarray(res.params), np.asarray(res.cov_params())
            mu = np.asarray(res.fittedvalues)
            pearson = (y - mu) / np.sqrt(mu)
            nb_alpha = 0.0
            scale = float(np.sum(pearson**2) / (len(y) - k)) if family == "quasipoisson" else 1.0
    caught += [f"{w.category.__name__}: {w.message}" for w in record]
    df_resid = float(len(y) - k - (1 if family == "negbin" else 0))
    label = f"HAC (Newey-West, {hac_lags} lags)" if hac_lags is not None else "model-based"
    if family == "quasipoisson" and hac_lags is None:
        label = "model-based, scaled by the Pearson dispersion"
    return _Fit(
        names=list(names),
        beta=np.asarray(beta, dtype=float),
        vcov=np.asarray(vcov, dtype=float),
        scale=scale,
        nb_alpha=nb_alpha,
        mu=np.asarray(mu, dtype=float),
        pearson=np.asarray(pearson, dtype=float),
        df_resid=df_resid,
        cov_label=label,
        diagnostics={},
        warnings=caught,
    )


#: Below this NB2 alpha the negative binomial is a Poisson model (its boundary).
NB_ALPHA_BOUNDARY = 1e-4


def _fit_negbin(y, X, offset, cov_type, cov_kwds):
    """NB2 by maximum likelihood; at the alpha = 0 boundary, the Poisson fit (its limit)."""
    pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(
        cov_type=cov_type, cov_kwds=cov_kwds
    )
    mu = np.asarray(pois.fittedvalues)
    # moment start for alpha: (sum((y-mu)^2 - y) / sum(mu^2)), kept positive
    alpha0 = max(float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)), 0.01)
    notes: list[str] = []
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    start = np.append(np.asarray(pois.params), alpha0)
    for method in ("newton", "bfgs", "nm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(
                start_params=start,
                method=method,
                disp=0,
                maxiter=2000 if method == "nm" else 200,
                cov_type=cov_type,
                cov_kwds=cov_kwds,
            )
        alpha = float(res.params[-1])
        converged = bool(res.mle_retvals.get("converged", False)) and np.isfinite(alpha)
        if converged or alpha < NB_ALPHA_BOUNDARY:
            break
    if alpha < NB_ALPHA_BOUNDARY or not np.isfinite(alpha):
        notes.append(
            f"negative binomial alpha at its boundary ({alpha:.2g}): no overdispersion, "
            "so the fit is the Poisson fit (the model's limit as alpha -> 0)"
        )
        return np.asarray(pois.params), np.asarray(pois.cov_params()), 0.0, notes
    if not converged:
        notes.append("negative binomial maximum likelihood did not converge: check the fit")
    k = X.shape[1]
    return np.asarray(res.params[:k]), np.asarray(res.cov_params())[:k, :k], alpha, notes


def _fit(y, X: pd.DataFrame, offset, spec: ITSSpec) -> _Fit:
    n = len(y)
    names, Xn = list(X.columns), X.to_numpy()
    lags = spec.hac_maxlags if spec.hac_maxlags is not None else diag.newey_west_lags(n)
    first = _fit_once(y, Xn, names, offset, spec.family, lags if spec.robust == "hac" else None)
    summary = diag.summarise(
        first.pearson, Xn, first.df_resid, spec.autocorrelation_lags, spec.alpha
    )
    summary["robust_errors"] = spec.robust == "hac"
    summary["robust_reason"] = "asked for (robust='hac')" if spec.robust == "hac" else ""
    fit = first
    if spec.robust == "auto" and summary["autocorrelation_detected"]:
        fit = _fit_once(y, Xn, names, offset, spec.family, lags)
        summary["robust_errors"] = True
        summary["robust_reason"] = (
            f"residual autocorrelation found (Ljung-Box p={summary['ljung_box']['p_value']:.3f}"
            f", Breusch-Godfrey p={summary['breusch_godfrey']['p_value']:.3f} at "
            f"alpha={spec.alpha:.2f}): switched to Newey-West errors with {lags} lags"
        )
    elif spec.robust == "auto":
        summary["robust_reason"] = "no residual autocorrelation found: model-based errors"
    elif spec.robust == "none":
        summary["robust_reason"] = "model-based errors (robust='none')"
    summary["hac_lags"] = lags if summary["robust_errors"] else None
    summary["nb_alpha"] = fit.nb_alpha if spec.family == "negbin" else None
    fit.diagnostics = summary
    return fit


def fit_its(series: pd.DataFrame, spec: ITSSpec | None = None, **overrides) -> ITSResult:
    """Fit an interrupted time-series model to a monthly series.

    ``series``: indexed by month start, with ``count`` and (for an offset) ``population``.
    ``spec`` or keyword overrides of :class:`ITSSpec`, e.g. ``fit_its(s, family="negbin")``.
    """
    spec = replace(spec or ITSSpec(), **overrides) if overrides else (spec or ITSSpec())
    series, t0 = validate_series(series, spec)
    months = pd.DatetimeIndex(series.index)
    y = series["count"].to_numpy(dtype=float)
    offset = np.log(series["population"].to_numpy(dtype=float)) if spec.offset else None
    return fit_arrays(months, y, offset, t0, spec)


def fit_arrays(months: pd.DatetimeIndex, y: np.ndarray, offset, t0: int, spec: ITSSpec):
    """Fit counts ``y`` already checked by :func:`validate_series` (first post month ``t0``).

    The power simulations refit thousands of series through here.
    """
    X_full = design(months, t0, spec, intervention=True)
    X_cf = design(months, t0, spec, intervention=False)
    if spec.estimator == "segmented":
        fit = _fit(y, X_full, offset, spec)
    else:
        fit = _fit(y[:t0], X_cf.iloc[:t0], None if offset is None else offset[:t0], spec)
    return ITSResult(spec, months, y, offset, t0, X_full, X_cf, fit)


# --- results --------------------------------------------------------------------------


def _row(name, estimate, lower, upper, p, scale, interval, description):
    return {
        "effect": name,
        "estimate": float(estimate),
        "lower": float(lower),
        "upper": float(upper),
        "p_value": float(p),
        "scale": scale,
        "interval": interval,
        "description": description,
    }


@dataclass
class ITSResult:
    """A fitted ITS model: effects, counterfactual, diagnostics and their reports."""

    spec: ITSSpec
    months: pd.DatetimeIndex
    observed: np.ndarray
    offset: np.ndarray | None
    t0: int
    X_full: pd.DataFrame
    X_cf: pd.DataFrame
    fit: _Fit
    _cache: dict = field(default_factory=dict, repr=False)

    # --- basic quantities
    @property
    def count_family(self) -> bool:
        return self.spec.family in COUNT_FAMILIES

    @property
    def n_pre(self) -> int:
        return self.t0

    @property
    def n_post(self) -> int:
        return len(self.months) - self.t0

    @property
    def first_post_month(self) -> pd.Timestamp:
        return self.months[self.t0]

    @property
    def diagnostics(self) -> dict:
        return self.fit.diagnostics

    def _positions(self, X: pd.DataFrame) -> list[int]:
        return [self.fit.names.index(c) for c in X.columns]

    def _eta(self, X: pd.DataFrame) -> np.ndarray:
        beta = self.fit.beta[self._positions(X)]
        eta = X.to_numpy() @ beta
        if self.offset is not None:
            eta = eta + self.offset
        return eta

    def _cov(self, X: pd.DataFrame) -> np.ndarray:
        pos = self._positions(X)
        return self.fit.vcov[np.ix_(pos, pos)]

    def _mean(self, eta: np.ndarray) -> np.ndarray:
        return np.exp(eta) if self.count_family else eta

    @cached_property
    def fitted(self) -> np.ndarray:
        X = self.X_full if self.spec.estimator == "segmented" else self.X_cf
        return self._mean(self._eta(X))

    @cached_property
    def counterfactual(self) -> np.ndarray:
        return self._mean(self._eta(self.X_cf))

    @cached_property
    def _cf_se_eta(self) -> np.ndarray:
        X = self.X_cf.to_numpy()
        V = self._cov(self.X_cf)
        return np.sqrt(np.einsum("ij,jk,ik->i", X, V, X))

    def _obs_variance(self, mu: np.ndarray) -> np.ndarray:
        """Variance of a new observation with mean ``mu`` under the fitted family."""
        fam = self.spec.family
        if fam == "poisson":
            return mu
        if fam == "quasipoisson":
            return self.fit.scale * mu
        if fam == "negbin":
            return mu + self.fit.nb_alpha * mu**2
        return np.full_like(mu, self.fit.scale)

    # --- effects
    @cached_property
    def effects(self) -> pd.DataFrame:
        """One row per effect with estimate, interval bounds, p-value and interval kind."""
        z, spec = self.spec.z, self.spec
        rows = []
        params, cov = self.fit.params, self.fit.cov
        ratio = self.count_family
        for name, label in (("level", "level_change"), ("slope", "slope_change")):
            if name in params.index:
                b, se = float(params[name]), float(np.sqrt(cov.loc[name, name]))
                p = 2 * stats.norm.sf(abs(b) / se) if se > 0 else float("nan")
                lo, hi = b - z * se, b + z * se
                if ratio:
                    b, lo, hi = np.exp(b), np.exp(lo), np.exp(hi)
                desc = (
                    "rate ratio at the first post month"
                    if name == "level"
                    else "rate ratio per month of the post-period trend"
                )
                if not ratio:
                    desc = "change in monthly count" + (
                        " at the first post month" if name == "level" else " per month"
                    )
                rows.append(
                    _row(label, b, lo, hi, p, "ratio" if ratio else "count", "confidence", desc)
                )
            else:
                why = (
                    "not estimated by the forecast estimator"
                    if spec.estimator == "forecast"
                    else f"not in the model (impact={spec.impact!r})"
                )
                rows.append(_row(label, np.nan, np.nan, np.nan, np.nan, "", "", why))
        rows.append(self._average_effect())
        cum = self.effect_frame().iloc[-1]
        sd = (cum["cumulative_upper"] - cum["cumulative"]) / z  # the interval's own sd
        rows.append(
            _row(
                "cumulative_difference",
                cum["cumulative"],
                cum["cumulative_lower"],
                cum["cumulative_upper"],
                2 * stats.norm.sf(abs(cum["cumulative"]) / sd) if sd > 0 else float("nan"),
                "count",
                cum["interval"],
                "observed minus counterfactual homicides over the post period",
            )
        )
        return pd.DataFrame(rows).set_index("effect")

    def _average_effect(self) -> dict:
        if "average" in self._cache:
            return self._cache["average"]
        z = self.spec.z
        post = slice(self.t0, None)
        cf_post = self.counterfactual[post]
        if self.spec.estimator == "segmented":
            fit_post = self.fitted[post]
            Xf = self.X_full.to_numpy()[post]
            V = self._cov(self.X_full)
            Xc_full = self.X_cf.reindex(columns=self.X_full.columns, fill_value=0.0)
            Xc_full = Xc_full.to_numpy()[post]
            if self.count_family:
                g = (fit_post @ Xf) / fit_post.sum() - (cf_post @ Xc_full) / cf_post.sum()
                log_r = np.log(fit_post.sum() / cf_post.sum())
                se = float(np.sqrt(g @ V @ g))
                with np.errstate(over="ignore"):  # a degenerate fit gives inf, not a crash
                    est, lo, hi = np.exp(log_r), np.exp(log_r - z * se), np.exp(log_r + z * se)
                p = 2 * stats.norm.sf(abs(log_r) / se)
            else:
                r = fit_post.sum() / cf_post.sum()
                g = Xf.sum(0) / cf_post.sum() - fit_post.sum() * Xc_full.sum(0) / cf_post.sum() ** 2
                se = float(np.sqrt(g @ V @ g))
                est, lo, hi = r, r - z * se, r + z * se
                p = 2 * stats.norm.sf(abs(r - 1) / se)
            interval = "confidence"
            desc = "post-period rate ratio minus 1: fitted over counterfactual"
        else:
            total_obs = self.observed[post].sum()
            total_cf = cf_post.sum()
            var = self._cf_sum_variance(post) + self._obs_variance(cf_post).sum()
            sd = float(np.sqrt(var) / total_cf)  # sd of log(sum) (log-normal approximation)
            r = total_obs / total_cf
            est = r
            with np.errstate(over="ignore"):
                lo, hi = r / np.exp(z * sd), r * np.exp(z * sd)
            p = 2 * stats.norm.sf(abs(np.log(max(r, 1e-12))) / sd) if sd > 0 else float("nan")
            interval = "prediction"
            desc = "post-period rate ratio minus 1: observed over forecast counterfactual"
        name = "average_relative_effect"
        row = _row(name, est - 1, lo - 1, hi - 1, p, "relative", interval, desc)
        self._cache["average"] = row
        return row

    def _cf_sum_variance(self, post) -> float:
        """Variance of the sum of counterfactual means over ``post`` (delta method)."""
        mu = self.counterfactual[post]
        X = self.X_cf.to_numpy()[post]
        g = (mu @ X) if self.count_family else X.sum(0)
        return float(g @ self._cov(self.X_cf) @ g)

    @property
    def rate_ratio(self) -> dict:
        """The primary effect as a post-period rate ratio with its interval."""
        row = self._average_effect()
        return {
            "estimate": row["estimate"] + 1,
            "lower": row["lower"] + 1,
            "upper": row["upper"] + 1,
            "p_value": row["p_value"],
            "interval": row["interval"],
        }

    # --- frames behind the figures
    def effect_frame(self) -> pd.DataFrame:
        """Post months: observed, counterfactual, monthly and cumulative differences.

        Monthly interval: observed minus the interval of the counterfactual mean
        (segmented, ``confidence``) or of a new observation (forecast, ``prediction``).
        Cumulative interval: the same for the running sum (delta method; prediction adds
        the variance of new observations).
        """
        if "effect_frame" in self._cache:
            return self._cache["effect_frame"].copy()
        z = self.spec.z
        post = slice(self.t0, None)
        y = self.observed[post]
        mu = self.counterfactual[post]
        X = self.X_cf.to_numpy()[post]
        V = self._cov(self.X_cf)
        G = np.cumsum(mu[:, None] * X if self.count_family else X, axis=0)
        var_cum = np.einsum("ij,jk,ik->i", G, V, G)
        var_month = self._cf_se_eta[post] ** 2 * (mu**2 if self.count_family else 1.0)
        prediction = self.spec.estimator == "forecast"
        if prediction:
            obs_var = self._obs_variance(mu)
            var_cum = var_cum + np.cumsum(obs_var)
            var_month = var_month + obs_var
        diff = y - mu
        cum = np.cumsum(diff)
        frame = pd.DataFrame(
            {
                "month": self.months[post],
                "observed": y,
                "counterfactual": mu,
                "difference": diff,
                "difference_lower": diff - z * np.sqrt(var_month),
                "difference_upper": diff + z * np.sqrt(var_month),
                "cumulative": cum,
                "cumulative_lower": cum - z * np.sqrt(var_cum),
                "cumulative_upper": cum + z * np.sqrt(var_cum),
                "interval": "prediction" if prediction else "confidence",
                "confidence_level": self.spec.confidence_level,
            }
        )
        self._cache["effect_frame"] = frame
        return frame.copy()

    def get_plot_data(self) -> pd.DataFrame:
        """Every month: observed, fitted, counterfactual with its two bands, post flag."""
        if "plot" in self._cache:
            return self._cache["plot"].copy()
        z = self.spec.z
        eta_cf = self._eta(self.X_cf)
        se = self._cf_se_eta
        if self.count_family:
            lo, hi = np.exp(eta_cf - z * se), np.exp(eta_cf + z * se)
        else:
            lo, hi = eta_cf - z * se, eta_cf + z * se
        obs_lo, obs_hi = self._obs_band(eta_cf, se)
        fitted = self.fitted.copy()
        if self.spec.estimator == "forecast":
            fitted[self.t0 :] = np.nan  # the forecast model has no post-period fit
        frame = pd.DataFrame(
            {
                "month": self.months,
                "observed": self.observed,
                "fitted": fitted,
                "counterfactual": self.counterfactual,
                "counterfactual_mean_lower": lo,
                "counterfactual_mean_upper": hi,
                "counterfactual_obs_lower": obs_lo,
                "counterfactual_obs_upper": obs_hi,
                "post": np.arange(len(self.months)) >= self.t0,
                "confidence_level": self.spec.confidence_level,
            }
        )
        self._cache["plot"] = frame
        return frame.copy()

    def _obs_band(self, eta: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prediction interval of a new observation, by simulation (seeded)."""
        rng = np.random.default_rng(config.SEED)
        draws = eta[None, :] + se[None, :] * rng.standard_normal((BAND_DRAWS, len(eta)))
        fam = self.spec.family
        if fam == "gaussian":
            sim = draws + np.sqrt(self.fit.scale) * rng.standard_normal(draws.shape)
        else:
            mu = np.exp(draws)
            sim = simulate_counts(rng, mu, fam, self.fit.scale, self.fit.nb_alpha)
        a = self.spec.alpha
        return np.quantile(sim, a / 2, axis=0), np.quantile(sim, 1 - a / 2, axis=0)

    # --- reports
    def summary(self) -> str:
        """A plain-text report: specification, effects with intervals, diagnostics."""
        s, d = self.spec, self.diagnostics
        level = f"{s.confidence_level:.0%}"
        lines = [
            f"Interrupted time series: {s.estimator} estimator, {s.family} family",
            f"  months {self.months[0]:%Y-%m} to {self.months[-1]:%Y-%m}: {self.n_pre} before, "
            f"{self.n_post} from {self.first_post_month:%Y-%m} (first post month)",
            f"  seasonality {s.seasonality}"
            + (f" ({s.harmonics} sine/cosine pair(s))" if s.seasonality == "harmonic" else "")
            + f"; impact {s.impact}; offset {'log population' if s.offset else 'none'}",
            f"  errors: {self.fit.cov_label}; {d.get('robust_reason', '')}",
            "",
            f"Effects ({level} intervals; 'interval' says for what):",
        ]
        for name, row in self.effects.iterrows():
            if np.isnan(row["estimate"]):
                lines.append(f"  {name:<24} {row['description']}")
                continue
            lines.append(
                f"  {name:<24} {row['estimate']:>9.3f}  [{row['lower']:.3f}, {row['upper']:.3f}]"
                f"  p={row['p_value']:.3g}  {row['scale']}, {row['interval']}"
            )
        lines += [
            "",
            "Diagnostics:",
            f"  dispersion (Pearson chi2/df) {d['dispersion']:.2f}",
            f"  Ljung-Box lag {d['ljung_box']['lag']}: p={d['ljung_box']['p_value']:.3f}; "
            f"Breusch-Godfrey lag {d['breusch_godfrey']['lag']}: "
            f"p={d['breusch_godfrey']['p_value']:.3f}; Durbin-Watson {d['durbin_watson']:.2f}",
        ]
        if s.family == "negbin":
            lines.append(f"  negative binomial alpha {self.fit.nb_alpha:.4f}")
        if self.fit.warnings:
            lines.append("  fit warnings: " + "; ".join(self.fit.warnings))
        return "\n".join(lines)

    def effect_summary(self) -> tuple[pd.DataFrame, str]:
        """The effects table and one sentence saying the primary effect in words."""
        rr = self.rate_ratio
        pct = (rr["estimate"] - 1) * 100
        direction = "fewer" if pct < 0 else "more"
        cum = self.effects.loc["cumulative_difference"]
        sentence = (
            f"Over {self.n_post} month(s) from {self.first_post_month:%B %Y}, homicides were "
            f"{abs(pct):.0f}% {direction} than the pre-period trend predicts "
            f"({self.spec.confidence_level:.0%} {rr['interval']} interval "
            f"{(rr['lower'] - 1) * 100:+.0f}% to {(rr['upper'] - 1) * 100:+.0f}%), "
            f"{abs(cum['estimate']):.0f} {direction} homicides in total."
        )
        return self.effects.copy(), sentence

    def to_dict(self) -> dict:
        """Everything machine-readable: spec, sample, effects, diagnostics, series."""
        eff = self.effects.reset_index()
        eff = eff.astype(object).where(eff.notna(), None)
        plot = self.get_plot_data()
        plot["month"] = plot["month"].dt.strftime("%Y-%m")
        return {
            "spec": asdict(self.spec),
            "sample": {
                "first_month": f"{self.months[0]:%Y-%m}",
                "last_month": f"{self.months[-1]:%Y-%m}",
                "first_post_month": f"{self.first_post_month:%Y-%m}",
                "n_pre": self.n_pre,
                "n_post": self.n_post,
                "observed_post_total": float(self.observed[self.t0 :].sum()),
            },
            "confidence_level": self.spec.confidence_level,
            "covariance": self.fit.cov_label,
            "parameters": {k: float(v) for k, v in self.fit.params.items()},
            "effects": eff.to_dict(orient="records"),
            "rate_ratio": self.rate_ratio,
            "diagnostics": _plain(self.diagnostics),
            "fit_warnings": list(self.fit.warnings),
            "series": plot.to_dict(orient="list"),
        }


def simulate_counts(rng, mu: np.ndarray, family: str, scale: float, nb_alpha: float):
    """Draw counts with mean ``mu`` and the family's variance.

    Quasi-Poisson with dispersion ``phi > 1`` is drawn as a negative binomial with the
    same mean and variance ``phi * mu``; ``phi <= 1`` as Poisson.
    """
    if family == "negbin" and nb_alpha > 1e-8:
        size = 1.0 / nb_alpha
        return rng.negative_binomial(size, size / (size + mu))
    if family == "quasipoisson" and scale > 1.0 + 1e-8:
        size = mu / (scale - 1.0)
        return rng.negative_binomial(size, 1.0 / scale)
    return rng.poisson(mu)


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
