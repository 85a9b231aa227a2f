"""One synthetic raw file per quirk of the upstream data, and what happens to the row."""

from datetime import date

import pandas as pd
import pytest

from analysis.cleaning import QUARANTINE_REASONS, CleaningOptions, clean_homicides
from analysis.errors import SchemaError

from conftest import HEADER, row, write_raw


def clean(path, options=None, **kw):
    """Clean a tiny synthetic file: one or two rows make a city here (min_city_rows=1)."""
    return clean_homicides(path, options or CleaningOptions(min_city_rows=1, **kw))


def quarantined(result, uid):
    q = result.quarantine
    return q[q["uid"] == uid].iloc[0]


def test_counts_add_up_and_report_per_city_and_reason(tmp_path):
    path = write_raw(
        tmp_path,
        [
            row("Sto-1"),
            row("Sto-2", date="201511018"),
            row("Oak-1", city="Oakland"),
            row("Oak-2", city="Oakland", date="20150231"),
        ],
    )
    result = clean(path)
    report = result.report
    assert report["input_rows"] == 4
    assert report["clean_rows"] + report["quarantined_rows"] == 4
    assert report["by_reason"] == {"malformed_date": 2}
    assert report["by_city"]["Stockton"] == {
        "clean": 1,
        "malformed_date": 1,
        "quarantined": 1,
        "input": 2,
    }
    frame = result.report_frame()
    assert frame["input"].sum() == 4


def test_nine_digit_date_is_quarantined_with_line_and_uid(tmp_path):
    path = write_raw(tmp_path, [row("Mia-1"), row("Mia-2", date="201511018")])
    result = clean(path)
    q = quarantined(result, "Mia-2")
    assert q["reason"] == "malformed_date"
    assert q["line"] == 3  # header is line 1
    assert "201511018" in q["detail"]
    assert list(result.incidents["uid"]) == ["Mia-1"]


def test_impossible_and_future_dates(tmp_path):
    path = write_raw(
        tmp_path,
        [row("A-1", date="20150231"), row("A-2", date="20990101"), row("A-3", date="19990101")],
    )
    result = clean(path, max_date=date(2020, 1, 1))
    assert quarantined(result, "A-1")["reason"] == "malformed_date"
    assert quarantined(result, "A-2")["reason"] == "future_date"
    assert quarantined(result, "A-3")["reason"] == "implausible_date"
    assert result.incidents.empty


def test_city_with_the_wrong_state(tmp_path):
    path = write_raw(
        tmp_path,
        [
            row("Tul-1", city="Tulsa", state="OK"),
            row("Tul-2", city="Tulsa", state="OK"),
            row("Tul-3", city="Tulsa", state="AL"),
        ],
    )
    result = clean(path)
    q = quarantined(result, "Tul-3")
    assert q["reason"] == "city_state_mismatch"
    assert "AL" in q["detail"] and "OK" in q["detail"]
    assert len(result.incidents) == 2


def test_invalid_utf8_in_a_name_is_kept_without_the_name(tmp_path):
    path = write_raw(tmp_path, [row("A-1")])
    data = path.read_bytes().replace(b"DOE", b"D\xffOE")
    path.write_bytes(data)
    result = clean(path)
    assert len(result.incidents) == 1
    assert result.incidents.loc[0, "notes"] == "invalid_utf8_in_name"


def test_invalid_utf8_in_a_used_field_is_quarantined(tmp_path):
    path = write_raw(tmp_path, [row("A-1", city="Stockton"), row("A-2", city="Fresno")])
    path.write_bytes(path.read_bytes().replace(b"Fresno", b"Fr\xe9sno"))
    result = clean(path)
    q = quarantined(result, "A-2")
    assert q["reason"] == "invalid_utf8" and "city" in q["detail"]


def test_unknown_and_unparseable_ages(tmp_path):
    path = write_raw(tmp_path, [row("A-1", age="Unknown"), row("A-2", age="abc"), row("A-3")])
    inc = clean(path).incidents.set_index("uid")
    assert pd.isna(inc.loc["A-1", "victim_age"]) and inc.loc["A-1", "notes"] == ""
    assert pd.isna(inc.loc["A-2", "victim_age"]) and inc.loc["A-2", "notes"] == "age_unparsed"
    assert inc.loc["A-3", "victim_age"] == 25


def test_empty_coordinates_are_kept_as_missing(tmp_path):
    path = write_raw(tmp_path, [row("A-1", lat="", lon=""), row("A-2")])
    inc = clean(path).incidents.set_index("uid")
    assert pd.isna(inc.loc["A-1", "lat"]) and pd.isna(inc.loc["A-1", "lon"])
    assert inc.loc["A-2", "lat"] == pytest.approx(37.95)


