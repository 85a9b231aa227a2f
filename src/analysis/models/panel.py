"""Poisson regression with one fixed effect per month, the month effects profiled out.

In a Poisson model ``log E[y_cm] = G_m + z_cm' theta + offset_cm`` the maximum-likelihood
month effect is, for any ``theta``, ``exp(G_m) = Y_m / sum_c exp(z_cm' theta + offset_cm)``
(``Y_m`` the month's total), and what is left is the multinomial (conditional) likelihood
of how each month's total splits between the cities: a handful of parameters instead of
one per month. The estimates equal the full Poisson fit's, and the inverse information of
the full design (computed once, at the optimum) gives the same covariance as a GLM fit
of the full design (Baker 1994, "The multinomial-Poisson transformation", JRSS D 43).
tests/test_models.py checks both against statsmodels to 1e-6.

Used by the comparative model (:func:`analysis.robustness.fits.fit_panel`), fitted at
every placebo date: about a tenth of the time of a GLM fit of the full design.
"""

from __future__ import annotations

import numpy as np

#: Newton steps before giving up (the caller then fits the full design by IRLS).
MAX_ITER = 50
TOLERANCE = 1e-10


def profile_month_effects(
    y: np.ndarray, Z: np.ndarray, offset: np.ndarray, codes: np.ndarray, n_months: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """``theta`` and the month effects ``G`` (length ``n_months``) of the Poisson model
    above, rows of month ``codes[i]``; None when a month has no event (its effect is
    minus infinity) or Newton does not converge."""
    totals = np.bincount(codes, weights=y, minlength=n_months)
    if np.any(totals <= 0):
        return None

    def evaluate(theta):
        p = _shares(Z @ theta + offset, codes, n_months)
        mu = totals[codes] * p
        zbar = _month_sums(mu[:, None] * Z, codes, n_months) / totals[:, None]
        info = Z.T @ (mu[:, None] * Z) - zbar.T @ (totals[:, None] * zbar)
        return float(np.sum(y * np.log(p))), Z.T @ (y - mu), info

    theta = np.zeros(Z.shape[1])
    loglik, grad, info = evaluate(theta)
    for _ in range(MAX_ITER):
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return None
        # the conditional likelihood is concave: a full Newton step, halved if it overshoots
        size = 1.0
        while True:
            new = evaluate(theta + size * step)
            if new[0] >= loglik - 1e-12 or size < 1e-8:
                break
            size /= 2
        theta = theta + size * step
        loglik, grad, info = new
        if np.max(np.abs(size * step)) < TOLERANCE:
            break
    else:
        return None
    eta = Z @ theta + offset
    G = np.log(totals) - np.log(_month_sums(np.exp(eta), codes, n_months))
    return theta, G


def _month_sums(values: np.ndarray, codes: np.ndarray, n_months: int) -> np.ndarray:
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_months)
    return np.stack(
        [
            np.bincount(codes, weights=values[:, j], minlength=n_months)
            for j in range(values.shape[1])
        ],
        axis=1,
    )


def _shares(eta: np.ndarray, codes: np.ndarray, n_months: int) -> np.ndarray:
    """Each row's share of its month: softmax of ``eta`` within the month."""
    top = np.full(n_months, -np.inf)
    np.maximum.at(top, codes, eta)
    e = np.exp(eta - top[codes])
    return e / _month_sums(e, codes, n_months)[codes]
