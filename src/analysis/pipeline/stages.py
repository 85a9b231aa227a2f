"""The notebooks' stages: thin shells that read files, call the core, render and write.

* ``10_clean``    -> :func:`stage_clean`: clean the raw file, build the monthly panel.
* ``20_model``    -> :func:`stage_model`: :func:`analysis.analyse` once (fit, power,
  verdict); the model figures; the outcome handed on to the briefing.
* ``30_briefing`` -> :func:`stage_briefing`: the briefing figures, ``results.json`` and the
  one-page PDF, rendered from that outcome (nothing is refitted).

Every path comes from :class:`analysis.layout.RunLayout`.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import __version__, clock, config
from analysis.briefing import build_briefing, build_notes, robustness_notes, write_briefing_pdf
from analysis.cleaning import CleaningOptions, CleaningResult, clean_homicides
from analysis.config import Paths
from analysis.core import AnalysisData, Outcome, analyse
from analysis.errors import DataUnavailableError, PipelineError, SchemaError, SeriesError
from analysis.figures import (
    RunInfo,
    briefing_figures,
    descriptive_figure,
    export,
    forest_figure,
    model_figures,
    placebo_figure,
)
from analysis.interventions import Intervention
from analysis.layout import RunLayout
from analysis.pipeline.params import make_request, project_registry, resolve_as_of
from analysis.provenance import (
    atomic_path,
    code_version,
    file_record,
    utc_now,
    write_csv_atomic,
    write_json_atomic,
)
from analysis.results import results_document
from analysis.series import (
    MonthlySeries,
    implausible_population,
    load_population,
    monthly_counts,
    read_panel,
)
from analysis.sources import SOURCES, fetch


def raw_folder(raw_dir: str | Path | None) -> Path:
    return Path(raw_dir) if raw_dir not in (None, "") else Paths().raw


def run_info(
    city: str, as_of: str, inputs_sha: str, data_through=None, run_at: str | None = None
) -> RunInfo:
    """What a figure's footnote says; the run date is ``run_at``'s (the time the runner
    gives: when these results were first computed), else read from the clock here."""
    return RunInfo(
        place=city,
        as_of=as_of,
        run_date=run_at[:10] if run_at else clock.today().isoformat(),
        input_sha256=inputs_sha,
        code_version=code_version().get("commit") or f"v{__version__}",
        data_through="" if data_through is None else f"{pd.Timestamp(data_through):%Y-%m}",
    )


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["month"] = out["month"].dt.strftime("%Y-%m")
    return out


# --- stage 10 -----------------------------------------------------------------------


def clean_inputs(
    raw_dir: str | Path | None = None,
    *,
    identical_rows: str = "victims",
    allow_implausible_population: bool = False,
) -> tuple[CleaningResult, pd.DataFrame, tuple[Path, Path]]:
    """The cleaned homicide rows and the checked populations, once, from ``data/raw`` (or
    ``raw_dir``); on a fresh clone the data are fetched first (mirror or web)."""
    raw = raw_folder(raw_dir)
    homicides = raw / SOURCES["homicides"].filename
    population = raw / SOURCES["population"].filename
    if raw_dir in (None, "") and not (homicides.exists() and population.exists()):
        fetch(paths=Paths())  # a fresh clone in JupyterLab: the data step, from mirror or web
    for path in (homicides, population):
        if not path.exists():
            raise DataUnavailableError(
                f"{path} is missing: run `make data` (or `analysis fetch`), with "
                f"{config.MIRROR_ENV} pointing at a mirror folder if there is no network"
            )
    cleaning = clean_homicides(homicides, CleaningOptions(identical_rows=identical_rows))
    people = load_population(population)
    odd = implausible_population(people, cleaning.incidents["city"].unique())
    if odd and not allow_implausible_population:
        shown = "; ".join(
            f"line {o['line']}: {o['city']} {o['year']} {o['population']:,.0f} (neighbouring "
            f"years {', '.join(f'{n:,.0f}' for n in o['neighbours'])})"
            for o in odd[:5]
        )
        raise SchemaError(
            f"{population}: implausible population, more than {config.POPULATION_JUMP_FACTOR}"
            f" times every neighbouring year: {shown}. Correct the file, or run with "
            "-p allow_implausible_population=true to use it as it is"
        )
    return cleaning, people, (homicides, population)


@dataclass
class CleanStage:
    cleaning: CleaningResult
    series: MonthlySeries
    city_table: pd.DataFrame
    intervention: Intervention
    inputs: list[dict]
    written: list[Path]


def stage_clean(
    city: str,
    as_of: str,
    *,
    output_root: str | Path | None = None,
    raw_dir: str | Path | None = None,
    intervention_date: str | None = None,
    run_at: str | None = None,
    reporting_lag_days: int = config.REPORTING_LAG_DAYS,
    identical_rows: str = "victims",
    allow_implausible_population: bool = False,
    registry_path: str | Path | None = None,
) -> CleanStage:
    """Clean the homicide file, build the monthly panel, write them to ``data/processed``.

    A population that departs implausibly from its neighbouring years (see
    :func:`analysis.series.implausible_population`) stops the run unless
    ``allow_implausible_population``.
    """
    as_of = resolve_as_of(as_of)
    registry = project_registry(registry_path)
    intervention = registry.intervention_for(city, intervention_date)
    cleaning, people, (homicides, population) = clean_inputs(
        raw_dir,
        identical_rows=identical_rows,
        allow_implausible_population=allow_implausible_population,
    )
    series = monthly_counts(
        cleaning.incidents,
        as_of=as_of,
        reporting_lag_days=reporting_lag_days,
        population=people,
    )
    cities = sorted(series.frame["city"].unique())
    if city not in cities:
        raise SeriesError(f"city={city!r} is not in {homicides.name}; cities there: {cities}")
    layout = RunLayout.under(output_root or config.scratch_root(), city, as_of)
    city_table = series.frame[series.frame["city"] == city].reset_index(drop=True)
    root = homicides.parent.parent.parent  # the project of data/raw/<file>
    inputs = [file_record(homicides, root), file_record(population, root)]
    written = [
        write_csv_atomic(layout.incidents, cleaning.incidents),
        write_csv_atomic(layout.quarantine, cleaning.quarantine),
        write_json_atomic(layout.cleaning_report, cleaning.report),
        write_csv_atomic(layout.cleaning_report_table, cleaning.report_frame()),
        write_csv_atomic(layout.panel, _dated(series.frame)),
        write_csv_atomic(layout.monthly, _dated(city_table)),
        write_json_atomic(
            layout.excluded_months, [e for e in series.excluded if e["city"] == city]
        ),
        write_json_atomic(layout.inputs, inputs),
    ]
    complete = city_table.loc[city_table["status"] == "complete", "month"]
    last = complete.max() if not complete.empty else None
    info = run_info(city, as_of, cleaning.report["sha256"], last, run_at)
    fig, data = descriptive_figure(city_table, city, intervention, info)
    written += export(fig, data, layout.figures, layout.figure_stem("descriptive"))
    return CleanStage(cleaning, series, city_table, intervention, inputs, written)


# --- stage 20 -----------------------------------------------------------------------


@dataclass
class ModelStage:
    outcome: Outcome
    info: RunInfo
    written: list[Path]

    @property
    def result(self):
        return self.outcome.result


def _input_sha(layout: RunLayout) -> str:
    if layout.cleaning_report.exists():
        return json.loads(layout.cleaning_report.read_text())["sha256"]
    return "unknown"


def stage_model(
    city: str,
    as_of: str,
    *,
    output_root: str | Path | None = None,
    intervention_date: str | None = None,
    measure: str = "victims",
    run_at: str | None = None,
    reporting_lag_days: int | None = None,
    seed: int | None = None,
    registry_path: str | Path | None = None,
    **params,
) -> ModelStage:
    """Analyse the city's series once (fit, power, verdict); write the model JSON, the model
    figures and the outcome the briefing notebook renders.

    ``params``: model parameters (``family``, ``seasonality``, ...) and verdict criteria
    (``min_post_months``, ``n_simulations``, ...); None takes the project default.
    """
    request = make_request(
        city,
        as_of,
        registry=project_registry(registry_path),
        intervention_date=intervention_date,
        measure=measure,
        reporting_lag_days=reporting_lag_days,
        seed=seed,
        **params,
    )
    layout = RunLayout.under(output_root or config.scratch_root(), request.city, request.as_of)
    if not layout.panel.exists():
        raise SeriesError(
            f"{layout.panel} is missing: run notebooks/10_clean.ipynb for {city}, {request.as_of}"
        )
    data = AnalysisData(panel=read_panel(layout.panel), input_sha256=_input_sha(layout))
    outcome = analyse(request, data)
    info = run_info(request.city, request.as_of, data.input_sha256, outcome.data_through, run_at)
    doc = outcome.result.to_dict()
    doc.update(
        {"city": city, "as_of": request.as_of, "measure": measure, "input": layout.panel.name}
    )
    written = [write_json_atomic(layout.model, doc), save_outcome(outcome, layout.outcome_state)]
    for name, (fig, frame) in model_figures(outcome, info).items():
        written += export(fig, frame, layout.figures, layout.figure_stem(name))
    return ModelStage(outcome, info, written)


def save_outcome(outcome: Outcome, path: Path) -> Path:
    """The outcome, pickled into the run's private state (never promoted)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_outcome(layout: RunLayout) -> Outcome:
    """The outcome the model notebook of this run wrote (the file this run made itself)."""
    path = layout.outcome_state
    if not path.exists():
        raise SeriesError(
            f"{path} is missing: run notebooks/20_model.ipynb for {layout.city}, {layout.as_of}"
        )
    outcome = pickle.loads(path.read_bytes())  # our own file (see docstring)
    if not isinstance(outcome, Outcome) or (outcome.city, outcome.request.as_of) != (
        layout.city,
        layout.as_of,
    ):
        raise PipelineError(
            f"{path} does not hold the outcome for {layout.city}, {layout.as_of}: rerun "
            "notebooks 10 and 20"
        )
    return outcome