def test_quoted_field_with_embedded_quotes(tmp_path):
    line = row("Oak-9", last="NGUYEN", first='"QUANG ""JOHN"""', city="Oakland")
    path = write_raw(tmp_path, [line, row("Oak-10", city="Oakland")])
    result = clean(path)
    assert len(result.incidents) == 2
    assert result.incidents.set_index("uid").loc["Oak-9", "city"] == "Oakland"


def test_identical_rows_default_to_two_victims_of_one_incident(tmp_path):
    path = write_raw(tmp_path, [row("Sto-000292"), row("Sto-000293")])
    result = clean(path)
    inc = result.incidents
    assert len(inc) == 2
    assert set(inc["notes"]) == {"identical_to_other_row"}
    assert inc["incident_id"].nunique() == 1 and result.report["incidents"] == 1


def test_identical_rows_as_duplicates_quarantines_the_later(tmp_path):
    path = write_raw(tmp_path, [row("Sto-000292"), row("Sto-000293")])
    result = clean(path, identical_rows="duplicates")
    q = quarantined(result, "Sto-000293")
    assert q["reason"] == "duplicate_row" and "Sto-000292" in q["detail"]
    assert list(result.incidents["uid"]) == ["Sto-000292"]


def test_bad_option_value_names_the_choices():
    with pytest.raises(ValueError, match="'victims' or 'duplicates'"):
        CleaningOptions(identical_rows="maybe")


def test_duplicate_uid_and_wrong_field_count(tmp_path):
    path = write_raw(tmp_path, [row("A-1"), row("A-1", date="20120301"), "A-2,20120101,only"])
    result = clean(path)
    assert quarantined(result, "A-1")["reason"] == "duplicate_uid"
    assert quarantined(result, "A-2")["reason"] == "wrong_field_count"
    assert len(result.incidents) == 1


def test_incident_rule_same_city_date_and_place(tmp_path):
    path = write_raw(
        tmp_path,
        [
            row("SB-1", last="A", city="San Bernardino", lat="34.07", lon="-117.27"),
            row("SB-2", last="B", city="San Bernardino", lat="34.07", lon="-117.27"),
            row("SB-3", last="C", city="San Bernardino", lat="34.10", lon="-117.27"),
            row("SB-4", last="D", city="San Bernardino", lat="", lon=""),
            row("SB-5", last="E", city="San Bernardino", lat="", lon=""),
        ],
    )
    result = clean(path)
    ids = result.incidents.set_index("uid")["incident_id"]
    assert ids["SB-1"] == ids["SB-2"] == "SB-1"
    assert ids["SB-3"] == "SB-3" and ids["SB-4"] != ids["SB-5"]
    assert result.report["victims"] == 5 and result.report["incidents"] == 4


def test_names_are_dropped(tmp_path):
    path = write_raw(tmp_path, [row("A-1", last="ZYXWVU", first="QWERTY"), "A-2,bad,ZYXWVU,x"])
    result = clean(path)
    for frame in (result.incidents, result.quarantine):
        assert "victim_last" not in frame.columns and "victim_first" not in frame.columns
        text = frame.to_csv()
        assert "ZYXWVU" not in text and "QWERTY" not in text
    assert "ZYXWVU" not in str(result.report)


def test_crlf_line_endings_and_byte_order_mark(tmp_path):
    path = write_raw(tmp_path, [row("A-1"), row("A-2")], newline="\r\n", bom=True)
    result = clean(path)
    assert list(result.incidents["uid"]) == ["A-1", "A-2"]
    assert result.incidents.loc[0, "disposition"] == "Open/No arrest"


def test_missing_header_column_names_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER.replace("reported_date", "date") + "\n")
    with pytest.raises(SchemaError, match="bad.csv.*reported_date"):
        clean(path)


def test_every_reason_is_documented():
    assert all(QUARANTINE_REASONS.values())


# --- the real file ------------------------------------------------------------------


@pytest.mark.realdata
def test_real_file_rows_and_stockton_2012(real_cleaning):
    inc = real_cleaning.incidents
    report = real_cleaning.report
    assert report["input_rows"] == report["clean_rows"] + report["quarantined_rows"]
    stockton = inc[inc["city"] == "Stockton"]
    assert report["by_city"]["Stockton"]["input"] == 444
    assert len(stockton) == 444
    assert (stockton["date"].dt.year == 2012).sum() == 71  # the local news report's figure


@pytest.mark.realdata
def test_real_mass_casualty_event_is_one_incident(real_cleaning):
    inc = real_cleaning.incidents
    sb = inc[(inc["city"] == "San Bernardino") & (inc["date"] == "2015-12-02")]
    victims = sb[sb["uid"].between("SB-000080", "SB-000093")]
    assert len(victims) == 14
    assert victims["incident_id"].nunique() == 1
