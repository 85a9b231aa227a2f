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

# The names below are imported on first use: the runner imports this package in the parent
# process, which should not pay for the stages' plotting and modelling imports before its
# notebook kernel has started (see analysis.pipeline.kernel).
_WHERE = {
    "notebook_parameters": "checks",
    "KERNEL_NAME": "execute",
    "NOTEBOOKS": "execute",
    "ensure_kernel": "execute",
    "briefing_markdown": "html",
    "escape_markdown": "html",
    "export_html": "html",
    "CRITERIA_PARAMETERS": "params",
    "SPEC_PARAMETERS": "params",
    "default_city": "params",
    "make_request": "params",
    "make_spec": "params",
    "project_registry": "params",
    "resolve_as_of": "params",
    "ensure_raw": "runner",
    "run": "runner",
    "BriefingStage": "stages",
    "CleanStage": "stages",
    "ModelStage": "stages",
    "clean_inputs": "stages",
    "figure_image": "stages",
    "load_outcome": "stages",
    "run_info": "stages",
    "save_outcome": "stages",
    "stage_briefing": "stages",
    "stage_clean": "stages",
    "stage_model": "stages",
}


def __getattr__(name: str):
    if name == "PipelineError":
        from analysis.errors import PipelineError

        return PipelineError
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"analysis.pipeline.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'analysis.pipeline' has no attribute {name!r}")


__all__ = sorted([*_WHERE, "PipelineError"])


def __dir__() -> list[str]:  # tab completion in JupyterLab lists the lazy names too
    return sorted({*globals(), *__all__})
