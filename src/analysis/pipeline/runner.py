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
from analysis.cleaning import CleaningOptions, city_names
from analysis.config import Paths
from analysis.errors import DataUnavailableError, ModelSpecError
from analysis.layout import OUTPUT_FOLDERS, RunLayout
from analysis.pipeline.html import export_html
from analysis.pipeline.params import make_request, project_registry
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
from analysis.pipeline.stages import PipelineError
from analysis.provenance import (
    code_version,
    file_record,
    utc_now,
    write_json_atomic,
    write_text_atomic,
)
from analysis.sources import SOURCES, fetch, mirror_from_env, read_manifest, verify_raw

NOTEBOOKS = ("10_clean.ipynb", "20_model.ipynb", "30_briefing.ipynb")
KERNEL_NAME = "analysis"
#: Parameters the runner sets itself; a user may not.
RESERVED = ("output_root", "raw_dir", "city", "as_of", "run_at")


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Install the project's Jupyter kernel into this environment if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (stockton-its)", prefix=sys.prefix)
    return name


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


def notebook_parameters(notebook: Path) -> set[str]:
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)).keys())


#: Parameters of the cleaning notebook only (the rest make the analysis request).
CLEANING_PARAMETERS = ("identical_rows", "allow_implausible_population")


def _check_cleaning_parameters(extra: dict) -> None:
    if "identical_rows" in extra:
        try:
            CleaningOptions(identical_rows=extra["identical_rows"])
        except ValueError as exc:
            raise ModelSpecError(str(exc)) from None
    allow = extra.get("allow_implausible_population", False)
    if not isinstance(allow, bool):
        raise ModelSpecError(f"allow_implausible_population={allow!r}: give true or false")


def _city_in_data(city: str, homicides: Path) -> str:
    """The city as the data spell it (any letter case and spacing), or a clear error."""
    names = city_names(homicides)
    wanted = " ".join(city.split()).casefold()
    for name in names:
        if name.casefold() == wanted:
            return name
    shown = city if len(city) <= 60 else city[:57] + "..."
    raise ModelSpecError(
        f"city={shown!r} is not in {homicides.name}; its cities are {sorted(names)}. "
        "Give one of them (any letter case)"
    )


#: Metadata papermill and nbclient record per execution (times, durations): kept in the
#: run's manifest, left out of the executed notebook so that the same run gives the same bytes.
VOLATILE = ("start_time", "end_time", "duration", "execution", "output_path")


