"""The robustness checks: simulations with known effects, the synthetic control's weights,
control eligibility, placebo dates, and the calibration of an unqualified verdict."""

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisData, AnalysisRequest, VerdictCriteria, analyse
from analysis.interventions import Intervention
from analysis.robustness import ComparisonSetup, eligibility, named_periods
from analysis.robustness.periods import end_month, segments
from analysis.robustness.synthetic import simplex_weights
from analysis.series import SERIES_COLUMNS

START = "2013-01-01"
CITIES = {"Treated": 8.0, "North": 5.0, "South": 6.0, "East": 4.0, "West": 7.0}


def panel(
    rng,
    *,
    treated_effect=1.0,
    shared_effect=1.0,
    pre=72,
    post=24,
    cities=CITIES,
    noise=0.0,
    treated_rows=None,
):
    """Monthly counts for several cities: a common seasonality and trend, a city level,
    optional log-normal AR(1) noise per city; ``treated_effect`` multiplies the treated
    city's post months, ``shared_effect`` every city's (a shock all cities share)."""
    months = pd.date_range(
        pd.Timestamp(START) - pd.DateOffset(months=pre), periods=pre + post, freq="MS"
    )
    t = np.arange(len(months))
    season = 0.15 * np.cos(2 * np.pi * months.month / 12)
    rows = []
    for city, level in cities.items():
        e = np.zeros(len(t))
        for i in range(1, len(t)):
            e[i] = 0.5 * e[i - 1] + noise * rng.standard_normal()
        mu = level * np.exp(season + 0.002 * t + e)
        post_mask = t >= pre
        mu = mu * np.where(post_mask, shared_effect, 1.0)
        if city == "Treated":
            mu = mu * np.where(post_mask, treated_effect, 1.0)
        y = rng.poisson(mu)
        if city == "Treated" and treated_rows is not None:
            y = treated_rows
        rows.append(
            pd.DataFrame(
                {
                    "city": city,
                    "month": months,
                    "status": "complete",
                    "victims": pd.array(y, dtype="Int64"),
                    "incidents": pd.array(y, dtype="Int64"),
                    "victims_partial": pd.array([pd.NA] * len(t), dtype="Int64"),
                    "population": 300_000.0,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["victims_per_100k"] = out["victims"].astype(float) / out["population"] * 1e5
    return out[SERIES_COLUMNS]


PROGRAMME = Intervention(
    start=START,
    name="Test programme",
    short_name="programme",
    end_earliest="2013-03-20",
    end_latest="2013-05-01",
)
CRITERIA = VerdictCriteria(max_post_months=24)


def run(data, **kw):
    request = AnalysisRequest(
        city="Treated", as_of="2016-01-01", intervention=PROGRAMME, criteria=CRITERIA, **kw
    )
    return analyse(request, AnalysisData(panel=data))


# --- periods ------------------------------------------------------------------------------


def test_named_periods_from_the_intervention():
    periods = named_periods(PROGRAMME, pd.Timestamp(START), 12)
    assert [p.key for p in periods] == ["during", "first_year", "later"]
    during, first, later = periods
    assert during.label == "during the programme"
    assert (during.start, during.end) == (pd.Timestamp("2013-01-01"), pd.Timestamp("2013-03-01"))
    assert "uncertain" in during.note
    assert first.end == pd.Timestamp("2013-12-01") and later.start == pd.Timestamp("2014-01-01")
    # mutually exclusive segments that rebuild every period
    assert segments(periods) == [
        (pd.Timestamp("2013-01-01"), pd.Timestamp("2013-03-01")),
        (pd.Timestamp("2013-04-01"), pd.Timestamp("2013-12-01")),
        (pd.Timestamp("2014-01-01"), None),
    ]
    # a month counts when the programme ran for at least half of it
    assert end_month("2013-01-28") == pd.Timestamp("2013-01-01")
    assert end_month("2013-03-01") == pd.Timestamp("2013-02-01")
    # no end known: no "during" period, and no programme's name for an unnamed date
    plain = named_periods(Intervention(start=START), pd.Timestamp(START), 12)
    assert [p.key for p in plain] == ["first_year", "later"]


# --- the comparative estimators tell a treated-only effect from a shared shock -------------


@pytest.fixture(scope="module")
def treated_only():
    return run(panel(np.random.default_rng(1), treated_effect=0.6))


@pytest.fixture(scope="module")
def shared_shock():
    return run(panel(np.random.default_rng(2), shared_effect=0.6))


def test_a_drop_in_the_treated_city_only_is_confirmed(treated_only):
    v, rb = treated_only.verdict, treated_only.robustness
    comp = rb.comparative.set_index("period").loc["first_year"]
    assert comp["upper"] < 1 and 0.45 < comp["estimate"] < 0.8  # true 0.6
    sc = rb.synthetic["periods"].set_index("period").loc["first_year"]
    assert 0.45 < sc["ratio"] < 0.8
    assert v.label == "significant_drop"
    assert rb.checks["comparative"] is True and rb.checks["primary"] is True
    assert "against comparison cities" in v.robustness_summary


def test_a_shock_every_city_shared_is_not_credited_to_the_programme(shared_shock):
    v, rb = shared_shock.verdict, shared_shock.robustness
    # against its own past trend the treated city dropped ...
    assert v.label == "significant_drop" and v.numbers["rate_ratio_upper"] < 1
    # ... but so did every comparison city: the comparative estimate sees no change
    comp = rb.comparative.set_index("period").loc["first_year"]
    assert comp["lower"] < 1 < comp["upper"] and 0.8 < comp["estimate"] < 1.25
    assert rb.checks["comparative"] is False and not v.robust
    assert "comparison cities" in v.qualifier and "do not confirm" in v.title
    assert "against comparison cities" not in v.robustness_summary  # said once, not twice


def test_window_and_data_end_are_told_apart(treated_only):
    """The primary fit stops with the 12-month window; the caveat about where the records end
    speaks of the data (December 2014), not of the window (December 2013)."""
    assert treated_only.result.months[-1] == pd.Timestamp("2013-12-01")
    assert treated_only.data_through == pd.Timestamp("2014-12-01")
    assert len(treated_only.after_window) == 12
    ends = [c for c in treated_only.verdict.data_caveats if "records end" in c]
    assert ends and "December 2014" in ends[0]


def test_event_study_opens_at_the_start(treated_only):
    es = treated_only.robustness.event_study
    pre, post = es[~es["post"]], es[es["post"]]
    assert (post["estimate"] < 0.85).mean() >= 0.75  # the drop shows from the first quarter
    assert (pre["lower"] < 1).all() or (pre["upper"] > 1).mean() > 0.8  # no gap before


def test_synthetic_control_weights_and_placebo_in_space(treated_only):
    sc = treated_only.robustness.synthetic
    w = np.array(list(sc["weights"].values()))
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    donors = set(treated_only.robustness.eligible_controls)
    space = sc["placebo_in_space"]
    assert set(space.loc[~space["treated"], "city"]) == donors  # every eligible donor
    assert sc["smallest_p_value"] == pytest.approx(1 / (len(donors) + 1))
    assert sc["can_reach_level"] is False  # 4 donors: 1/5 > 0.05, and the report says so
    assert any("cannot reach" in n for n in treated_only.robustness.notes)


def test_simplex_weights_recover_a_known_mix():
    rng = np.random.default_rng(5)
    donors = rng.normal(size=(200, 4))
    target = donors @ np.array([0.5, 0.3, 0.2, 0.0])
    w = simplex_weights(target, donors)
    assert w == pytest.approx([0.5, 0.3, 0.2, 0.0], abs=1e-4)
    far = simplex_weights(donors[:, 0] * 3.0, donors)  # outside the hull: still on the simplex
    assert (far >= 0).all() and far.sum() == pytest.approx(1.0)


# --- control eligibility -------------------------------------------------------------------


def test_control_eligibility_reports_every_city_with_a_reason():
    data = panel(np.random.default_rng(3))
    short = data["city"].eq("East") & (data["month"] < pd.Timestamp("2011-06-01"))
    data.loc[short, "status"] = "outside_coverage"
    setup = ComparisonSetup(
        roles=(("North", "excluded", "got the same programme"),),
        events=(("South", "Own initiative", "2012-10-01"),),
        exclude=(("West", "asked by the analyst"),),
    )
    table = eligibility(data, "Treated", pd.Timestamp(START), setup).set_index("city")
    assert not table["eligible"].any()
    assert table.loc["North", "reason"] == "got the same programme"
    assert "Own initiative" in table.loc["South", "reason"]
    assert "configuration" in table.loc["West", "reason"]
    assert "only 19 complete months" in table.loc["East", "reason"]
    assert table.loc["Treated", "reason"] == "the city analysed"
    default = eligibility(data, "Treated", pd.Timestamp(START), ComparisonSetup()).set_index("city")
    assert default.loc["North", "eligible"] and "by default" in default.loc["North", "reason"]


def test_no_eligible_control_qualifies_a_significant_verdict():
    data = panel(np.random.default_rng(4), treated_effect=0.5)
    setup = ComparisonSetup(exclude=tuple((c, "test") for c in CITIES if c != "Treated"))
    outcome = run(data, comparison=setup)
    assert outcome.verdict.label == "significant_drop"
    assert outcome.robustness.checks["comparative"] is None and not outcome.verdict.robust
    assert "no comparison city" in outcome.verdict.qualifier


# --- placebo in time, and calibration -------------------------------------------------------


def test_placebo_dates_fill_the_pre_period(treated_only):
    pt = treated_only.robustness.placebo_time
    # 72 pre months, 24 before the first fake date, a 12-month window before the real one
    assert len(pt) == 72 - 24 - 12 + 1
    assert pt["start"].min() == pd.Timestamp("2009-01-01")
    assert pt["start"].max() == pd.Timestamp("2012-01-01")
    rb = treated_only.robustness
    assert 0 <= rb.false_alarm_unqualified <= rb.false_alarm_plain <= 1


def _calibration(rng, n, *, select_record_year):
    """Share of plain and of unqualified "significant" verdicts under no effect."""
    plain = unqualified = 0
    for _ in range(n):
        rows = None
        if select_record_year:
            # of five draws of the treated series, keep the one whose last pre year is the
            # highest: a city chosen after a record year (regression to the mean)
            draws = [panel(rng, noise=0.15, pre=60) for _ in range(5)]
            pick = max(
                draws, key=lambda d: d[(d["city"] == "Treated")]["victims"].iloc[48:60].sum()
            )
            rows = pick[pick["city"] == "Treated"]["victims"].to_numpy()
        data = panel(rng, noise=0.15, treated_rows=rows, pre=60)
        v = run(data, comparison=ComparisonSetup(extras=False)).verdict
        significant = v.label.startswith("significant")
        plain += significant
        unqualified += significant and v.robust
    return plain / n, unqualified / n


@pytest.mark.slow
@pytest.mark.parametrize("select_record_year", [False, True], ids=["random", "record-year"])
def test_unqualified_significance_is_calibrated_under_no_effect(select_record_year):
    n = 100
    plain, unqualified = _calibration(
        np.random.default_rng(11), n, select_record_year=select_record_year
    )
    mc = 2 * np.sqrt(0.05 * 0.95 / n)
    print(f"no effect, {n} panels: plain rule {plain:.2f}, unqualified {unqualified:.2f}")
    assert unqualified <= 0.05 + mc, (plain, unqualified)
    if select_record_year:
        assert plain > unqualified  # the plain rule is fooled by regression to the mean


@pytest.mark.realdata
def test_stockton_placebo_false_alarm_rates(real_cleaning, real_population):
    from analysis.pipeline.params import make_request, project_registry

    request = make_request("Stockton", "2017-12-31", registry=project_registry())
    outcome = analyse(
        request, AnalysisData(incidents=real_cleaning.incidents, population=real_population)
    )
    rb = outcome.robustness
    # 35 fake dates inside 2009-2011: the plain rule fires at 12 (a third); every check
    # together at 1 of them
    assert len(rb.placebo_time) == 35
    assert rb.false_alarm_plain == pytest.approx(12 / 35)
    assert rb.false_alarm_unqualified <= 2 / 35
    assert set(rb.eligible_controls) == {"Fresno", "Sacramento"}
    reasons = rb.controls.set_index("city")["reason"]
    assert "CHP deployment" in reasons["Oakland"] and "only 10" in reasons["San Bernardino"]
    v = outcome.verdict
    assert v.label == "significant_drop" and v.qualifier and not v.robust


def test_a_month_no_city_had_a_homicide_adds_nothing_to_the_comparison():
    """With month fixed effects such a month carries no information about the treated
    city's change: the estimate is that of the panel without it (fitted by IRLS instead of
    the profiled month effects, which decline it)."""
    from analysis.models import ITSSpec
    from analysis.robustness.comparative import window_estimate

    data = panel(np.random.default_rng(3), treated_effect=0.6, post=12)
    stacked = data.rename(columns={"victims": "count"})[["city", "month", "count", "population"]]
    stacked["count"] = stacked["count"].astype(float)
    empty = stacked["month"] == pd.Timestamp("2010-06-01")
    with_zero = stacked.assign(count=np.where(empty, 0.0, stacked["count"]))
    first_post = pd.Timestamp(START)
    spec = ITSSpec()
    a = window_estimate(with_zero, "Treated", first_post, 12, spec)
    b = window_estimate(with_zero[~empty].reset_index(drop=True), "Treated", first_post, 12, spec)
    assert np.isfinite(a["estimate"]) and a["estimate"] == pytest.approx(b["estimate"], rel=1e-5)
    assert a["lower"] < 0.6 < a["upper"]
