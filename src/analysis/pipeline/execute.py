"""Executing a run's notebooks with papermill inside its run folder: the kernel, the three
notebooks (or the early path after the first), the HTML briefing and the provenance."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from analysis import config
from analysis.config import Paths
from analysis.errors import PipelineError
from analysis.layout import RunLayout
from analysis.pipeline.early import early_outputs, has_post_month
from analysis.pipeline.html import export_html
from analysis.pipeline.kernel import WarmKernel
from analysis.pipeline.promote import staged_outputs
from analysis.pipeline.runs import (
    RunFolder,
)
from analysis.provenance import (
    code_version,
    file_record,
    write_json_atomic,
    write_text_atomic,
)

NOTEBOOKS = ("10_clean.ipynb", "20_model.ipynb", "30_briefing.ipynb")


KERNEL_NAME = "analysis"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Install the project's Jupyter kernel into this environment if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (stockton-its)", prefix=sys.prefix)
    return name


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


def execute(
    pm, request, params, folder: RunFolder, paths: Paths, accepted_by, kernel: WarmKernel, run_at
):
    """The three notebooks into the run folder, one after the other in ``kernel`` (reset
    before each), the HTML briefing and the provenance."""
    source_dir = config.source_root() / "notebooks"
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
            kernel.prepare(folder.root)
            pm.execute_notebook(
                str(source_dir / name),
                str(target),
                parameters={k: v for k, v in base.items() if k in accepted_by[name]},
                kernel_name=kernel.kernel_name,
                cwd=str(folder.root),
                progress_bar=False,
                request_save_on_cell_execute=False,
                # a cell's stdout as one output, however the kernel's flushes split it:
                # the same run gives the same bytes
                coalesce_streams=True,
                km=kernel.manager,
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
        if name == NOTEBOOKS[0] and not has_post_month(staged, request):
            results_doc = early_outputs(request, params, staged, run_at)
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
