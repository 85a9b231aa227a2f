"""The papermill runner: the three notebooks into the run's own folder, then "latest".

:func:`run` checks every parameter (by building the analysis request) before any notebook
starts, checks the project's output folders and ``data/raw`` against its manifest, takes the
lock of the city and parameter set, and does nothing when a successful run had the same
inputs, parameters and code (unless forced). Otherwise it executes the notebooks through
papermill into ``runs/<city>/<as_of>/<params-hash>/<run-id>/`` (see
:mod:`analysis.pipeline.runs`), writes the provenance (the files notebook 10 read) and the
run's manifest, and only when all three notebooks succeed switches ``runs/<city>/latest``
and copies the outputs to ``data/processed``, ``figures`` and ``reports``. A failed run keeps
its folder (the executed notebook with the error, a manifest saying ``failed`` and why),
leaves every "latest" untouched and raises :class:`PipelineError` (the CLI exits non-zero).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

from analysis import config
from analysis.config import Paths
from analysis.errors import DataUnavailableError, ModelSpecError, PipelineError
from analysis.layout import RunLayout
from analysis.pipeline.checks import (
    CLEANING_PARAMETERS,
    RESERVED,
    check_cleaning_parameters,
    check_dates,
    check_targets,
    city_in_data,
    notebook_parameters,
)
from analysis.pipeline.early import complete_months
from analysis.pipeline.execute import NOTEBOOKS, ensure_kernel, execute
from analysis.pipeline.kernel import WarmKernel
from analysis.pipeline.promote import promote, staged_outputs
from analysis.pipeline.runs import (
    RunFolder,
    RunLock,
    apply_retention,
    changes,
    fingerprint,
    package_versions,
    params_hash,
    previous_success,
    same_run,
    switch_latest,
)
from analysis.provenance import (
    code_version,
    file_record,
    utc_now,
    write_json_atomic,
)
from analysis.sources import SOURCES, fetch, mirror_from_env, read_manifest, verify_raw


def ensure_raw(paths: Paths, mirror: str | Path | None = None, *, refresh: bool = False) -> dict:
    """Raw files present: fetch what is missing (mirror or network); check a given mirror.

    ``refresh`` (a scheduled rerun): bring the upstream files even when present; a changed
    file replaces the old one, which is kept as a data vintage. A refresh that cannot reach
    its source keeps the files in hand and says so (``note``) instead of failing the run."""
    missing = [k for k, s in SOURCES.items() if not (paths.raw / s.filename).exists()]
    if refresh and not missing:
        try:
            manifest = fetch(paths=paths, mirror=mirror, replace=True)
        except DataUnavailableError as exc:
            manifest = read_manifest(paths.raw)
            manifest["note"] = f"refresh failed, the files in hand were used: {exc}"
            return manifest
        manifest["note"] = "refreshed from " + ", ".join(
            sorted({e.get("origin", "?") for e in manifest["files"].values()})
        )
        return manifest
    if missing or mirror_from_env(mirror) is not None:
        return fetch(paths=paths, mirror=mirror, replace=refresh)
    return read_manifest(paths.raw)


def run(
    city: str | None = None,
    as_of: str = "today",
    *,
    intervention_date: str | None = None,
    paths: Paths | None = None,
    mirror: str | Path | None = None,
    kernel_name: str | None = None,
    extra: dict | None = None,
    force: bool = False,
    refresh: bool = False,
    wait: float = 0.0,
) -> dict:
    """Run the three notebooks for ``city`` and ``as_of`` into the run's own folder
    (:mod:`analysis.pipeline.runs`); on success switch ``runs/<city>/latest`` and copy the
    outputs to the project's folders.

    ``force``: run even when a successful run had the same inputs, parameters and code.
    ``refresh``: bring the upstream files first (a changed file becomes a data vintage).
    ``wait``: seconds to wait for another run of the same city and parameter set.

    Returns the paths of the briefing PDF and HTML, results.json and the provenance
    manifest, the run folder, the verdict's label and title, ``skipped`` and ``changes``.
    """
    # the kernel starts first and imports the notebooks' modules while this process imports
    # its own and checks the run (see analysis.pipeline.kernel); a run that stops before any
    # notebook kills it
    kernel = WarmKernel(kernel_name or ensure_kernel(), config.source_root())
    try:
        return _run(
            kernel,
            city,
            as_of,
            intervention_date=intervention_date,
            paths=paths or Paths(),
            mirror=mirror,
            extra=dict(extra or {}),
            force=force,
            refresh=refresh,
            wait=wait,
        )
    finally:
        kernel.shutdown(now=True)  # the notebooks are written: nothing in it to keep


def _run(kernel, city, as_of, *, intervention_date, paths, mirror, extra, force, refresh, wait):
    import papermill as pm

    # the analysis core, imported here: after the kernel has started
    from analysis.pipeline.params import make_request, project_registry

    reserved = sorted(set(extra) & set(RESERVED))
    if reserved:
        raise ModelSpecError(
            f"parameter(s) {reserved} are set by the runner, not by -p: give the city and "
            "the date with --city and --as-of; a run writes into its own folder and reads "
            "data/raw"
        )
    source_dir = config.source_root() / "notebooks"
    accepted_by = {name: notebook_parameters(source_dir / name) for name in NOTEBOOKS}
    accepted = set().union(*accepted_by.values()) - set(RESERVED)
    unknown = set(extra) - accepted
    if unknown:
        raise ModelSpecError(
            f"unknown parameter(s) {sorted(unknown)}; the notebooks take {sorted(accepted)}"
        )
    # fail fast, before any notebook runs, on a bad parameter
    check_cleaning_parameters(extra)
    request_params = {k: v for k, v in extra.items() if k not in CLEANING_PARAMETERS}
    request = make_request(
        city,
        as_of,
        registry=project_registry(),
        intervention_date=intervention_date,
        **request_params,
    )
    check_targets(paths)
    refreshed = ensure_raw(paths, mirror, refresh=refresh)
    raw_manifest = verify_raw(paths)
    city = city_in_data(request.city, paths.raw / SOURCES["homicides"].filename)
    if city != request.city:
        request = replace(request, city=city)
    check_dates(request, paths.raw / SOURCES["homicides"].filename)
    params = {
        "city": request.city,
        "as_of": request.as_of,
        "intervention_date": request.intervention.start,
        **extra,
    }
    key = params_hash(params)
    folder = RunFolder.new(paths, request.city, request.as_of, key)
    inputs = [file_record(paths.raw / s.filename) for s in SOURCES.values()]
    code = code_version()
    print_ = fingerprint(inputs, params, code)
    with RunLock(folder.lock, wait=wait) as lock:
        apply_retention(folder.city_root, key)
        hit = same_run(folder.city_root, request.as_of, key, print_)
        if hit is not None and not force:
            return _answer(paths, request, hit[0], hit[1], skipped=True)
        # the time these results were first computed: a forced rerun of the same inputs,
        # parameters and code writes the same bytes
        run_at = hit[1]["run_at"] if hit is not None and hit[1].get("run_at") else utc_now()
        previous = previous_success(folder.city_root, key)
        manifest = {
            "run_id": folder.run_id,
            "city": request.city,
            "as_of": request.as_of,
            "params_hash": key,
            "parameters": params,
            "request": request.to_dict(),
            "fingerprint": print_,
            "inputs": inputs,
            "data_vintages": {
                name: {
                    k: v
                    for k, v in entry.items()
                    if k in ("sha256", "fetched_at", "origin", "previous")
                }
                for name, entry in raw_manifest["files"].items()
            },
            "refresh": refreshed.get("note", "not asked"),
            "code": code,
            "packages": package_versions(),
            "lock_file": _lock_record(),
            "python": sys.version.split()[0],
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": utc_now(),
            "run_at": run_at,
            "status": "running",
            "recovered_lock": lock.recovered,
        }
        folder.root.mkdir(parents=True)
        write_json_atomic(folder.manifest, manifest)
        try:
            results_doc, staged = execute(
                pm, request, params, folder, paths, accepted_by, kernel, run_at
            )
        except BaseException as exc:
            reason = (
                str(exc) if isinstance(exc, PipelineError) else (f"{type(exc).__name__}: {exc}")
            )
            write_json_atomic(
                folder.manifest,
                {**manifest, "status": "failed", "ended_at": utc_now(), "exit_reason": reason},
            )
            raise
        report = json.loads(staged.cleaning_report.read_text())
        verdict = results_doc["verdict"]
        summary = {
            "label": verdict["label"],
            "title": verdict["title"],
            "qualifier": verdict.get("qualifier", ""),
            "n_post_months": verdict["numbers"]["n_post_months"],
            # the city's last complete month (the evaluation window may end before it)
            "data_through": _last_complete_month(staged),
            "window_through": verdict["numbers"]["last_month"],
            "clean_rows": report.get("clean_rows"),
            "inputs": [i["sha256"] for i in inputs],
        }
        manifest.update(
            status="success",
            ended_at=utc_now(),
            exit_reason="",
            summary=summary,
            changes=changes(previous, summary),
            outputs=[file_record(p, folder.root) for p in staged_outputs(folder.root)],
        )
        write_json_atomic(folder.manifest, manifest)
        promote(folder.root, paths.root)
        switch_latest(folder.latest_for_key, folder.root)
        switch_latest(folder.latest, folder.root)
    return _answer(paths, request, folder.root, manifest, skipped=False)


def _last_complete_month(staged: RunLayout) -> str | None:
    """The city's last complete month (YYYY-MM)."""
    done = complete_months(staged)
    return f"{done.max():%Y-%m}" if len(done) else None


def _lock_record() -> dict | None:
    """The dependency lock file this checkout installs from (its checksum)."""
    lock = config.source_root() / "requirements.lock"
    return file_record(lock, config.source_root()) if lock.exists() else None


def _answer(paths: Paths, request, run_root: Path, manifest: dict, *, skipped: bool) -> dict:
    final = RunLayout(paths, request.city, request.as_of)
    in_run = RunLayout.under(run_root, request.city, request.as_of)
    summary = manifest.get("summary", {})
    return {
        "briefing": final.briefing_pdf,
        "briefing_html": final.briefing_html,
        "results": final.results,
        "provenance": final.provenance,
        "run_folder": run_root,
        "run_briefing": in_run.briefing_pdf,
        "latest": RunFolder(paths, request.city, request.as_of, "", "").latest,
        "manifest": run_root / "manifest.json",
        "verdict": summary.get("label"),
        "title": summary.get("title"),
        "skipped": skipped,
        "changes": manifest.get("changes", {}),
        # the outputs as copied to the project's folders
        "files": [paths.root / o["path"] for o in manifest.get("outputs", [])],
    }
