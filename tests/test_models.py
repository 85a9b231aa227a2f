"""ITS models: the published tutorial, simulations with known effects, input checks."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.errors import InsufficientDataError, ModelSpecError, SeriesError
from analysis.models import FAMILIES, SEASONALITIES, ITSSpec, fit_its, required_months

from conftest import simulate_series


@pytest.fixture(scope="module")
def sicily(mirror):
    d = pd.read_csv(mirror / "sicily.csv")
    months = pd.to_datetime({"year": d["year"], "month": d["month"], "day": 1})
    series = pd.DataFrame(
        {"count": d["aces"].to_numpy(), "population": d["stdpop"].to_numpy()},
        index=pd.DatetimeIndex(months),
    )
    return series, d


SICILY = {"intervention": "2005-01-01", "robust": "none", "offset": True}


# --- the published result ---------------------------------------------------------------


@pytest.mark.realdata
def test_reproduces_the_published_tutorial_model(sicily):
    """Lopez Bernal, Cummins & Gasparrini (IJE 2017): quasi-Poisson, 2 harmonic pairs,
    offset log(stdpop), step change: RR 0.885 (95% CI 0.839 to 0.933)."""
    series, _ = sicily
    r = fit_its(
        series, family="quasipoisson", seasonality="harmonic", harmonics=2, impact="level", **SICILY
    )
    level = r.effects.loc["level_change"]
    assert round(level["estimate"], 3) == 0.885
    assert round(level["lower"], 3) == 0.839
    assert round(level["upper"], 3) == 0.933
    assert level["interval"] == "confidence"


@pytest.mark.realdata
def test_default_path_reproduces_the_published_tutorial_interval(sicily):
    """The project's default specification (robust="auto", its own pre-test level) with the
    tutorial's model gives the published RR and interval: the pre-test finds residual
    autocorrelation, but Newey-West errors would be narrower, so the model-based
    quasi-Poisson errors stay."""
    series, _ = sicily
    r = fit_its(series, ITSSpec(intervention="2005-01-01", harmonics=2))
    level = r.effects.loc["level_change"]
    assert (round(level["estimate"], 3), round(level["lower"], 3), round(level["upper"], 3)) == (
        0.885,
        0.839,
        0.933,
    )
    assert r.diagnostics["autocorrelation_detected"] and not r.diagnostics["robust_errors"]
    assert "narrower" in r.diagnostics["robust_reason"]


def _glm(d, formula_cols, family, scale=None):
    X = sm.add_constant(d[formula_cols].astype(float))
    res = sm.GLM(d["aces"], X, family=family, offset=np.log(d["stdpop"]))
    return res.fit(scale=scale) if scale else res.fit()


@pytest.mark.realdata
@pytest.mark.parametrize("family", ["poisson", "quasipoisson"])
def test_tutorial_models_without_seasonality(sicily, family):
    """The tutorial's model1 (Poisson) and model2 (quasi-Poisson): smokban + time, no
    seasonality; checked against a direct GLM fit of the tutorial's own design, and the
    quasi-Poisson errors are the Poisson errors times the square root of the dispersion."""
    series, d = sicily
    r = fit_its(series, family=family, seasonality="none", impact="level", **SICILY)
    ref = _glm(
        d,
        ["smokban", "time"],
        sm.families.Poisson(),
        scale="X2" if family == "quasipoisson" else None,
    )
    assert r.fit.params["level"] == pytest.approx(ref.params["smokban"], rel=1e-9)
    se = np.sqrt(r.fit.cov.loc["level", "level"])
    assert se == pytest.approx(ref.bse["smokban"], rel=1e-7)
    if family == "quasipoisson":
        poisson = fit_its(series, family="poisson", seasonality="none", impact="level", **SICILY)
        ratio = se / np.sqrt(poisson.fit.cov.loc["level", "level"])
        assert ratio == pytest.approx(np.sqrt(r.fit.scale), rel=1e-6)
        assert r.fit.scale > 1  # the tutorial's point: the data are overdispersed


@pytest.mark.realdata
def test_tutorial_step_and_slope_model(sicily):
    """The tutorial's model4: smokban + time + I(time-36):smokban + harmonic(month,2,12).
    Its slope term is 1 in the first post month, ours 0 (Stata itsa), so our level change is
    the tutorial's level plus its slope; the slope change is the same."""
    series, d = sicily
    r = fit_its(
        series,
        family="quasipoisson",
        seasonality="harmonic",
        harmonics=2,
        impact="level_and_slope",
        **SICILY,
    )
    d = d.assign(after=(d["time"] - 36) * d["smokban"])
    for k in (1, 2):
        d[f"s{k}"] = np.sin(2 * np.pi * k * d["month"] / 12)
        d[f"c{k}"] = np.cos(2 * np.pi * k * d["month"] / 12)
    ref = _glm(
        d, ["smokban", "time", "after", "s1", "c1", "s2", "c2"], sm.families.Poisson(), scale="X2"
    )
    assert r.fit.params["slope"] == pytest.approx(ref.params["after"], rel=1e-7)
    assert r.fit.params["level"] == pytest.approx(
        ref.params["smokban"] + ref.params["after"], rel=1e-7
    )


