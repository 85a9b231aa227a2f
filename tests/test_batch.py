"""Batch runs: a grid through the analysis core on a two-worker LocalCluster, failures
reported per item, and every row equal to the single run with the same parameters."""

import json

import pandas as pd
import pytest

from analysis import AnalysisData, analyse, cli
from analysis.batch import grid, load_grid, month_range, run_batch, write_batch
from analysis.pipeline import project_registry
from analysis.results import results_document

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

FAST = {"max_post_months": 24}


@pytest.fixture(scope="module")
def data(real_cleaning, real_population):
    return AnalysisData(
        incidents=real_cleaning.incidents,
        population=real_population,
        input_sha256=real_cleaning.report["sha256"],
    )


@pytest.fixture(scope="module")
def items():
    specs = [{}, {"family": "negbin"}]
    cities = ["Stockton", "San Bernardino"]
    made = grid(cities, ["2013-02-01", "2014-01-01"], specs, registry=project_registry(), **FAST)
    made += grid(["Stockton"], ["2014-01-01"], [{"harmonics": "two"}], registry=project_registry())
    return made


@pytest.fixture(scope="module")
def on_dask(items, data):
    return run_batch(items, data, workers=2, progress=False)


def test_a_grid_on_a_local_cluster_reports_every_item(on_dask, items):
    assert len(on_dask) == len(items) == 9
    ok = on_dask[on_dask["status"] == "ok"]
    failed = on_dask[on_dask["status"] == "failed"]
    assert set(ok["city"]) == {"Stockton"} and len(ok) == 4
    # San Bernardino's records start in 2012: too few months before; the rest still ran
    assert failed["error"].str.contains("InsufficientDataError: 10 month").sum() == 4
    assert failed["error"].str.contains("harmonics='two'").sum() == 1
    assert (ok["seconds"] > 0).all() and set(ok["power_method"]) == {"analytic"}


def test_a_batch_row_equals_the_single_run(on_dask, items, data):
    for _, row in on_dask[on_dask["status"] == "ok"].iterrows():
        label, request, _ = items[row["item"]]
        doc = results_document(
            analyse(request, data), inputs=[], run_at="t", code={"version": "test"}
        )
        numbers = doc["verdict"]["numbers"]
        assert row["verdict"] == doc["verdict"]["label"]
        for name in (
            "rate_ratio",
            "rate_ratio_lower",
            "rate_ratio_upper",
            "p_value",
            "cumulative_difference",
            "power_now",
        ):
            assert row[name] == numbers[name], (label, name)  # exactly, not approximately


def test_serial_and_dask_give_the_same_table(on_dask, items, data):
    serial = run_batch(items, data, serial=True, progress=False)
    columns = [c for c in on_dask.columns if c != "seconds"]
    pd.testing.assert_frame_equal(serial[columns], on_dask[columns])


def test_the_table_is_written_as_csv_and_parquet_beside_a_manifest(on_dask, tmp_path):
    written = write_batch(on_dask, tmp_path / "b", {"grid": "test"})
    assert len(pd.read_csv(written["csv"])) == len(on_dask)
    back = pd.read_parquet(written["parquet"])
    assert list(back.columns) == list(on_dask.columns) and len(back) == len(on_dask)
    manifest = json.loads(written["manifest"].read_text())
    assert manifest["status"] == {"ok": 4, "failed": 5} and manifest["code"]["version"]


def test_grid_files_and_month_ranges(tmp_path):
    assert month_range("2012-12", "2013-02") == ["2012-12-01", "2013-01-01", "2013-02-01"]
    path = tmp_path / "grid.yaml"
    path.write_text(
        "cities: [Stockton]\nas_of: {from: 2012-12, to: 2013-01}\n"
        "specs: [{family: negbin}]\ncommon: {min_post_months: 6}\n"
    )
    spec = load_grid(path)
    assert spec["as_of"] == ["2012-12-01", "2013-01-01"] and spec["common"] == {
        "min_post_months": 6
    }


def test_batch_command_serial(tmp_path, mirror, capsys, monkeypatch):
    monkeypatch.setenv("ANALYSIS_PROJECT_ROOT", str(tmp_path / "project"))
    code = cli.main(
        [
            "batch",
            "--cities",
            "Stockton",
            "--as-of",
            "2014-01-01",
            "--spec",
            "family=negbin",
            "--serial",
            "--mirror",
            str(mirror),
            "--out",
            str(tmp_path / "out"),
            "-p",
            "max_post_months=24",
        ]
    )
    assert code == 0
    assert "1 ok, 0 failed" in capsys.readouterr().out
    assert (tmp_path / "out" / "summary.parquet").exists()
