import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_breusch_godfrey

from analysis import diagnostics as diag


@pytest.mark.filterwarnings("ignore:acorr_breusch_godfrey currently returns:FutureWarning")
def test_breusch_godfrey_matches_statsmodels_for_ols():
    rng = np.random.default_rng(1)
    n = 120
    X = sm.add_constant(np.arange(n, dtype=float))
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal()
    y = X @ [1.0, 0.1] + e
    res = sm.OLS(y, X).fit()
    ours = diag.breusch_godfrey(res.resid, X, 12)
    lm, p, _, _ = acorr_breusch_godfrey(res, nlags=12)
    assert abs(ours["statistic"] - lm) < 1e-8 and abs(ours["p_value"] - p) < 1e-8


def test_ljung_box_finds_autocorrelation_and_not_white_noise():
    rng = np.random.default_rng(2)
    white = rng.normal(size=200)
    ar = np.zeros(200)
    for i in range(1, 200):
        ar[i] = 0.6 * ar[i - 1] + rng.normal()
    assert diag.ljung_box(ar, 12)["p_value"] < 0.001
    assert diag.ljung_box(white, 12)["p_value"] > 0.05


def test_lag_is_capped_by_series_length():
    assert diag.usable_lags(20, 12) == 5
    assert diag.ljung_box(np.random.default_rng(3).normal(size=20), 12)["lag"] == 5


def test_dispersion_near_one_for_poisson_and_phi_for_overdispersed():
    rng = np.random.default_rng(4)
    mu = np.full(5000, 10.0)
    y = rng.poisson(mu)
    assert abs(diag.pearson_dispersion((y - mu) / np.sqrt(mu), len(y)) - 1) < 0.06
    phi = 3.0
    y = rng.negative_binomial(mu / (phi - 1), 1 / phi)
    assert abs(diag.pearson_dispersion((y - mu) / np.sqrt(mu), len(y)) - phi) < 0.25


def test_newey_west_rule_and_acf():
    assert diag.newey_west_lags(100) == 4
    assert diag.newey_west_lags(120) == 4
    acf = diag.residual_acf(np.sin(np.arange(48) * 2 * np.pi / 12), 12)
    assert acf[11] > 0.7 and acf[5] < -0.7