# --- simulations with known effects -------------------------------------------------------

R = 400  # replications; binomial SE of a 95% coverage is 0.011, tolerance 0.03 (~2.75 SE)
TRUE_RR = 0.8


def _coverage(dgp, row="level_change", truth=TRUE_RR, effect=TRUE_RR, seed=123, **spec):
    rng = np.random.default_rng(seed)
    hits, estimates = 0, []
    for _ in range(R):
        series, when = simulate_series(rng=rng, effect=effect, **dgp)
        e = fit_its(series, intervention=when, **spec).effects.loc[row]
        hits += e["lower"] <= truth <= e["upper"]
        estimates.append(e["estimate"])
    return hits / R, np.array(estimates)


@pytest.mark.parametrize(
    ("dgp", "family"),
    [({}, "poisson"), ({"dispersion": 2.0}, "quasipoisson"), ({"dispersion": 2.0}, "negbin")],
    ids=["poisson", "overdispersed-quasipoisson", "overdispersed-negbin"],
)
@pytest.mark.slow
def test_level_change_recovered_and_intervals_cover(dgp, family):
    coverage, est = _coverage(dgp, family=family, robust="none")
    assert abs(np.mean(np.log(est)) - np.log(TRUE_RR)) < 0.02  # unbiased on the log scale
    assert abs(coverage - 0.95) <= 0.03


@pytest.mark.slow
def test_forecast_estimator_prediction_interval_covers_under_no_effect():
    coverage, est = _coverage(
        {},
        row="average_relative_effect",
        truth=0.0,
        effect=1.0,
        family="quasipoisson",
        estimator="forecast",
        robust="none",
    )
    assert abs(np.mean(est)) < 0.02
    assert abs(coverage - 0.95) <= 0.03


@pytest.mark.slow
def test_forecast_estimator_recovers_a_drop():
    coverage, est = _coverage(
        {},
        row="average_relative_effect",
        truth=TRUE_RR - 1,
        family="quasipoisson",
        estimator="forecast",
        robust="none",
    )
    assert abs(np.mean(est) - (TRUE_RR - 1)) < 0.02
    assert abs(coverage - 0.95) <= 0.03


@pytest.mark.slow
def test_robust_errors_react_to_autocorrelation():
    """AR(1) noise on the log rate: model-based intervals under-cover; HAC (and 'auto', which
    detects the autocorrelation) cover more often on the same simulated series. Neither
    reaches 95% with 120 months (a known small-sample limit of Newey-West)."""
    dgp = {"ar": 0.6, "ar_sd": 0.15}
    naive, _ = _coverage(dgp, family="quasipoisson", robust="none")
    hac, _ = _coverage(dgp, family="quasipoisson", robust="hac")
    auto, _ = _coverage(dgp, family="quasipoisson", robust="auto")
    assert naive < 0.90
    assert hac > naive and auto > naive


