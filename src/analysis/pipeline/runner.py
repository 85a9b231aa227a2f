"""The papermill runner: the three notebooks into a staging folder, then promotion.

:func:`run` checks every parameter (by building the analysis request) before any notebook
starts, executes the notebooks through papermill into a **staging** folder and, only when
all three succeed, moves the outputs into ``data/processed``, ``figures`` and ``reports``
with a provenance manifest (sha256 of every input and output, the parameters, the code
version). A failed run leaves the last good outputs in place and raises
:class:`PipelineError` (the CLI exits non-zero).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from analysis import config
from analysis.cleaning import CleaningOptions, city_names
from analysis.config import Paths
from analysis.errors import ModelSpecError
from analysis.layout import RunLayout
from analysis.pipeline.html import export_html
from analysis.pipeline.params import make_request, project_registry
from analysis.pipeline.promote import promote, staged_outputs
from analysis.pipeline.stages import PipelineError
from analysis.provenance import code_version, file_record, utc_now, write_json_atomic
from analysis.sources import SOURCES, fetch, mirror_from_env, read_manifest

NOTEBOOKS = ("10_clean.ipynb", "20_model.ipynb", "30_briefing.ipynb")
KERNEL_NAME = "analysis"
#: Parameters the runner sets itself; a user may not.
RESERVED = ("output_root", "raw_dir")


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Install the project's Jupyter kernel into this environment if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (stockton-its)", prefix=sys.prefix)
    return name


def ensure_raw(paths: Paths, mirror: str | Path | None = None) -> dict:
    """Raw files present: fetch what is missing (mirror or network); check a given mirror."""
    missing = [k for k, s in SOURCES.items() if not (paths.raw / s.filename).exists()]
    if missing or mirror_from_env(mirror) is not None:
        return fetch(paths=paths, mirror=mirror)
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


def run(
    city: str | None = None,
    as_of: str = "today",
    *,
    intervention_date: str | None = None,
    paths: Paths | None = None,
    mirror: str | Path | None = None,
    kernel_name: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Run the three notebooks for ``city`` and ``as_of``; promote outputs if all succeed.

    Returns the paths of the briefing PDF and HTML, results.json and the provenance
    manifest, and the verdict's label and title.
    """
    import papermill as pm

    paths = paths or Paths()
    extra = dict(extra or {})
    reserved = sorted(set(extra) & set(RESERVED))
    if reserved:
        raise ModelSpecError(
            f"parameter(s) {reserved} are set by the runner, not by -p: a run writes into "
            "its own staging folder and reads data/raw"
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
    params = {
        "city": request.city,
        "as_of": request.as_of,
        "intervention_date": request.intervention.start,
        **extra,
    }
    ensure_raw(paths, mirror)
    city = _city_in_data(request.city, paths.raw / SOURCES["homicides"].filename)
    if city != request.city:
        request = replace(request, city=city)
        params["city"] = city
    kernel = kernel_name or ensure_kernel()
    final = RunLayout(paths, request.city, request.as_of)
    staging_root = final.staging_root(str(os.getpid()))
    if staging_root.exists():
        shutil.rmtree(staging_root)
    staged = RunLayout.under(staging_root, request.city, request.as_of)
    staged.notebooks.mkdir(parents=True)
    base = {"output_root": str(staging_root), "raw_dir": str(paths.raw), **params}
    executed = []
    for name in NOTEBOOKS:
        target = staged.executed_notebook(name)
        try:
            pm.execute_notebook(
                str(source_dir / name),
                str(target),
                parameters={k: v for k, v in base.items() if k in accepted_by[name]},
                kernel_name=kernel,
                cwd=str(paths.root),
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
        executed.append(target)
    results_doc = json.loads(staged.results.read_text())
    export_html(
        executed[-1],
        staged.briefing_html,
        title=f"{request.city}: {results_doc['verdict']['title']}",
    )
    manifest = {
        "run_at": utc_now(),
        "parameters": params,
        "request": request.to_dict(),
        "code": code_version(),
        "inputs": [file_record(paths.raw / s.filename) for s in SOURCES.values()],
        "outputs": [file_record(p, staging_root) for p in staged_outputs(staging_root)],
    }
    write_json_atomic(staged.provenance, manifest)
    promoted = promote(staging_root, paths.root)
    shutil.rmtree(staging_root, ignore_errors=True)
    verdict = results_doc["verdict"]
    return {
        "briefing": final.briefing_pdf,
        "briefing_html": final.briefing_html,
        "results": final.results,
        "provenance": final.provenance,
        "files": promoted,
        "verdict": verdict["label"],
        "title": verdict["title"],
    }