# --- stage 30 -----------------------------------------------------------------------


@dataclass
class BriefingStage:
    outcome: Outcome
    document: dict
    written: list[Path]

    @property
    def verdict(self):
        return self.outcome.verdict

    @property
    def result(self):
        return self.outcome.result

    @property
    def power(self):
        return self.outcome.power


def stage_briefing(
    city: str, as_of: str, *, output_root: str | Path | None = None, run_at: str | None = None
) -> BriefingStage:
    """The briefing figures, results.json and the one-page PDF, from stage 20's outcome."""
    layout = RunLayout.under(output_root or config.scratch_root(), city, resolve_as_of(as_of))
    outcome = load_outcome(layout)
    info = run_info(city, layout.as_of, outcome.input_sha256, outcome.data_through, run_at)
    written = []
    for name, (fig, data) in briefing_figures(outcome, info).items():
        written += export(fig, data, layout.figures, layout.figure_stem(name))
    inputs = json.loads(layout.inputs.read_text()) if layout.inputs.exists() else []
    doc = results_document(outcome, inputs=inputs, run_at=run_at or utc_now(), code=code_version())
    written.append(write_json_atomic(layout.results, doc))
    page = build_briefing(
        outcome.result,
        outcome.verdict,
        info,
        outcome.intervention,
        caveats=outcome.verdict.data_caveats,
        notes_name=layout.briefing_notes.name,
        later=outcome.after_window,
    )
    rb = outcome.robustness
    items = page.overflow + (robustness_notes(rb, city) if rb is not None else [])
    if items:
        pages = [build_notes(info, outcome.verdict.title, items)]
        if rb is not None:
            args = (rb, outcome.verdict, info, outcome.intervention)
            pages += [forest_figure(*args)[0], placebo_figure(*args)[0]]
        written.append(write_briefing_pdf(pages, layout.briefing_notes, "Technical notes"))
    elif layout.briefing_notes.exists():
        layout.briefing_notes.unlink()  # an earlier run's notes would not belong to this one
    written.append(write_briefing_pdf(page, layout.briefing_pdf, outcome.verdict.title))
    return BriefingStage(outcome, doc, written)


def figure_image(written: list[Path], name: str, alt: str, width: int = 900):
    """The PNG figure ``name`` among a stage's written files, for display in a notebook
    (with alternative text, so the HTML briefing is readable with a screen reader)."""
    from IPython.display import Image

    for path in written:
        if path.name.endswith(f"_{name}.png"):
            return Image(filename=str(path), width=width, alt=alt)
    raise FileNotFoundError(f"no {name}.png among the files this stage wrote")