@pytest.mark.slow
def test_naive_poisson_undercovers_overdispersed_counts():
    coverage, _ = _coverage({"dispersion": 2.0}, family="poisson", robust="none")
    assert coverage < 0.90  # why quasi-Poisson is the default


def test_auto_robust_switches_only_when_autocorrelated():
    rng = np.random.default_rng(7)
    series, when = simulate_series(rng=rng, ar=0.8, ar_sd=0.3)
    r = fit_its(series, intervention=when, robust="auto")
    assert r.diagnostics["robust_errors"] and "Newey-West" in r.fit.cov_label
    series, when = simulate_series(rng=np.random.default_rng(8))
    r = fit_its(series, intervention=when, robust="auto")
    assert not r.diagnostics["robust_errors"] and r.fit.cov_label.startswith("model-based")


def test_gaussian_family_with_hac_recovers_an_additive_step():
    rng = np.random.default_rng(9)
    n_pre, n_post = 72, 48
    months = pd.date_range("2008-01-01", periods=n_pre + n_post, freq="MS")
    y = 50 + 0.1 * np.arange(len(months)) - 8.0 * (np.arange(len(months)) >= n_pre)
    y = y + rng.normal(0, 3, len(months))
    series = pd.DataFrame({"count": y}, index=months)
    r = fit_its(
        series,
        intervention=f"{months[n_pre]:%Y-%m-%d}",
        family="gaussian",
        offset=False,
        seasonality="none",
        robust="hac",
    )
    level = r.effects.loc["level_change"]
    assert level["scale"] == "count"
    assert level["lower"] < -8.0 < level["upper"]


# --- the results object -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_result():
    series, when = simulate_series(rng=np.random.default_rng(11))
    return fit_its(series, intervention=when)


def test_results_object_reports(sim_result):
    r = sim_result
    text = r.summary()
    assert "95% intervals" in text and "level_change" in text and "dispersion" in text
    table, sentence = r.effect_summary()
    assert {"estimate", "lower", "upper", "p_value", "interval"} <= set(table.columns)
    assert "95% confidence interval" in sentence
    doc = json.loads(json.dumps(r.to_dict(), allow_nan=True))
    assert doc["sample"]["n_pre"] == 72 and doc["sample"]["n_post"] == 48
    assert doc["confidence_level"] == 0.95


def test_bands_are_named_and_prediction_is_wider(sim_result):
    data = sim_result.get_plot_data()
    post = data[data["post"]]
    mean_width = post["counterfactual_mean_upper"] - post["counterfactual_mean_lower"]
    obs_width = post["counterfactual_obs_upper"] - post["counterfactual_obs_lower"]
    assert (obs_width > mean_width).all()
    assert (post["counterfactual_mean_lower"] <= post["counterfactual"]).all()


def test_cumulative_difference_is_observed_minus_counterfactual(sim_result):
    frame = sim_result.effect_frame()
    expected = (frame["observed"] - frame["counterfactual"]).sum()
    assert frame["cumulative"].iloc[-1] == pytest.approx(expected)
    row = sim_result.effects.loc["cumulative_difference"]
    assert row["estimate"] == pytest.approx(expected)
    # its p-value is the one of its own interval: the interval excludes 0 exactly when p < alpha
    assert (row["p_value"] < 0.05) == (row["upper"] < 0 or row["lower"] > 0)


def test_confidence_level_is_one_setting():
    series, when = simulate_series(rng=np.random.default_rng(12))
    wide = fit_its(series, intervention=when, robust="none").effects.loc["level_change"]
    narrow = fit_its(series, intervention=when, robust="none", confidence_level=0.80).effects.loc[
        "level_change"
    ]
    assert narrow["upper"] - narrow["lower"] < wide["upper"] - wide["lower"]
    assert narrow["estimate"] == pytest.approx(wide["estimate"])


# --- input checks ----------------------------------------------------------------------------


@pytest.fixture
def good():
    series, _ = simulate_series(rng=np.random.default_rng(13))
    return series


