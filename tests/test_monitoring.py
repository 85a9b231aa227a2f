"""Monitoring mode: the alpha-spending boundary against published values, and by simulation
the chance of any false "significant" over monthly looks, with and without it."""

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisData, AnalysisRequest, VerdictCriteria, analyse
from analysis.core import look_z
from analysis.errors import ModelSpecError
from analysis.interventions import Intervention
from analysis.models import ITSSpec, fit_its
from analysis.monitoring import boundaries, inflation, look_at, look_plan, obf_spending, track
from analysis.robustness.placebo import fake_starts, window_fit

from conftest import simulate_series, simulated_panel


def test_boundaries_match_the_published_lan_demets_obrien_fleming_values():
    """Five equally spaced looks, two-sided alpha 0.05 (ldbounds, gsDesign sfLDOF):
    4.877, 3.357, 2.680, 2.290, 2.031."""
    z = boundaries((0.2, 0.4, 0.6, 0.8, 1.0), 0.05)
    assert np.round(z, 3).tolist() == [4.877, 3.357, 2.680, 2.290, 2.031]


def test_one_look_is_the_fixed_sample_test_and_spending_ends_at_alpha():
    assert boundaries((1.0,), 0.05)[0] == pytest.approx(1.959964, abs=1e-5)
    assert float(obf_spending(1.0, 0.05)) == pytest.approx(0.05)
    assert float(obf_spending(0.25, 0.05)) < 0.001  # little is spent early


def test_look_plan_for_monthly_looks():
    plan = look_plan(48, 12, 0.05)
    assert [n for n, _ in plan] == list(range(12, 49))
    z = [c for _, c in plan]
    assert all(a > b for a, b in zip(z, z[1:], strict=False))  # boundaries fall
    assert 1.96 < z[-1] < 2.25 and z[0] > 4
    look = look_at(30, 48, 12, 0.05)
    assert (look.look, look.looks) == (19, 37) and look.nominal_alpha < 0.05
    assert look_at(6, 48, 12, 0.05).look == 0


def test_inflation_is_the_placebo_spread_never_below_one():
    assert inflation([]) == 1.0 and inflation([0.1, -0.2]) == 1.0
    assert inflation([2.0, -2.0, 2.0, -2.0]) == pytest.approx(2.0)
    state = track([(12, -4.0)], 24, 12, 0.05, placebo_z=[2.0, -2.0])
    assert state.inflation == 2.0 and state.history[0][1] == pytest.approx(-2.0)
    assert not state.crossed  # -4 would cross the first boundary; -2 does not


def test_track_finds_the_first_crossing():
    plan = dict(look_plan(24, 12, 0.05))
    looks = [(n, -plan[n] * (0.5 if n < 20 else 1.01)) for n in range(12, 23)]
    state = track(looks, 24, 12, 0.05)
    assert state.crossed_at == 20 and state.direction == -1 and state.look.look == 11


def test_monitoring_mode_in_the_verdict():
    panel, when = simulated_panel(rng=np.random.default_rng(8), n_post=30, effect=0.6)
    request = AnalysisRequest(
        city="Testville",
        as_of="2020-01-01",
        intervention=Intervention(start=when),
        criteria=VerdictCriteria(monitoring_horizon_months=36, max_post_months=36),
    )
    v = analyse(request, AnalysisData(panel=panel)).verdict
    m = v.monitoring
    assert (m["look"], m["looks"], m["horizon_months"]) == (19, 25, 36)
    assert m["boundary_z"] > 1.96 and 0 < m["nominal_alpha"] < 0.05
    assert v.per_look_label == "significant_drop"
    assert v.label == "significant_drop" and m["crossed_at_post_months"] is not None
    assert v.numbers["window_months"] == 36  # the estimate grows with the looks
    with pytest.raises(ModelSpecError, match="monitoring_horizon_months"):
        VerdictCriteria(monitoring_horizon_months=6)


def _looks(rng, horizon=48, first=12):
    """z at every monthly look and at every placebo date of the pre-period (12-month windows
    with 24 months before them), on a series with no effect."""
    series, when = simulate_series(
        rng=rng, n_pre=72, n_post=horizon, base=6.0, effect=1.0, trend=0.004, ar=0.5, ar_sd=0.15
    )
    spec = ITSSpec(intervention=when)
    t0 = series.index.get_loc(pd.Timestamp(when))
    looks = [(n, look_z(fit_its(series.iloc[: t0 + n], spec))) for n in range(first, horizon + 1)]
    pre = series.iloc[:t0]
    placebo = [look_z(window_fit(pre, s, first, spec)) for s in fake_starts(t0, first, 24)]
    return looks, placebo


@pytest.mark.slow
def test_monitoring_keeps_the_false_alarm_rate_over_monthly_looks():
    """No effect, a trend and autocorrelated noise, monthly looks from 12 to 48 months:
    stopping at the first plain "significant" fires far more often than 5%; the
    alpha-spending boundary keeps any false crossing at 5% plus Monte Carlo error."""
    rng = np.random.default_rng(2013)
    n = 150
    plain = uncalibrated = monitored = 0
    for _ in range(n):
        looks, placebo = _looks(rng)
        plain += any(abs(z) >= 1.959964 for _, z in looks)
        uncalibrated += track(looks, 48, 12, 0.05).crossed
        monitored += track(looks, 48, 12, 0.05, placebo_z=placebo).crossed
    mc = 2 * np.sqrt(0.05 * 0.95 / n)
    print(
        f"any false 'significant' over 37 monthly looks ({n} series): plain {plain / n:.3f}, "
        f"boundary alone {uncalibrated / n:.3f}, monitoring (boundary, calibrated) "
        f"{monitored / n:.3f}"
    )
    assert monitored / n <= 0.05 + mc
    assert plain / n > monitored / n + 0.05
