"""Replay: the analysis at every as-of month, in one process, equal to the single runs."""

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisData, analyse
from analysis.figures.replay import timeline_figure
from analysis.figures.style import RunInfo, figure_title
from analysis.pipeline import make_request, project_registry
from analysis.replay import as_of_dates, first_conclusive, replay, summary

pytestmark = pytest.mark.realdata


def test_as_of_dates_are_month_starts():
    assert as_of_dates("2012-12-15", "2013-02-01") == ["2012-12-01", "2013-01-01", "2013-02-01"]


@pytest.fixture(scope="module")
def stockton_replay(real_cleaning, real_population):
    request = make_request("Stockton", "2013-12-01", registry=project_registry())
    dates = ["2012-11-01", "2013-01-09", "2013-02-01", "2013-10-01", "2013-11-01", "2013-12-01"]
    table = replay(request, real_cleaning.incidents, real_population, dates)
    return request, table


def test_replay_rows_equal_the_single_runs(stockton_replay, real_cleaning, real_population):
    """The first conclusive date and the months around it give, row by row, what a single
    run on that date gives."""
    request, table = stockton_replay
    assert first_conclusive(table) == "2013-11-01"
    data = AnalysisData(incidents=real_cleaning.incidents, population=real_population)
    for as_of in ("2013-01-09", "2013-10-01", "2013-11-01", "2013-12-01"):
        single = analyse(make_request("Stockton", as_of, registry=project_registry()), data)
        row = table.set_index("as_of").loc[as_of]
        assert row["label"] == single.verdict.label, as_of
        assert row["rate_ratio"] == pytest.approx(single.verdict.numbers["rate_ratio"], rel=1e-12)
        assert row["qualified"] == bool(single.verdict.qualifier)
    labels = table.set_index("as_of")["label"]
    assert labels["2013-10-01"] == "cannot_tell" and labels["2013-11-01"] == "significant_drop"


def test_each_date_sees_only_what_was_known_then(stockton_replay):
    _, table = stockton_replay
    rows = table.set_index("as_of")
    # no complete post month on 1 November 2012: "too early", not an error
    assert rows.loc["2012-11-01", "label"] == "too_early"
    assert (
        rows.loc["2012-11-01", "error"] == ""
        and "no complete month" in rows.loc["2012-11-01", "note"]
    )
    assert rows.loc["2013-01-09", "data_through"] == "2012-12"
    assert rows.loc["2013-01-09", "n_post_months"] == 2
    assert rows.loc["2013-12-01", "data_through"] == "2013-11"


def test_monitoring_track_is_stricter_than_the_plain_monthly_look(stockton_replay):
    _, table = stockton_replay
    late = table.set_index("as_of").loc["2013-12-01"]
    assert late["per_look_label"] == "significant_drop"
    assert late["monitoring_label"] == "too_early"  # the boundary at look 2 is far higher
    assert late["boundary_z"] > 4 and late["look"] == 2 and late["inflation"] >= 1


def test_timeline_figure_marks_the_dates_from_the_registry(stockton_replay):
    request, table = stockton_replay
    info = RunInfo("Stockton", "2013-12-01", "2026-01-01", "a" * 64, data_through="2013-11")
    fig, data = timeline_figure(table, summary(table), info, request.intervention)
    texts = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "9 Jan 2013" in texts and "1 Feb 2013" in texts and "first conclusive" in texts
    assert figure_title(fig) == "Stockton: what could be said, date by date"
    assert len(data) == len(table)
    matplotlib.pyplot.close(fig)


@pytest.mark.notebook
def test_replay_command_writes_table_summary_and_figure(tmp_path, mirror, monkeypatch):
    from analysis import cli

    monkeypatch.setenv("ANALYSIS_PROJECT_ROOT", str(tmp_path))
    code = cli.main(["replay", "--from", "2013-10", "--to", "2013-12", "--mirror", str(mirror)])
    assert code == 0
    folder = tmp_path / "reports" / "replay"
    table = pd.read_csv(folder / "stockton_2013-10_2013-12_replay.csv")
    assert list(table["as_of"]) == ["2013-10-01", "2013-11-01", "2013-12-01"]
    doc = json.loads((folder / "stockton_2013-10_2013-12_replay.json").read_text())
    assert doc["summary"]["first_conclusive"] == "2013-11-01"
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])
    assert (folder / "stockton_2013-10_2013-12_replay.png").stat().st_size > 10_000
    assert np.isfinite(table["rate_ratio"]).all()


@pytest.mark.notebook
def test_replay_notebook_runs_through_papermill(tmp_path, mirror, monkeypatch):
    """The notebook that presents a replay, executed as a researcher's rerun would be."""
    import papermill as pm

    from analysis import config
    from analysis.pipeline import ensure_kernel
    from analysis.sources import fetch

    monkeypatch.setenv("ANALYSIS_PROJECT_ROOT", str(tmp_path))
    fetch(paths=config.Paths(tmp_path), mirror=mirror)
    out = tmp_path / "40_replay.ipynb"
    pm.execute_notebook(
        str(config.source_root() / "notebooks" / "40_replay.ipynb"),
        str(out),
        parameters={"start": "2013-10", "end": "2013-11", "raw_dir": str(tmp_path / "data/raw")},
        kernel_name=ensure_kernel(),
        progress_bar=False,
    )
    nb = json.loads(out.read_text())
    text = json.dumps(nb["cells"])
    assert "First conclusive verdict with the pre-declared window" in text
    assert "1 November 2013" in text and "image/png" in text
