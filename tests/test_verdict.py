"""The verdict rule at each boundary, and its sentences."""

import numpy as np
import pytest

from analysis.interventions import Intervention
from analysis.models import fit_its
from analysis.power import PowerAnalysis
from analysis.verdict import LABELS, data_caveats, decide, decide_label, title

from conftest import simulate_series


def label(n_post=24, lower=0.7, upper=0.9, power=0.5, **kw):
    return decide_label(n_post, lower, upper, power, **kw)[0]


def test_minimum_post_months_boundary():
    assert label(n_post=11) == "too_early"  # significant, but too soon
    assert label(n_post=12) == "significant_drop"
    assert label(n_post=5, min_post_months=6) == "too_early"
    assert label(n_post=6, min_post_months=6) == "significant_drop"


def test_interval_touching_no_change_is_not_significant():
    assert label(lower=0.7, upper=1.0, power=0.9) == "no_detectable_change"
    assert label(lower=0.7, upper=0.999) == "significant_drop"
    assert label(lower=1.0, upper=1.3, power=0.9) == "no_detectable_change"
    assert label(lower=1.001, upper=1.3) == "significant_rise"


def test_power_boundary_decides_between_no_change_and_too_early():
    assert label(lower=0.8, upper=1.2, power=0.799) == "too_early"
    assert label(lower=0.8, upper=1.2, power=0.80) == "no_detectable_change"
    assert label(lower=0.8, upper=1.2, power=0.80, target_power=0.9) == "too_early"
    assert label(lower=0.8, upper=1.2, power=None) == "too_early"


def test_planning_horizon_decides_between_too_early_and_cannot_tell():
    """Waiting helps only if power reaches the target within the planning horizon."""
    assert label(n_post=3, power_plan=0.85, plan_months=12) == "too_early"
    assert label(n_post=3, power_plan=0.27, plan_months=12) == "cannot_tell"
    # the window is complete and the interval includes 1 without enough power: cannot tell
    assert label(n_post=12, lower=0.8, upper=1.2, power=0.27, plan_months=12) == "cannot_tell"
    assert label(n_post=6, lower=0.8, upper=1.2, power=0.5, power_plan=0.9, plan_months=12) == (
        "too_early"
    )
    # significance is not affected by the horizon
    assert label(n_post=12, power_plan=0.27, plan_months=12) == "significant_drop"


def test_reasons_explain_the_label():
    _, reasons = decide_label(3, 0.5, 0.9, 0.2, power_plan=0.3, plan_months=12)
    assert reasons == [
        "only 3 months complete since the intervention; the minimum is 12",
        "power for the change that matters stays at 30% after 12 months (target 80%)",
    ]
    _, reasons = decide_label(30, 0.8, 1.1, 0.85)
    assert any("includes 1" in r for r in reasons) and any("85% power" in r for r in reasons)


def _power(power_now, matters_months, current=24):
    return PowerAnalysis(
        effect_that_matters=0.2,
        target_power=0.8,
        n_simulations=100,
        method="simulation",
        current_post_months=current,
        power_now=power_now,
        mde_now=0.35,
        horizons=[current],
        power_matters=[power_now],
        months_to_know_matters=matters_months,
    )


@pytest.fixture(scope="module")
def result():
    series, when = simulate_series(rng=np.random.default_rng(31), effect=0.95, n_post=24)
    return fit_its(series, intervention=when)


def test_decide_writes_sentences_from_the_numbers(result):
    v = decide(result, _power(0.5, 10), place="Testville")
    rr = result.rate_ratio
    assert v.label in LABELS
    assert v.title == title(v.label, Intervention(start=result.spec.intervention))
    pct = f"{abs((rr['estimate'] - 1) * 100):.0f}%"
    assert pct in v.headline + v.supporting
    assert "Testville" in v.headline + v.supporting
    assert "after about 10 months more" in v.when_we_will_know
    assert "estimated so far" not in v.when_we_will_know  # no observed power
    assert v.numbers["n_post_months"] == 24 and v.numbers["power_now"] == 0.5
    assert v.to_dict()["label"] == v.label and len(v.sentences) == 3


def test_when_we_will_know_respects_the_minimum_post_period(result):
    v = decide(result, _power(0.9, 0), place="Testville", min_post_months=30)
    assert v.label == "too_early"  # 24 < 30 months
    assert v.numbers["months_to_know_effect_that_matters"] == 6
    assert "months_to_know_estimated_effect" not in v.numbers
    assert "at least 30 months" in v.when_we_will_know


def test_caveat_when_the_projection_departs_from_the_last_pre_year():
    rising, when = simulate_series(rng=np.random.default_rng(32), trend=0.02, effect=0.7)
    caveats = data_caveats(fit_its(rising, intervention=when))
    assert len(caveats) == 1 and "rising trend" in caveats[0]
    flat, when = simulate_series(rng=np.random.default_rng(33), trend=0.0, n_post=12)
    assert data_caveats(fit_its(flat, intervention=when)) == []


def test_caveat_when_the_data_end_long_before_as_of():
    flat, when = simulate_series(rng=np.random.default_rng(33), trend=0.0, n_post=12)
    r = fit_its(flat, intervention=when)  # data end December 2014
    assert data_caveats(r, as_of="2015-01-15") == []
    caveats = data_caveats(r, as_of="2020-01-01")
    assert caveats == [
        "The source's records end in December 2014; later months are not in the data, so "
        "the verdict speaks of the period up to then."
    ]


def test_decide_without_power_is_a_verdict_not_a_crash(result):
    """The interval includes 1 after 24 months and no power was computed: too early, with
    sentences that say power is unknown (this raised a TypeError before)."""
    assert result.rate_ratio["lower"] < 1 < result.rate_ratio["upper"]
    v = decide(result, None, place="Testville")
    assert v.label == "too_early" and "power was not computed" in v.headline
    assert v.when_we_will_know == "Power was not computed for this run."
