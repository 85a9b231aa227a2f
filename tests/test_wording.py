"""Numbers a reader sees, formatted for that reader."""

from analysis import wording


def test_p_values_read_plainly():
    assert wording.p_value(4.5e-06) == "p < 0.001"
    assert wording.p_value(0.0042) == "p = 0.004"
    assert wording.p_value(0.057) == "p = 0.06"
    assert wording.p_value(float("nan")) == "p unknown"


def test_plurals_percentages_counts_and_levels():
    assert wording.plural(1, "month") == "1 month" and wording.plural(3, "month") == "3 months"
    assert wording.percent(0.583) == "58%" and wording.percent(-0.2, signed=True) == "-20%"
    assert wording.percent(0.004, signed=True) == "0%"
    assert wording.count(-261.2) == "-261" and wording.count(1234.4) == "1,234"
    assert wording.level(1 - 0.050000000000000044) == "95%" and wording.level(0.9) == "90%"


def test_the_data_period_is_not_the_run_date():
    assert wording.data_through("2016-12") == "data through December 2016"
    assert wording.day("2013-01-28") == "28 January 2013"


def test_a_sentence_inside_another_loses_its_stop_and_capital_but_not_a_name():
    assert wording.clause("Received the same deployment.") == "received the same deployment"
    assert wording.clause("CHP patrols from 2012.") == "CHP patrols from 2012"
    assert wording.clause("only 10 months ") == "only 10 months"
    assert wording.clause("") == ""