def test_unsorted_months(good):
    with pytest.raises(SeriesError, match="not sorted"):
        fit_its(good.iloc[::-1], intervention="2014-01-01")


def test_duplicated_months(good):
    with pytest.raises(SeriesError, match="duplicated month"):
        fit_its(pd.concat([good, good.iloc[:1]]).sort_index(), intervention="2014-01-01")


def test_gap_in_months(good):
    with pytest.raises(SeriesError, match="missing inside the series.*2009-03"):
        fit_its(good.drop(pd.Timestamp("2009-03-01")), intervention="2014-01-01")


def test_too_few_months_says_how_many(good):
    with pytest.raises(InsufficientDataError, match="needs at least 12 before"):
        fit_its(good, intervention="2008-07-01")
    with pytest.raises(InsufficientDataError, match="needs at least 12 before and 2 after"):
        fit_its(good.loc[:"2014-01-01"], intervention="2014-01-01", impact="level_and_slope")
    assert required_months(ITSSpec(seasonality="none")) == (6, 1)


def test_intervention_outside_the_data(good):
    with pytest.raises(SeriesError, match="outside the data's months 2008-01 to 2017-12"):
        fit_its(good, intervention="2019-01-01")


def test_all_zero_series(good):
    with pytest.raises(SeriesError, match="every month is 0"):
        fit_its(good.assign(count=0), intervention="2014-01-01")


def test_negative_or_fractional_counts(good):
    bad = good.astype({"count": float})
    bad.iloc[3, 0] = 2.5
    with pytest.raises(SeriesError, match="non-negative whole counts.*2008-04"):
        fit_its(bad, intervention="2014-01-01")
    bad.iloc[3, 0] = -1
    with pytest.raises(SeriesError, match="non-negative whole counts"):
        fit_its(bad, intervention="2014-01-01", family="negbin")


def test_missing_population_for_offset(good):
    bad = good.copy()
    bad.iloc[5, 1] = np.nan
    with pytest.raises(SeriesError, match="population missing.*2008-06"):
        fit_its(bad, intervention="2014-01-01")
    fit_its(bad, intervention="2014-01-01", offset=False)  # fine without the offset


def test_bad_specification_names_the_choices():
    with pytest.raises(ModelSpecError, match="family='binomial'"):
        ITSSpec(family="binomial")
    with pytest.raises(ModelSpecError, match="offset=True needs a count family"):
        ITSSpec(family="gaussian", offset=True)
    with pytest.raises(ModelSpecError, match="harmonics=9"):
        ITSSpec(harmonics=9)
    with pytest.raises(ModelSpecError, match="harmonics='two': give a whole number"):
        ITSSpec(harmonics="two")
    with pytest.raises(ModelSpecError, match="autocorrelation_alpha=0.7"):
        ITSSpec(autocorrelation_alpha=0.7)


def test_offset_follows_the_family_unless_given():
    """One rule, in the specification: a log-population offset for count families only."""
    assert ITSSpec().offset is True and ITSSpec(family="negbin").offset is True
    assert ITSSpec(family="gaussian").offset is False
    assert ITSSpec(family="poisson", offset=False).offset is False


def test_the_pretest_level_is_its_own_setting(good):
    """Asking for 90% intervals must not change whether robust errors switch on."""
    a = fit_its(good, intervention="2014-01-01", robust="auto")
    b = fit_its(good, intervention="2014-01-01", robust="auto", confidence_level=0.90)
    assert a.diagnostics["robust_errors"] == b.diagnostics["robust_errors"]
    assert a.diagnostics["alpha"] == b.diagnostics["alpha"] == 0.05
    strict = fit_its(good, intervention="2014-01-01", robust="auto", autocorrelation_alpha=0.2)
    assert strict.diagnostics["alpha"] == 0.2


