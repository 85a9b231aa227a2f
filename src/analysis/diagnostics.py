"""Residual diagnostics: dispersion and autocorrelation.

Pure functions of residuals and designs, so that the models stage can use them to decide
on robust errors (``robust="auto"``) and the results object can report them.

* Dispersion: the Pearson chi-square over the residual degrees of freedom (1 for a
  Poisson process; above 1 means overdispersion, the reason for quasi-Poisson and
  negative binomial models).
* Ljung-Box test of residual autocorrelation up to a lag (12 = one seasonal cycle).
* Breusch-Godfrey LM test: residuals regressed on the design and their own lags,
  ``LM = n R^2`` against chi-square with ``nlags`` degrees of freedom (for OLS this is
  statsmodels' ``acorr_breusch_godfrey``; for GLMs it is applied to Pearson residuals).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson


def pearson_dispersion(pearson_resid: np.ndarray, df_resid: float) -> float:
    if df_resid <= 0:
        return float("nan")
    return float(np.sum(np.square(pearson_resid)) / df_resid)


def usable_lags(n: int, lags: int) -> int:
    """A lag that the series can support: at most a quarter of its length, at least 1."""
    return int(max(1, min(lags, n // 4)))


def ljung_box(resid: np.ndarray, lags: int) -> dict:
    lags = usable_lags(len(resid), lags)
    table = acorr_ljungbox(np.asarray(resid, dtype=float), lags=[lags])
    return {
        "lag": lags,
        "statistic": float(table["lb_stat"].iloc[0]),
        "p_value": float(table["lb_pvalue"].iloc[0]),
    }


def breusch_godfrey(resid: np.ndarray, exog: np.ndarray, nlags: int) -> dict:
    resid = np.asarray(resid, dtype=float)
    n = len(resid)
    nlags = usable_lags(n, nlags)
    lagged = np.zeros((n, nlags))
    for k in range(1, nlags + 1):
        lagged[k:, k - 1] = resid[:-k]
    aux = np.column_stack([exog, lagged])
    beta, *_ = np.linalg.lstsq(aux, resid, rcond=None)
    fitted = aux @ beta
    ss_res = np.sum((resid - fitted) ** 2)
    ss_tot = np.sum((resid - resid.mean()) ** 2)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0
    lm = n * r2
    return {"lag": nlags, "statistic": float(lm), "p_value": float(stats.chi2.sf(lm, nlags))}


def residual_acf(resid: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelations at lags 1..nlags (biased estimator, as in the usual ACF plot)."""
    x = np.asarray(resid, dtype=float) - np.mean(resid)
    denom = np.sum(x * x)
    nlags = min(nlags, len(x) - 1)
    if denom == 0:
        return np.zeros(nlags)
    return np.array([np.sum(x[k:] * x[:-k]) / denom for k in range(1, nlags + 1)])


def newey_west_lags(n: int) -> int:
    """The Newey-West (1994) plug-in lag: floor(4 (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def summarise(
    pearson_resid: np.ndarray, exog: np.ndarray, df_resid: float, lags: int, alpha: float
) -> dict:
    lb = ljung_box(pearson_resid, lags)
    bg = breusch_godfrey(pearson_resid, exog, lags)
    return {
        "dispersion": pearson_dispersion(pearson_resid, df_resid),
        "ljung_box": lb,
        "breusch_godfrey": bg,
        "durbin_watson": float(durbin_watson(pearson_resid)),
        "autocorrelation_detected": bool(min(lb["p_value"], bg["p_value"]) < alpha),
        "alpha": alpha,
    }
