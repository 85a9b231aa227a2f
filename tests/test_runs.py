"""Unattended reruns: run folders, the latest pointer, locks, idempotence, retention, a
kill in the middle of a run and two runs at once."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from analysis.config import Paths
from analysis.pipeline.runs import (
    KEEP_SUCCESSFUL,
    RunLock,
    RunLockedError,
    apply_retention,
    changes,
    params_hash,
    switch_latest,
)


def test_params_hash_ignores_city_and_date_but_not_settings():
    a = params_hash({"city": "Stockton", "as_of": "2013-01-01", "family": "negbin"})
    assert a == params_hash({"city": "Fresno", "as_of": "2014-01-01", "family": "negbin"})
    assert a != params_hash({"city": "Stockton", "as_of": "2013-01-01", "family": "poisson"})
    assert len(a) == 10


def test_a_second_run_is_refused_while_the_first_holds_the_lock(tmp_path):
    lock = tmp_path / "abc.lock"
    refused = pytest.raises(RunLockedError, match=f"pid {os.getpid()}")
    with RunLock(lock), refused, RunLock(lock):
        pass
    assert not lock.exists()  # released


def test_a_killed_runs_lock_is_recovered(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / "abc.lock"
    import socket

    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "x"}))
    with RunLock(lock) as held:
        assert held.recovered["pid"] == dead.pid
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_latest_is_switched_in_one_rename(tmp_path):
    old, new = tmp_path / "a" / "1", tmp_path / "a" / "2"
    old.mkdir(parents=True)
    new.mkdir()
    link = tmp_path / "latest"
    switch_latest(link, old)
    switch_latest(link, new)
    assert link.is_symlink() and link.resolve() == new.resolve()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _fake_run(city_root, as_of, key, run_id, status, started, **extra):
    folder = city_root / as_of / key / run_id
    folder.mkdir(parents=True)
    doc = {"run_id": run_id, "as_of": as_of, "status": status, "started_at": started, **extra}
    (folder / "manifest.json").write_text(json.dumps(doc))
    return folder


def test_retention_removes_old_failures_and_surplus_successes(tmp_path):
    root = tmp_path / "runs" / "x"
    now = datetime(2026, 12, 2, tzinfo=UTC)
    old = (now - timedelta(days=30)).isoformat()
    recent = (now - timedelta(days=1)).isoformat()
    failed_old = _fake_run(root, "2026-10-01", "k", "f1", "failed", old)
    failed_new = _fake_run(root, "2026-12-01", "k", "f2", "failed", recent)
    kept = [
        _fake_run(
            root,
            "2026-11-01",
            "k",
            f"s{i:02d}",
            "success",
            (now - timedelta(hours=100 - i)).isoformat(),
        )
        for i in range(KEEP_SUCCESSFUL + 3)
    ]
    switch_latest(root / "latest", kept[0])  # the oldest success is still someone's latest
    removed = apply_retention(root, "k", now=now)
    assert failed_old in removed and failed_new.exists()
    assert set(removed) == {failed_old, *kept[1:3]}
    assert kept[0].exists() and all(k.exists() for k in kept[3:])


def test_changes_say_what_a_new_month_brought():
    before = {
        "run_id": "r1",
        "summary": {
            "label": "too_early",
            "n_post_months": 11,
            "data_through": "2013-09",
            "clean_rows": 100,
        },
    }
    now = {
        "label": "significant_drop",
        "n_post_months": 12,
        "data_through": "2013-10",
        "clean_rows": 104,
    }
    c = changes(before, now)
    assert c["rows_added"] == 4 and c["months_newly_complete"] == 1
    assert c["verdict_changed"] and c["verdict"] == {
        "before": "too_early",
        "now": "significant_drop",
    }
    assert changes(None, now) == {"first_run": True}
    # after the evaluation window is full the verdict's post months stop at 12; a month of
    # data is still a month of data
    later = {**now, "data_through": "2014-02"}
    assert (
        changes({"summary": {**now, "data_through": "2013-12"}}, later)["months_newly_complete"]
        == 2
    )


# --- the whole pipeline, as a scheduler runs it ------------------------------------------------

CLI = [sys.executable, "-m", "analysis.cli", "run", "--city", "Stockton", "--as-of", "2013-01-09"]


def _env(root, mirror):
    return {
        **os.environ,
        "ANALYSIS_PROJECT_ROOT": str(root),
        "ANALYSIS_DATA_MIRROR": str(mirror),
        "MPLBACKEND": "Agg",
    }


def _manifests(root):
    return [
        json.loads(p.read_text())
        for p in sorted((root / "runs/stockton").glob("*/*/*/manifest.json"))
    ]


@pytest.mark.realdata
@pytest.mark.notebook
def test_kill_mid_run_then_a_clean_rerun_then_nothing_to_do(tmp_path, mirror):
    """SIGKILL in the middle of a run: no latest, a stale lock. The rerun recovers the lock,
    marks the killed run abandoned and succeeds; a third run with the same inputs,
    parameters and code does nothing; a forced one runs again with the same verdict."""
    env = _env(tmp_path, mirror)
    first = subprocess.Popen(
        CLI, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = list((tmp_path / "runs/stockton").glob("*/*/*/reports/notebooks/*10_clean.ipynb"))
        if started:
            break
        time.sleep(0.2)
    assert started, "the run never started its first notebook"
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    assert not (tmp_path / "runs/stockton/latest").exists()
    assert list((tmp_path / "runs/stockton").glob("*.lock"))  # left behind by the kill

    again = subprocess.run(CLI, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    docs = _manifests(tmp_path)
    statuses = sorted(d["status"] for d in docs)
    assert statuses == ["abandoned", "success"]
    good = next(d for d in docs if d["status"] == "success")
    assert good["recovered_lock"]["pid"] == first.pid
    latest = tmp_path / "runs/stockton/latest"
    assert latest.resolve().name == good["run_id"]
    assert (latest / "reports" / "stockton_2013-01-09_briefing.pdf").exists()

    third = subprocess.run(CLI, env=env, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0 and "Nothing to do" in third.stdout
    assert len(_manifests(tmp_path)) == 2

    forced = subprocess.run([*CLI, "--force"], env=env, capture_output=True, text=True, timeout=600)
    assert forced.returncode == 0, forced.stderr[-2000:]
    docs = _manifests(tmp_path)
    assert len(docs) == 3 and latest.resolve().name == docs[-1]["run_id"]
    assert docs[-1]["summary"]["label"] == good["summary"]["label"]
    assert docs[-1]["changes"]["verdict_changed"] is False
    assert docs[-1]["fingerprint"] == good["fingerprint"]
    # same inputs, parameters and code: every output byte-identical (figures, PDF, HTML,
    # results.json, the executed notebooks, the provenance)
    assert docs[-1]["outputs"] == good["outputs"] and len(good["outputs"]) > 40


@pytest.mark.realdata
@pytest.mark.notebook
def test_two_runs_at_once_cannot_corrupt_each_other(tmp_path, mirror):
    env = _env(tmp_path, mirror)
    subprocess.run(
        [sys.executable, "-m", "analysis.cli", "fetch"], env=env, check=True, capture_output=True
    )
    first = subprocess.Popen(
        CLI, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not list((tmp_path / "runs/stockton").glob("*.lock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    second = subprocess.run(CLI, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 1 and "another run of this city" in second.stderr
    waiting = subprocess.run(
        [*CLI, "--wait", "600"], env=env, capture_output=True, text=True, timeout=900
    )
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    assert waiting.returncode == 0 and "Nothing to do" in waiting.stdout
    docs = _manifests(tmp_path)
    assert [d["status"] for d in docs] == ["success"]
    latest = tmp_path / "runs/stockton/latest"
    outputs = json.loads((latest / "manifest.json").read_text())["outputs"]
    from analysis.provenance import sha256_file

    assert all(sha256_file(latest / o["path"]) == o["sha256"] for o in outputs)


def test_minus_p_refuses_what_the_runner_owns(capsys):
    from analysis import cli

    for name in ("city=Fresno", "as_of=2014-01-01", "output_root=/elsewhere", "raw_dir="):
        assert cli.main(["run", "-p", name]) == 1
        assert "set by the runner" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.notebook
def test_no_complete_month_since_the_start_is_too_early_not_an_error(tmp_path, mirror):
    from analysis.briefing import count_pdf_pages
    from analysis.pipeline import run
    from analysis.results import validate

    out = run("Stockton", "2012-11-15", paths=Paths(tmp_path), mirror=mirror)
    assert out["verdict"] == "too_early" and not out["skipped"]
    doc = json.loads(out["results"].read_text())
    validate(doc)
    assert doc["verdict"]["numbers"]["n_post_months"] == 0 and doc["model"] is None
    assert "November 2012" in doc["verdict"]["headline"]
    assert count_pdf_pages(out["briefing"]) == 1
    html = out["briefing_html"].read_text()
    assert "<title>Stockton: Still really early to tell" in html and 'alt="Monthly' in html
    assert (tmp_path / "runs/stockton/latest").resolve() == out["run_folder"].resolve()


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2005-01-01"], "as_of=2005-01-01 is before the data begin"),
        (["--as-of", "2014-01-01", "--intervention-date", "2021-01-01"], "is after the as-of"),
        (["--as-of", "2014-01-01", "--intervention-date", "2007-03-01"], "needs at least 12"),
        (["--city", "sTOCKTON", "--as-of", "1999-01-01"], "Stockton's records run from"),
    ],
)
def test_dates_outside_the_data_are_refused_before_any_notebook(
    args, message, tmp_path, mirror, monkeypatch, capsys
):
    from analysis import cli

    monkeypatch.setenv("ANALYSIS_PROJECT_ROOT", str(tmp_path))
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(mirror))
    assert cli.main(["run", *args]) == 1
    assert message in capsys.readouterr().err
    assert not list((tmp_path / "runs").glob("*/*/*/*"))  # no run folder: nothing started


@pytest.mark.realdata
def test_output_folders_are_checked_before_anything_runs(tmp_path, mirror):
    """A target that cannot take the outputs stops the run before any notebook: nothing is
    half promoted."""
    from analysis.pipeline import PipelineError, run

    (tmp_path / "figures").write_text("a file where the folder should be")
    with pytest.raises(PipelineError, match="nothing was run"):
        run("Stockton", "2014-01-01", paths=Paths(tmp_path), mirror=mirror)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "reports").exists()
