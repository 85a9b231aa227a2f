"""Power by simulation, checked against the Wald test's analytic power."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import ITSSpec, fit_its
from analysis.power import (
    PreModel,
    _first_crossing,
    default_horizons,
    power_analysis,
    simulate_power,
)

from conftest import simulate_series

SPEC = ITSSpec(
    intervention="2013-01-01",
    family="poisson",
    seasonality="none",
    impact="level",
    robust="none",
    offset=False,
)


def analytic_power_wald(n_pre: int, n_post: int, base: float, effect: float, z: float) -> float:
    """Power of the Wald test of the level change in y ~ 1 + t + post (Poisson, log link).

    The variance of the estimate is the inverse Fisher information X' diag(mu) X at the true
    means; the test detects a drop when the upper bound of exp(b +- z se) is below 1.
    """
    n = n_pre + n_post
    t = np.arange(n, dtype=float)
    post = (t >= n_pre).astype(float)
    X = np.column_stack([np.ones(n), t, post])
    mu = base * np.where(post == 1, 1 + effect, 1.0)
    info = X.T @ (mu[:, None] * X)
    se = np.sqrt(np.linalg.inv(info)[2, 2])
    beta = np.log(1 + effect)
    return float(stats.norm.cdf(-beta / se - z))


@pytest.mark.parametrize(("n_post", "effect"), [(12, -0.2), (24, -0.3)])
@pytest.mark.slow
def test_simulated_power_matches_the_wald_test(n_post, effect):
    """Known answer: with a flat Poisson rate of 10 a month, simulated power must agree
    with the analytic Wald power within 3 Monte Carlo standard errors (600 simulations)."""
    n_pre, base, sims = 36, 10.0, 600
    months = pd.date_range("2010-01-01", periods=n_pre, freq="MS")
    pre = PreModel(SPEC, months, np.array([np.log(base), 0.0]), 1.0, 0.0, None)
    simulated = simulate_power(pre, n_post, effect, n_simulations=sims, seed=5)
    expected = analytic_power_wald(n_pre, n_post, base, effect, SPEC.z)
    mc_se = np.sqrt(expected * (1 - expected) / sims)
    assert 0.2 < expected < 0.95  # a case where the comparison means something
    assert abs(simulated - expected) < 3 * mc_se


def test_power_at_no_change_is_refused():
    months = pd.date_range("2010-01-01", periods=24, freq="MS")
    pre = PreModel(SPEC, months, np.array([np.log(10.0), 0.0]), 1.0, 0.0, None)
    with pytest.raises(ValueError, match="non-zero"):
        simulate_power(pre, 12, 0.0)


def test_first_crossing_interpolates_and_says_never():
    horizons, powers = [2, 6, 12], [0.1, 0.5, 0.9]
    # 0.8 is crossed at 6 + 0.75 * 6 = 10.5 -> month 11 of post data: 9 more than the 2 in hand
    assert _first_crossing(horizons, powers, 0.8, current=2) == 9
    assert _first_crossing(horizons, [0.85, 0.9, 0.95], 0.8, current=2) == 0
    assert _first_crossing(horizons, [0.1, 0.2, 0.3], 0.8, current=2) is None
    assert default_horizons(14, 60) == [3, 6, 9, 12, 14, 18, 24, 30, 36, 48, 60]
    # only horizons from now on decide when we will know
    assert _first_crossing([3, 6, 12], [0.9, 0.1, 0.9], 0.8, current=6) == 6


@pytest.fixture(scope="module")
def analysis_of_strong_drop():
    series, when = simulate_series(rng=np.random.default_rng(21), effect=0.6, n_post=24)
    result = fit_its(series, intervention=when, robust="none")
    return result, power_analysis(result, n_simulations=100, max_post_months=36)


def test_power_analysis_reports_when_we_will_know(analysis_of_strong_drop):
    result, power = analysis_of_strong_drop
    now = power.horizons.index(24)
    assert power.current_post_months == 24 and power.horizons[0] == 3  # the whole horizon
    # observed power (power at the estimated effect) is not computed: it restates the p-value
    assert not hasattr(power, "power_estimated") and not hasattr(power, "estimated_effect")
    assert 0 < power.mde_now < 0.4  # smaller changes than the estimate are detectable
    assert power.at(24) == power.power_matters[now]
    frame = power.frame()
    assert list(frame["post_months"]) == power.horizons
    assert power.to_dict()["mc_se_now"] == pytest.approx(power.mc_se_now)


def test_power_grows_with_effect_size(analysis_of_strong_drop):
    result, _ = analysis_of_strong_drop
    from analysis.power import pre_period_model

    pre = pre_period_model(result)
    small = simulate_power(pre, 12, -0.05, n_simulations=150)
    large = simulate_power(pre, 12, -0.4, n_simulations=150)
    assert small < 0.3 < 0.9 < large


@pytest.fixture(scope="module")
def stockton_pre_models(stockton):
    """Stockton's pre-period models (data to 2014-12) for both estimators."""
    from analysis.power import pre_period_model

    return {
        est: pre_period_model(fit_its(stockton.loc[:"2014-12-01"], estimator=est, robust="none"))
        for est in ("segmented", "forecast")
    }


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("estimator", "n_post", "effect", "slack"),
    [
        ("segmented", 12, -0.2, 0.03),
        ("segmented", 36, -0.3, 0.03),
        ("segmented", 24, 0.25, 0.03),
        ("forecast", 36, -0.3, 0.05),
    ],
)
@pytest.mark.slow
def test_analytic_power_agrees_with_simulation(
    stockton_pre_models, estimator, n_post, effect, slack
):
    """The analytic Wald power (the default) against 400 simulated series refitted with the
    analysis' own model: within 3 Monte Carlo standard errors plus ``slack``."""
    from analysis.power import analytic_power

    pre = stockton_pre_models[estimator]
    analytic = analytic_power(pre, n_post, effect)
    simulated = simulate_power(pre, n_post, effect, n_simulations=400, seed=11)
    mc_se = np.sqrt(analytic * (1 - analytic) / 400)
    assert 0.1 < analytic < 0.9
    assert abs(simulated - analytic) <= 3 * mc_se + slack


def test_analytic_power_is_the_wald_power_and_grows_with_the_effect():
    """Known answer: for the flat Poisson case the analytic method is the Wald test's power
    at the Fisher information (the reference above); no Monte Carlo error."""
    from analysis.power import analytic_power

    months = pd.date_range("2010-01-01", periods=36, freq="MS")
    pre = PreModel(SPEC, months, np.array([np.log(10.0), 0.0]), 1.0, 0.0, None)
    powers = [analytic_power(pre, 12, -e) for e in (0.05, 0.1, 0.2, 0.4)]
    assert powers == sorted(powers) and powers[-1] > 0.8
    for n_post, effect in ((12, -0.2), (24, -0.3)):
        expected = analytic_power_wald(36, n_post, 10.0, effect, SPEC.z)
        assert analytic_power(pre, n_post, effect) == pytest.approx(expected, rel=1e-9)
