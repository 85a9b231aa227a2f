import pandas as pd
import pytest

from analysis.cleaning import CleaningOptions, clean_homicides
from analysis.errors import SchemaError, SeriesError
from analysis.series import (
    STATUS_COMPLETE,
    STATUS_INCOMPLETE,
    STATUS_OUTSIDE,
    last_complete_month,
    load_population,
    monthly_counts,
)

from conftest import row, write_raw


@pytest.fixture
def two_cities(tmp_path):
    lines = [
        row("S-1", date="20120105"),
        row("S-2", date="20120110", last="X"),
        row("S-3", date="20120415"),  # Feb, Mar: true zeros inside coverage
        row("S-4", date="20120502"),
        row("F-1", date="20120301", city="Fresno"),
        row("F-2", date="20120320", city="Fresno", last="Y"),
    ]
    return clean_homicides(write_raw(tmp_path, lines), CleaningOptions(min_city_rows=1)).incidents


def table(series, city):
    frame = series.frame
    return frame[frame["city"] == city].set_index("month")


def test_zero_inside_coverage_unknown_outside(two_cities):
    s = monthly_counts(two_cities, as_of="2013-01-01")
    sto = table(s, "Stockton")
    assert sto.loc["2012-02-01", "victims"] == 0
    assert sto.loc["2012-03-01", "victims"] == 0
    assert sto.loc["2012-02-01", "status"] == STATUS_COMPLETE
    fre = table(s, "Fresno")
    assert pd.isna(fre.loc["2012-01-01", "victims"])  # before Fresno's coverage: unknown
    assert fre.loc["2012-01-01", "status"] == STATUS_OUTSIDE
    assert fre.loc["2012-03-01", "victims"] == 2
    model = s.city("Stockton")
    assert list(model["count"]) == [2, 0, 0, 1, 1]


def test_incomplete_month_is_excluded_and_reported(two_cities):
    s = monthly_counts(two_cities, as_of="2012-04-20")
    sto = table(s, "Stockton")
    assert sto.loc["2012-04-01", "status"] == STATUS_INCOMPLETE
    assert pd.isna(sto.loc["2012-04-01", "victims"])
    assert sto.loc["2012-04-01", "victims_partial"] == 1
    assert "2012-05-01" not in sto.index.strftime("%Y-%m-%d")  # after as_of: not shown
    assert s.city("Stockton").index[-1] == pd.Timestamp("2012-03-01")
    assert {"city": "Stockton", "month": "2012-04"}.items() <= s.excluded[-1].items()


def test_reporting_lag_delays_completeness():
    assert last_complete_month("2013-02-01") == pd.Period("2013-01", "M")
    assert last_complete_month("2013-02-01", reporting_lag_days=10) == pd.Period("2012-12", "M")
    assert last_complete_month("2013-01-31") == pd.Period("2012-12", "M")
    with pytest.raises(ValueError, match="reporting_lag_days"):
        last_complete_month("2013-02-01", reporting_lag_days=-1)


def test_incidents_and_victims(tmp_path):
    lines = [row("S-1", last="A"), row("S-2", last="B"), row("S-3", last="C", lat="38.0")]
    inc = clean_homicides(write_raw(tmp_path, lines), CleaningOptions(min_city_rows=1)).incidents
    s = monthly_counts(inc, as_of="2013-01-01")
    month = table(s, "Stockton").iloc[0]
    assert month["victims"] == 3 and month["incidents"] == 2
    assert list(s.city("Stockton", measure="incidents")["count"]) == [2]


def test_population_join_and_rate(two_cities, tmp_path):
    pop_file = tmp_path / "pop.csv"
    pop_file.write_text(
        '"city","county","year","TOTAL_POP"\n"Stockton","San Joaquin County",2012,200000\n'
        '"Fresno","Fresno County",2012,NA\n"Incorporated","A County",2012,5\n'
        '"Incorporated","B County",2012,6\n'
    )
    pop = load_population(pop_file)
    assert "Incorporated" not in set(pop["city"])  # county totals are not cities
    s = monthly_counts(two_cities, as_of="2013-01-01", population=pop)
    sto = table(s, "Stockton")
    assert sto.loc["2012-01-01", "victims_per_100k"] == pytest.approx(1.0)
    assert pd.isna(table(s, "Fresno").loc["2012-03-01", "population"])


def test_population_with_text_is_refused(tmp_path):
    pop_file = tmp_path / "pop.csv"
    pop_file.write_text('"city","county","year","TOTAL_POP"\n"A","B",2012,lots\n')
    with pytest.raises(SchemaError, match="line\\(s\\) \\[2\\]"):
        load_population(pop_file)


def test_unknown_city_lists_the_cities(two_cities):
    s = monthly_counts(two_cities, as_of="2013-01-01")
    with pytest.raises(SeriesError, match="Fresno"):
        s.city("Atlantis")


def test_nothing_complete_yet(two_cities):
    s = monthly_counts(two_cities, as_of="2012-01-20")
    with pytest.raises(SeriesError, match="no complete month"):
        s.city("Stockton")


@pytest.mark.realdata
def test_stockton_120_complete_months_with_true_zeros(stockton):
    assert len(stockton) == 120
    assert stockton.index[0] == pd.Timestamp("2007-01-01")
    assert stockton.index[-1] == pd.Timestamp("2016-12-01")
    assert stockton["count"].sum() == 444
    assert stockton.loc["2013-01-01", "count"] == 0  # a month with no homicide is a 0
    assert (stockton["count"] == 0).sum() == 3
    assert stockton["population"].notna().all()


@pytest.mark.realdata
def test_san_bernardino_coverage_starts_2012(real_cleaning):
    s = monthly_counts(real_cleaning.incidents, as_of="2020-01-01")
    sb = s.frame[s.frame["city"] == "San Bernardino"]
    complete = sb[sb["status"] == STATUS_COMPLETE]
    assert complete["month"].min() == pd.Timestamp("2012-01-01")
    assert sb[sb["month"] < "2012-01-01"]["victims"].isna().all()


@pytest.mark.realdata
def test_news_report_day_has_two_post_months(real_cleaning):
    s = monthly_counts(real_cleaning.incidents, as_of="2013-01-09")
    sto = s.city("Stockton")
    assert sto.index[-1] == pd.Timestamp("2012-12-01")
    assert (sto.index >= "2012-11-01").sum() == 2