def normalise_notebook(path: Path) -> None:
    """Drop the execution times from an executed notebook (in place, atomically)."""
    nb = json.loads(path.read_text())
    holders = [nb.get("metadata", {}).get("papermill", {})]
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        holders += [meta, meta.get("papermill", {})]
        if "injected-parameters" in meta.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random one
    for holder in holders:
        for name in VOLATILE:
            holder.pop(name, None)
    write_text_atomic(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def check_targets(paths: Paths) -> None:
    """The project's output folders exist and are writable, before anything runs or moves."""
    for folder in OUTPUT_FOLDERS:
        target = paths.root / folder
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PipelineError(f"cannot create {target}: {exc}; nothing was run") from None
        if not os.access(target, os.W_OK):
            raise PipelineError(
                f"{target} is not writable: nothing was run and nothing moved. Make it "
                "writable (or run as its owner) and run again"
            )


def _check_dates(request, homicides: Path) -> None:
    """The as-of and intervention dates against the city's records, before any notebook."""
    import pandas as pd

    from analysis.cleaning import clean_homicides
    from analysis.models import required_months

    dates = clean_homicides(homicides).incidents.query("city == @request.city")["date"]
    first, last = dates.min(), dates.max()
    as_of = pd.Timestamp(request.as_of)
    start = pd.Timestamp(request.intervention.start)
    span = f"{request.city}'s records run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if as_of < first:
        raise ModelSpecError(
            f"as_of={request.as_of} is before the data begin ({span}): give a later date"
        )
    if start > min(as_of, last):
        raise ModelSpecError(
            f"intervention_date={request.intervention.start} is after "
            f"{'the as-of date' if as_of <= last else 'the last record'} ({span}; as_of "
            f"{request.as_of}): give a date inside the data"
        )
    need_pre, _ = required_months(request.spec)
    months_before = (start.to_period("M") - first.to_period("M")).n
    if months_before < need_pre:
        raise ModelSpecError(
            f"intervention_date={request.intervention.start} leaves {months_before} month(s) of "
            f"data before it ({span}); the model needs at least {need_pre}: give a later date"
        )


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
    import papermill as pm

    paths = paths or Paths()
    extra = dict(extra or {})
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
    _check_cleaning_parameters(extra)
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
    city = _city_in_data(request.city, paths.raw / SOURCES["homicides"].filename)
    if city != request.city:
        request = replace(request, city=city)
    _check_dates(request, paths.raw / SOURCES["homicides"].filename)
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
            results_doc, staged = _execute(
                pm, request, params, folder, paths, accepted_by, kernel_name, run_at
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
            "data_through": verdict["numbers"]["last_month"],
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


def _has_post_month(staged: RunLayout, request) -> bool:
    """Whether the city has a complete month from the first post month on (notebook 10's
    monthly table)."""
    import pandas as pd

    table = pd.read_csv(staged.monthly)
    done = pd.to_datetime(table.loc[table["status"] == "complete", "month"])
    return bool((done >= request.spec.first_post_month()).any())


def _early_outputs(request, params: dict, staged: RunLayout, run_at: str) -> dict:
    """No complete month since the start: the "too early" verdict, results.json and a
    one-page briefing (PDF and HTML) from the data as they are; no model is fitted."""
    import pandas as pd

    from analysis.briefing import build_text_briefing, write_briefing_pdf
    from analysis.pipeline.html import early_html
    from analysis.pipeline.stages import run_info
    from analysis.results import early_document
    from analysis.verdict import early_verdict

    table = pd.read_csv(staged.monthly)
    done = pd.to_datetime(table.loc[table["status"] == "complete", "month"])
    first_post = request.spec.first_post_month()
    last = done.max() if len(done) else None
    verdict = early_verdict(
        place=request.city,
        intervention=request.intervention,
        first_post=first_post,
        last_month=last,
        n_pre=int((done < first_post).sum()),
        min_post_months=request.criteria.min_post_months,
        confidence_level=request.spec.confidence_level,
    )
    inputs = json.loads(staged.inputs.read_text()) if staged.inputs.exists() else []
    doc = early_document(
        verdict,
        city=request.city,
        as_of=request.as_of,
        parameters=params,
        inputs=inputs,
        run_at=run_at,
        code=code_version(),
        intervention=request.intervention.to_dict(),
    )
    write_json_atomic(staged.results, doc)
    info = run_info(
        request.city, request.as_of, inputs[0]["sha256"] if inputs else "-", last, run_at
    )
    page = build_text_briefing(verdict, info, request.intervention)
    write_briefing_pdf(page, staged.briefing_pdf, verdict.title)
    title = f"{request.city}: {verdict.title}"
    html = early_html(
        title,
        verdict,
        staged.figure("descriptive"),
        f"Monthly homicides in {request.city}, before the start",
    )
    write_text_atomic(staged.briefing_html, html)
    return doc


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


def _execute(
    pm, request, params, folder: RunFolder, paths: Paths, accepted_by, kernel_name, run_at
):
    """The three notebooks into the run folder, the HTML briefing and the provenance."""
    source_dir = config.source_root() / "notebooks"
    kernel = kernel_name or ensure_kernel()
    staged = RunLayout.under(folder.root, request.city, request.as_of)
    staged.notebooks.mkdir(parents=True, exist_ok=True)
    # the notebooks run inside the run folder and write to "." there: the executed
    # notebooks do not name the run folder, so a forced rerun gives the same bytes
    base = {
        "output_root": ".",
        "raw_dir": str(paths.raw),
        "run_at": run_at,
        **params,
    }
    executed = []
    for name in NOTEBOOKS:
        target = staged.executed_notebook(name)
        try:
            pm.execute_notebook(
                str(source_dir / name),
                str(target),
                parameters={k: v for k, v in base.items() if k in accepted_by[name]},
                kernel_name=kernel,
                cwd=str(folder.root),
                progress_bar=False,
                request_save_on_cell_execute=False,
            )
        except pm.PapermillExecutionError as exc:
            raise PipelineError(
                f"{name} failed for city={request.city!r}, as_of={request.as_of}: "
                f"{exc.ename}: {exc.evalue}. The executed notebook is {target}; the last good "
                "outputs are unchanged."
            ) from exc
        except Exception as exc:  # a dead kernel, a timeout: papermill's own errors
            raise PipelineError(
                f"{name} stopped for city={request.city!r}, as_of={request.as_of}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. The "
                f"executed notebook, as far as it ran, is {target}; the last good outputs are "
                "unchanged."
            ) from exc
        normalise_notebook(target)
        executed.append(target)
        if name == NOTEBOOKS[0] and not _has_post_month(staged, request):
            results_doc = _early_outputs(request, params, staged, run_at)
            break
    else:
        results_doc = json.loads(staged.results.read_text())
        export_html(
            executed[-1],
            staged.briefing_html,
            title=f"{request.city}: {results_doc['verdict']['title']}",
        )
    read = json.loads(staged.inputs.read_text()) if staged.inputs.exists() else []
    provenance = {
        "run_at": run_at,
        "parameters": params,
        "request": request.to_dict(),
        "code": code_version(),
        "inputs": read,  # the files notebook 10 actually read, with their checksums
        "outputs": [file_record(p, folder.root) for p in staged_outputs(folder.root)],
    }
    write_json_atomic(staged.provenance, provenance)
    return results_doc, staged