# --- Stockton ---------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("seasonality", SEASONALITIES)
@pytest.mark.slow
def test_stockton_every_family_and_seasonality_at_every_cut(stockton, family, seasonality):
    """Data cut at every month from 2012-12 to 2016-12, both estimators."""
    cuts = pd.date_range("2012-12-01", "2016-12-01", freq="MS")
    for estimator in ("segmented", "forecast"):
        for cut in cuts:
            r = fit_its(
                stockton.loc[:cut],
                family=family,
                seasonality=seasonality,
                estimator=estimator,
                offset=family != "gaussian",
            )
            rr = r.rate_ratio
            assert np.isfinite([rr["estimate"], rr["lower"], rr["upper"]]).all()
            assert rr["lower"] <= rr["estimate"] <= rr["upper"]
            assert r.n_post == len(stockton.loc["2012-11-01":cut])


@pytest.mark.realdata
@pytest.mark.parametrize("estimator", ["segmented", "forecast"])
def test_the_running_total_never_contradicts_the_rate_ratio(stockton, estimator):
    """At every cut from 2012-12 to 2016-12 the total's interval excludes 0 exactly when the
    rate ratio's excludes 1 (before, at three post months the total said p = 0.001 while the
    rate ratio said p = 0.057), and the total lies inside its interval."""
    for cut in pd.date_range("2012-12-01", "2016-12-01", freq="MS"):
        r = fit_its(stockton.loc[:cut], estimator=estimator)
        rr, cum = r.rate_ratio, r.effects.loc["cumulative_difference"]
        assert (rr["upper"] < 1 or rr["lower"] > 1) == (cum["upper"] < 0 or cum["lower"] > 0)
        assert cum["lower"] <= cum["estimate"] <= cum["upper"]
        assert cum["p_value"] == pytest.approx(rr["p_value"])


# --- the month effects profiled out (the comparative model's fit) ------------------------


def _panel(seed, n_cities=4, n_months=60, zero_month=None):
    rng = np.random.default_rng(seed)
    months = np.repeat(np.arange(n_months), n_cities)
    city = np.tile(np.arange(n_cities), n_months)
    shock = rng.normal(0, 0.3, n_months)[months]
    level = np.log(rng.uniform(5, 20, n_cities))[city]
    trend = 0.004 * months * (city == 1)
    step = ((city == 0) & (months >= n_months // 2)).astype(float)
    offset = np.log(rng.uniform(2e5, 6e5, n_cities))[city] - 12
    y = rng.poisson(np.exp(level + shock + trend + np.log(0.7) * step + offset + 12))
    if zero_month is not None:
        y[months == zero_month] = 0
    cities = [(city == c).astype(float) for c in range(1, n_cities)]
    dummies = (months[:, None] == np.arange(1, n_months)).astype(float)
    X = np.column_stack([np.ones(len(y)), *cities, months * (city == 1), dummies, step])
    free = [*range(1, n_cities + 1), X.shape[1] - 1]
    return y.astype(float), X, offset, months, free


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_profiled_month_effects_equal_the_full_quasipoisson_fit(seed):
    """The multinomial-Poisson transformation: the same estimates and covariance as
    statsmodels' GLM of the full design (one dummy per month)."""
    from analysis.robustness.fits import _month_effects_fit

    y, X, offset, months, free = _panel(seed)
    names = [f"x{i}" for i in range(X.shape[1])]
    fast = _month_effects_fit(y, X, names, offset, months, free)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(scale="X2", tol=1e-12)
    assert fast is not None
    np.testing.assert_allclose(fast.beta, glm.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast.vcov, glm.cov_params(), rtol=1e-6, atol=1e-12)
    assert fast.scale == pytest.approx(glm.scale, rel=1e-8)
    np.testing.assert_allclose(fast.mu, glm.fittedvalues, rtol=1e-8)


def test_a_month_without_events_falls_back_to_the_full_fit():
    """A month whose every city had no event has an effect of minus infinity: the profile
    declines and the panel is fitted by IRLS, as before."""
    from analysis.models.panel import profile_month_effects

    y, X, offset, months, free = _panel(4, zero_month=7)
    assert profile_month_effects(y, X[:, free], offset, months, 60) is None
    y, X, offset, months, free = _panel(4)
    assert profile_month_effects(y, X[:, free], offset, months, 60) is not None
