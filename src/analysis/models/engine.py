"""The fitting engine: one statsmodels fit per family, the robust-error rule, and the
entry points :func:`fit_its` (a checked series) and :func:`fit_arrays` (arrays already
checked, for thousands of refits).

Families: ``poisson`` (log link, scale 1); ``quasipoisson`` (Poisson estimates, errors
scaled by the Pearson dispersion, as R's ``quasipoisson``); ``negbin`` (NB2, alpha by
maximum likelihood; at the alpha -> 0 boundary the Poisson fit, its limit); ``gaussian``
(OLS on counts, the Stata ``itsa`` style).

Errors (``robust``): ``none`` (model-based), ``hac`` (Newey-West with ``hac_maxlags`` or
the plug-in rule) or ``auto``: model-based unless the Ljung-Box or Breusch-Godfrey test
finds residual autocorrelation at ``spec.autocorrelation_alpha`` (its own setting) *and*
the Newey-West errors of the intervention terms are wider; HAC is biased downwards on short
series, so ``auto`` never narrows an interval (the published tutorial model keeps its
published interval on the default path).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis import config
from analysis import diagnostics as diag
from analysis.models.checks import validate_series
from analysis.models.design import design
from analysis.models.result import ITSResult
from analysis.models.spec import ITSSpec

#: Below this NB2 alpha the negative binomial is a Poisson model (its boundary).
NB_ALPHA_BOUNDARY = 1e-4


@dataclass
class Fit:
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


def fit_once(y, X, names, offset, family: str, hac_lags: int | None) -> Fit:
    """One fit of ``family`` with model-based (``hac_lags=None``) or Newey-West errors."""
    cov_type = "HAC" if hac_lags is not None else "nonrobust"
    cov_kwds = {"maxlags": hac_lags} if hac_lags is not None else None
    caught: list[str] = []
    k = X.shape[1]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if family == "negbin":
            beta, vcov, nb_alpha, notes = _fit_negbin(y, X, offset, cov_type, cov_kwds)
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
    return Fit(
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


def fit_model(y, X: pd.DataFrame, offset, spec: ITSSpec) -> Fit:
    """Fit ``X`` with the spec's family and error rule; diagnostics recorded on the fit."""
    n = len(y)
    names, Xn = list(X.columns), X.to_numpy()
    lags = spec.hac_maxlags if spec.hac_maxlags is not None else diag.newey_west_lags(n)
    first = fit_once(y, Xn, names, offset, spec.family, lags if spec.robust == "hac" else None)
    summary = diag.summarise(
        first.pearson, Xn, first.df_resid, spec.autocorrelation_lags, spec.autocorrelation_alpha
    )
    summary["robust_errors"] = spec.robust == "hac"
    summary["robust_reason"] = "asked for (robust='hac')" if spec.robust == "hac" else ""
    fit = first
    if spec.robust == "auto" and summary["autocorrelation_detected"]:
        found = (
            f"residual autocorrelation found (Ljung-Box p={summary['ljung_box']['p_value']:.3f}"
            f", Breusch-Godfrey p={summary['breusch_godfrey']['p_value']:.3f} at "
            f"alpha={spec.autocorrelation_alpha:.2f})"
        )
        hac = fit_once(y, Xn, names, offset, spec.family, lags)
        if _effect_variance(hac) > _effect_variance(first):
            fit = hac
            summary["robust_errors"] = True
            summary["robust_reason"] = f"{found}: Newey-West errors with {lags} lags (wider)"
        else:
            summary["robust_reason"] = (
                f"{found}, but Newey-West errors with {lags} lags would be narrower than the "
                "model-based ones: model-based errors kept (never narrow an interval on a "
                "short series)"
            )
    elif spec.robust == "auto":
        summary["robust_reason"] = "no residual autocorrelation found: model-based errors"
    elif spec.robust == "none":
        summary["robust_reason"] = "model-based errors (robust='none')"
    summary["hac_lags"] = lags if summary["robust_errors"] else None
    summary["nb_alpha"] = fit.nb_alpha if spec.family == "negbin" else None
    fit.diagnostics = summary
    return fit


def _effect_variance(fit: Fit) -> float:
    """Summed variance of the intervention terms (every term when there are none)."""
    terms = [i for i, n in enumerate(fit.names) if n in ("level", "slope")]
    terms = terms or list(range(len(fit.names)))
    return float(np.trace(fit.vcov[np.ix_(terms, terms)]))


def fit_pre_period(y, X_cf: pd.DataFrame, offset, t0: int, spec: ITSSpec, *, errors: str):
    """The model without intervention terms, fitted to the ``t0`` pre-period months.

    ``errors="spec"`` applies the spec's robust-error rule (the forecast estimator);
    ``errors="model"`` fits model-based errors only (the power simulations' data model).
    """
    y_pre, X_pre = y[:t0], X_cf.iloc[:t0]
    off_pre = None if offset is None else offset[:t0]
    if errors == "spec":
        return fit_model(y_pre, X_pre, off_pre, spec)
    return fit_once(y_pre, X_pre.to_numpy(), list(X_pre.columns), off_pre, spec.family, None)


def fit_its(
    series: pd.DataFrame, spec: ITSSpec | None = None, *, seed: int = config.SEED, **overrides
) -> ITSResult:
    """Fit an interrupted time-series model to a monthly series.

    ``series``: indexed by month start, with ``count`` and (for an offset) ``population``.
    ``spec`` or keyword overrides of :class:`ITSSpec`, e.g. ``fit_its(s, family="negbin")``.
    ``seed`` seeds the simulated prediction band.
    """
    spec = spec or ITSSpec()
    if overrides:
        if "offset" not in overrides and "family" in overrides:
            overrides["offset"] = None  # the family's own default
        spec = replace(spec, **overrides)
    series, t0 = validate_series(series, spec)
    months = pd.DatetimeIndex(series.index)
    y = series["count"].to_numpy(dtype=float)
    offset = np.log(series["population"].to_numpy(dtype=float)) if spec.offset else None
    return fit_arrays(months, y, offset, t0, spec, seed=seed)


def fit_arrays(
    months: pd.DatetimeIndex, y: np.ndarray, offset, t0: int, spec: ITSSpec, *, seed=config.SEED
) -> ITSResult:
    """Fit counts ``y`` already checked by :func:`validate_series` (first post month ``t0``).

    The power simulations refit thousands of series through here.
    """
    X_full = design(months, t0, spec, intervention=True)
    X_cf = design(months, t0, spec, intervention=False)
    if spec.estimator == "segmented":
        fit = fit_model(y, X_full, offset, spec)
    else:
        fit = fit_pre_period(y, X_cf, offset, t0, spec, errors="spec")
    return ITSResult(spec, months, y, offset, t0, X_full, X_cf, fit, seed=seed)
