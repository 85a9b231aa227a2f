"""Stage 9, pipeline: the shells around the analysis core that notebooks and the CLI call.

* :mod:`~analysis.pipeline.params`: parameters checked and turned into a request;
* :mod:`~analysis.pipeline.stages`: the three notebook stages (read, analyse, render, write);
* :mod:`~analysis.pipeline.runner`: the papermill runner: run folder, manifest, latest;
* :mod:`~analysis.pipeline.checks`: what a run checks before any notebook starts;
* :mod:`~analysis.pipeline.execute`: the notebooks through papermill, the HTML, provenance;
* :mod:`~analysis.pipeline.early`: the "too early" outputs of a run with no post month;
* :mod:`~analysis.pipeline.html`: the briefing notebook as a standalone HTML page;
* :mod:`~analysis.pipeline.promote`: copying a finished run's outputs to the project;
* :mod:`~analysis.pipeline.runs`: run folders, latest links, locks, retention;
* :mod:`~analysis.pipeline.replay`: the replay command and notebook.
"""

from analysis.pipeline.checks import notebook_parameters
from analysis.pipeline.execute import KERNEL_NAME, NOTEBOOKS, ensure_kernel
from analysis.pipeline.html import briefing_markdown, escape_markdown, export_html
from analysis.pipeline.params import (
    CRITERIA_PARAMETERS,
    SPEC_PARAMETERS,
    default_city,
    make_request,
    make_spec,
    project_registry,
    resolve_as_of,
)
from analysis.pipeline.promote import promote
from analysis.pipeline.runner import ensure_raw, run
from analysis.pipeline.stages import (
    BriefingStage,
    CleanStage,
    ModelStage,
    PipelineError,
    clean_inputs,
    figure_image,
    load_outcome,
    run_info,
    save_outcome,
    stage_briefing,
    stage_clean,
    stage_model,
)

__all__ = [
    "CRITERIA_PARAMETERS",
    "KERNEL_NAME",
    "NOTEBOOKS",
    "SPEC_PARAMETERS",
    "BriefingStage",
    "CleanStage",
    "ModelStage",
    "PipelineError",
    "briefing_markdown",
    "clean_inputs",
    "default_city",
    "escape_markdown",
    "ensure_kernel",
    "ensure_raw",
    "export_html",
    "figure_image",
    "load_outcome",
    "make_request",
    "make_spec",
    "notebook_parameters",
    "project_registry",
    "promote",
    "resolve_as_of",
    "run",
    "run_info",
    "save_outcome",
    "stage_briefing",
    "stage_clean",
    "stage_model",
]
