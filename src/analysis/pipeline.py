"""Stage 9, pipeline: the notebooks' stages as functions, and the papermill runner.

The three notebooks are thin: each calls one ``stage_*`` function here and tells the
story around its outputs.

* ``10_clean``    -> :func:`stage_clean`: clean the raw file, build the monthly series.
* ``20_model``    -> :func:`stage_model`: fit the ITS model, diagnostics, fit figure.
* ``30_briefing`` -> :func:`stage_briefing`: power, verdict, figures, results.json, PDF.

:func:`run` executes them through papermill into a **staging** folder. Only when all three
succeed are the outputs moved into ``data/processed``, ``figures`` and ``reports``
(one ``os.replace`` per file), with a provenance manifest listing every output's sha256,
the inputs' checksums, the parameters and the code version. A failed run leaves the
last good outputs in place and raises :class:`PipelineError` (the CLI exits non-zero).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis import __version__, config
from analysis.briefing import build_briefing, write_briefing_pdf
from analysis.cleaning import CleaningOptions, CleaningResult, clean_homicides
from analysis.config import Paths
from analysis.errors import AnalysisError, DataUnavailableError, ModelSpecError, SeriesError
from analysis.figures import (
    RunInfo,
    descriptive_figure,
    diagnostics_figure,
    draw_main,
    effect_figure,
    export,
    main_figure,
    power_figure,
    stem,
    use_project_style,
)
from analysis.models import ITSResult, ITSSpec, fit_its
from analysis.power import PowerAnalysis, power_analysis
from analysis.provenance import (
    code_version,
    file_record,
    utc_now,
    write_csv_atomic,
    write_json_atomic,
)
from analysis.results import results_document
from analysis.series import MonthlySeries, load_population, monthly_counts
from analysis.sources import SOURCES, fetch
from analysis.verdict import Verdict, decide

log = logging.getLogger(__name__)

NOTEBOOKS = ("10_clean.ipynb", "20_model.ipynb", "30_briefing.ipynb")
KERNEL_NAME = "analysis"


class PipelineError(AnalysisError):
    """A notebook of the pipeline failed; the previous outputs were left in place."""


def resolve_as_of(value: str | date | None) -> str:
    """``"today"`` (or None) is the run date; otherwise a YYYY-MM-DD date."""
    if value in (None, "", "today"):
        return date.today().isoformat()
    try:
        return pd.Timestamp(value).date().isoformat()
    except (ValueError, TypeError) as exc:
        raise ModelSpecError(f"as_of={value!r}: use 'today' or a date like 2013-02-01") from exc


def output_paths(output_root: str | Path | None) -> Paths:
    """The folders a stage writes to: the project's, or a staging root given by the runner."""
    return Paths(output_root) if output_root not in (None, "") else Paths()


def raw_folder(raw_dir: str | Path | None) -> Path:
    return Path(raw_dir) if raw_dir not in (None, "") else Paths().raw


# --- stage 10 -----------------------------------------------------------------------


@dataclass
class CleanStage:
    cleaning: CleaningResult
    series: MonthlySeries
    city_table: pd.DataFrame
    inputs: list[dict]
    written: list[Path]


def stage_clean(
    city: str,
    as_of: str,
    *,
    output_root: str | Path | None = None,
    raw_dir: str | Path | None = None,
    intervention_date: str = config.INTERVENTION_DATE,
    reporting_lag_days: int = config.REPORTING_LAG_DAYS,
    identical_rows: str = "victims",
) -> CleanStage:
    """Clean the homicide file, build monthly series, write them to ``data/processed``."""
    as_of = resolve_as_of(as_of)
    raw = raw_folder(raw_dir)
    out = output_paths(output_root)
    homicides = raw / SOURCES["homicides"].filename
    population = raw / SOURCES["population"].filename
    for path in (homicides, population):
        if not path.exists():
            raise DataUnavailableError(
                f"{path} is missing: run `make data` (or `analysis fetch`), with "
                f"{config.MIRROR_ENV} pointing at a mirror folder if there is no network"
            )
    cleaning = clean_homicides(homicides, CleaningOptions(identical_rows=identical_rows))
    series = monthly_counts(
        cleaning.incidents,
        as_of=as_of,
        reporting_lag_days=reporting_lag_days,
        population=load_population(population),
    )
    cities = sorted(series.frame["city"].unique())
    if city not in cities:
        raise SeriesError(f"city={city!r} is not in {homicides.name}; cities there: {cities}")
    city_table = series.frame[series.frame["city"] == city].reset_index(drop=True)
    processed = out.processed
    written = [
        write_csv_atomic(processed / "incidents.csv", cleaning.incidents),
        write_csv_atomic(processed / "quarantine.csv", cleaning.quarantine),
        write_json_atomic(processed / "cleaning_report.json", cleaning.report),
        write_csv_atomic(processed / "cleaning_report.csv", cleaning.report_frame()),
        write_csv_atomic(processed / f"all-cities_{as_of}_monthly.csv", _dated(series.frame)),
        write_csv_atomic(processed / f"{stem(city, as_of, 'monthly')}.csv", _dated(city_table)),
        write_json_atomic(
            processed / f"{stem(city, as_of, 'excluded_months')}.json",
            [e for e in series.excluded if e["city"] == city],
        ),
    ]
    inputs = [file_record(homicides, raw.parent.parent), file_record(population, raw.parent.parent)]
    written.append(write_json_atomic(processed / f"{stem(city, as_of, 'inputs')}.json", inputs))
    info = run_info(city, as_of, cleaning.report["sha256"])
    fig, data = descriptive_figure(city_table, city, intervention_date, info)
    written += export(fig, data, out.figures, stem(city, as_of, "descriptive"))
    return CleanStage(cleaning, series, city_table, inputs, written)


def figure_image(written: list[Path], name: str, alt: str, width: int = 900):
    """The PNG figure ``name`` among a stage's written files, for display in a notebook
    (with alternative text, so the HTML briefing is readable with a screen reader)."""
    from IPython.display import Image

    for path in written:
        if path.name.endswith(f"_{name}.png"):
            return Image(filename=str(path), width=width, alt=alt)
    raise FileNotFoundError(f"no {name}.png among the files this stage wrote")


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["month"] = out["month"].dt.strftime("%Y-%m")
    return out


def load_monthly(city: str, as_of: str, output_root=None, measure: str = "victims"):
    """The complete months of a city from ``{city}_{as_of}_monthly.csv`` (stage 10's output)."""
    path = output_paths(output_root).processed / f"{stem(city, as_of, 'monthly')}.csv"
    if not path.exists():
        raise SeriesError(f"{path} is missing: run notebooks/10_clean.ipynb for {city}, {as_of}")
    if measure not in ("victims", "incidents"):
        raise ModelSpecError(f"measure={measure!r}: use 'victims' or 'incidents'")
    table = pd.read_csv(path)
    table["month"] = pd.to_datetime(table["month"], format="%Y-%m")
    complete = table[table["status"] == "complete"]
    series = pd.DataFrame(
        {
            "count": complete[measure].astype(int).to_numpy(),
            "population": complete["population"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(complete["month"], name="month"),
    )
    return series, table, path


# --- stage 20 -----------------------------------------------------------------------


def make_spec(**params) -> ITSSpec:
    """An ITSSpec from notebook parameters; None means the project default."""
    given = {k: v for k, v in params.items() if v is not None}
    if "offset" not in given:  # default: a log-population offset for the count families
        given["offset"] = given.get("family", config.DEFAULT_FAMILY) != "gaussian"
    return ITSSpec(**given)


@dataclass
class ModelStage:
    result: ITSResult
    info: RunInfo
    written: list[Path]


def run_info(city: str, as_of: str, inputs_sha: str) -> RunInfo:
    return RunInfo(
        place=city,
        as_of=as_of,
        run_date=date.today().isoformat(),
        input_sha256=inputs_sha,
        code_version=code_version().get("commit") or f"v{__version__}",
    )


def stage_model(
    city: str,
    as_of: str,
    spec: ITSSpec,
    *,
    output_root: str | Path | None = None,
    measure: str = "victims",
) -> ModelStage:
    """Fit the model to the city's series and write the model JSON and its figures."""
    as_of = resolve_as_of(as_of)
    series, _, monthly_path = load_monthly(city, as_of, output_root, measure)
    result = fit_its(series, spec)
    out = output_paths(output_root)
    info = run_info(city, as_of, _input_sha(out))
    doc = result.to_dict()
    doc.update({"city": city, "as_of": as_of, "measure": measure, "input": str(monthly_path.name)})
    written = [write_json_atomic(out.processed / f"{stem(city, as_of, 'model')}.json", doc)]
    written += export(*fit_figure(result, info), out.figures, stem(city, as_of, "fit"))
    written += export(
        *diagnostics_figure(result, info), out.figures, stem(city, as_of, "diagnostics")
    )
    return ModelStage(result, info, written)


def _input_sha(out: Paths) -> str:
    report = out.processed / "cleaning_report.json"
    if report.exists():
        return json.loads(report.read_text())["sha256"]
    return "unknown"


def fit_figure(result: ITSResult, info: RunInfo):
    """The modelling notebook's figure: observed, fitted and counterfactual (no verdict)."""
    import matplotlib.pyplot as plt

    from analysis.figures import FIGSIZE, _frame_figure

    use_project_style()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    data = draw_main(ax, result, info.intervention_label)
    rr = result.rate_ratio
    spec = result.spec
    subtitle = (
        f"{spec.estimator} estimator, {spec.family}, seasonality {spec.seasonality}; "
        f"post-period rate ratio {rr['estimate']:.2f} ({spec.confidence_level:.0%} "
        f"{rr['interval']} interval {rr['lower']:.2f} to {rr['upper']:.2f})."
    )
    _frame_figure(fig, f"{info.place}: observed, model and projection", subtitle, info)
    fig.subplots_adjust(top=0.80, bottom=0.1, left=0.08, right=0.98)
    return fig, data


# --- stage 30 -----------------------------------------------------------------------


@dataclass
class BriefingStage:
    result: ITSResult
    power: PowerAnalysis
    verdict: Verdict
    document: dict
    written: list[Path]


def _check_briefing_parameters(min_post, matters, target, sims) -> None:
    """Clear errors for the briefing notebook's parameters, before any simulation runs."""
    checks = (
        (
            "min_post_months",
            min_post,
            isinstance(min_post, int) and min_post >= 1,
            "a whole number of months, e.g. 12",
        ),
        (
            "effect_that_matters",
            matters,
            isinstance(matters, (int, float)) and 0 < matters < 1,
            "a relative change, e.g. 0.2",
        ),
        (
            "target_power",
            target,
            isinstance(target, (int, float)) and 0 < target < 1,
            "a probability, e.g. 0.8",
        ),
        ("n_simulations", sims, isinstance(sims, int) and sims >= 1, "a whole number, e.g. 200"),
    )
    for name, value, ok, hint in checks:
        if not ok:
            raise ModelSpecError(f"{name}={value!r}: give {hint}")


def refit_from_model_json(city: str, as_of: str, output_root=None) -> tuple[ITSResult, dict]:
    """Refit the model stage 20 wrote, and check its estimates are reproduced."""
    out = output_paths(output_root)
    path = out.processed / f"{stem(city, as_of, 'model')}.json"
    if not path.exists():
        raise SeriesError(f"{path} is missing: run notebooks/20_model.ipynb for {city}, {as_of}")
    stored = json.loads(path.read_text())
    series, _, _ = load_monthly(city, as_of, output_root, stored.get("measure", "victims"))
    result = fit_its(series, ITSSpec(**stored["spec"]))
    for name, value in stored["parameters"].items():
        new = float(result.fit.params[name])
        if abs(new - value) > 1e-6 * max(1.0, abs(value)):
            raise PipelineError(
                f"{path}: parameter {name} was {value}, the refit gives {new}; the processed "
                "series changed since the model notebook ran: rerun notebooks 10 and 20"
            )
    return result, stored


def stage_briefing(
    city: str,
    as_of: str,
    *,
    output_root: str | Path | None = None,
    min_post_months: int | None = None,
    effect_that_matters: float | None = None,
    target_power: float | None = None,
    n_simulations: int | None = None,
    parameters: dict | None = None,
) -> BriefingStage:
    """Power, verdict, the briefing figures, results.json and the one-page PDF."""
    as_of = resolve_as_of(as_of)
    min_post = min_post_months if min_post_months is not None else config.MIN_POST_MONTHS
    matters = effect_that_matters if effect_that_matters is not None else config.EFFECT_THAT_MATTERS
    target = target_power if target_power is not None else config.TARGET_POWER
    sims = n_simulations if n_simulations is not None else config.POWER_SIMULATIONS
    _check_briefing_parameters(min_post, matters, target, sims)
    result, stored = refit_from_model_json(city, as_of, output_root)
    power = power_analysis(
        result, effect_that_matters=matters, target_power=target, n_simulations=sims
    )
    verdict = decide(
        result, power, place=city, min_post_months=min_post, target_power=target, as_of=as_of
    )
    out = output_paths(output_root)
    info = run_info(city, as_of, _input_sha(out))
    written = []
    for name, (fig, data) in (
        ("main", main_figure(result, verdict, info)),
        ("effect", effect_figure(result, verdict, info)),
        ("power", power_figure(power, verdict, info)),
    ):
        written += export(fig, data, out.figures, stem(city, as_of, name))
    inputs = json.loads((out.processed / f"{stem(city, as_of, 'inputs')}.json").read_text())
    params = {
        "city": city,
        "as_of": as_of,
        "min_post_months": min_post,
        "effect_that_matters": matters,
        "target_power": target,
        "n_simulations": sims,
        "measure": stored.get("measure", "victims"),
        "spec": stored["spec"],
        **(parameters or {}),
    }
    doc = results_document(
        result, power, verdict, city=city, as_of=as_of, parameters=params, inputs=inputs
    )
    written.append(write_json_atomic(out.processed / f"{stem(city, as_of, 'results')}.json", doc))
    pdf = out.reports / f"{stem(city, as_of, 'briefing')}.pdf"
    page = build_briefing(result, verdict, info, caveats=verdict.data_caveats)
    written.append(write_briefing_pdf(page, pdf, verdict.title))
    return BriefingStage(result, power, verdict, doc, written)


# --- the runner -----------------------------------------------------------------------


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
    from analysis.sources import mirror_from_env, read_manifest

    missing = [k for k, s in SOURCES.items() if not (paths.raw / s.filename).exists()]
    if missing or mirror_from_env(mirror) is not None:
        return fetch(paths=paths, mirror=mirror)
    return read_manifest(paths.raw)


def notebook_parameters(notebook: Path) -> set[str]:
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)).keys())


def run(
    city: str = config.DEFAULT_CITY,
    as_of: str = "today",
    *,
    intervention_date: str = config.INTERVENTION_DATE,
    paths: Paths | None = None,
    mirror: str | Path | None = None,
    kernel_name: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Run the three notebooks for ``city`` and ``as_of``; promote outputs if all succeed.

    Returns the paths of the briefing PDF, results.json and the provenance manifest.
    """
    import papermill as pm

    paths = paths or Paths()
    as_of = resolve_as_of(as_of)
    params = {"city": city, "as_of": as_of, "intervention_date": intervention_date, **(extra or {})}
    # fail fast, before any notebook runs, on a bad model parameter
    spec_keys = set(ITSSpec.__dataclass_fields__)
    make_spec(intervention=intervention_date, **{k: v for k, v in params.items() if k in spec_keys})
    source_dir = config.project_root() / "notebooks"
    accepted_by = {name: notebook_parameters(source_dir / name) for name in NOTEBOOKS}
    unknown = set(params) - set().union(*accepted_by.values())
    if unknown:
        raise ModelSpecError(
            f"unknown parameter(s) {sorted(unknown)}; the notebooks take "
            f"{sorted(set().union(*accepted_by.values()))}"
        )
    ensure_raw(paths, mirror)
    kernel = kernel_name or ensure_kernel()
    run_stem = stem(city, as_of, "run")
    staging = paths.root / "build" / f"staging-{run_stem}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    notebooks_out = staging / "reports" / "notebooks"
    notebooks_out.mkdir(parents=True)
    base = {"output_root": str(staging), "raw_dir": str(paths.raw), **params}
    executed = []
    for name in NOTEBOOKS:
        notebook = source_dir / name
        accepted = accepted_by[name]
        target = notebooks_out / f"{stem(city, as_of, name.removesuffix('.ipynb'))}.ipynb"
        try:
            pm.execute_notebook(
                str(notebook),
                str(target),
                parameters={k: v for k, v in base.items() if k in accepted},
                kernel_name=kernel,
                cwd=str(paths.root),
                progress_bar=False,
                request_save_on_cell_execute=False,
            )
        except pm.PapermillExecutionError as exc:
            raise PipelineError(
                f"{name} failed for city={city!r}, as_of={as_of}: {exc.ename}: {exc.evalue}. "
                f"The executed notebook is {target}; the last good outputs are unchanged."
            ) from exc
        executed.append(target)
    html = staging / "reports" / f"{stem(city, as_of, 'briefing')}.html"
    export_html(executed[-1], html)
    manifest_rel = Path("reports") / f"{stem(city, as_of, 'provenance')}.json"
    outputs = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        "run_at": utc_now(),
        "parameters": params,
        "code": code_version(),
        "inputs": [file_record(paths.raw / s.filename) for s in SOURCES.values()],
        "outputs": [file_record(p, staging) for p in outputs],
    }
    write_json_atomic(staging / manifest_rel, manifest)
    promoted = promote(staging, paths.root)
    shutil.rmtree(staging, ignore_errors=True)
    return {
        "briefing": paths.reports / f"{stem(city, as_of, 'briefing')}.pdf",
        "briefing_html": paths.reports / html.name,
        "results": paths.processed / f"{stem(city, as_of, 'results')}.json",
        "provenance": paths.root / manifest_rel,
        "files": promoted,
    }


def export_html(notebook: Path, dest: Path) -> Path:
    """The executed notebook as HTML without code cells (for readers, not coders)."""
    import nbformat
    from nbconvert import HTMLExporter

    from analysis.provenance import write_text_atomic

    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    exporter.log.setLevel(logging.ERROR)  # its missing-alt warning: we set alt below
    body, _ = exporter.from_notebook_node(nb)
    return write_text_atomic(dest, _with_alt_text(body, nb))


def _with_alt_text(html: str, nb) -> str:
    """Copy each PNG output's alt text (IPython stores it in the output's metadata) onto its
    <img> tag, which nbconvert's templates leave without one."""
    from bs4 import BeautifulSoup

    alts = [
        output.get("metadata", {}).get("image/png", {}).get("alt", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    soup = BeautifulSoup(html, features="html.parser")
    images = soup.select('img[src^="data:image/png"]')
    for image, alt in zip(images, alts, strict=False):
        image.attrs["alt"] = alt or "figure"
    return str(soup)


def promote(staging: Path, root: Path) -> list[Path]:
    """Move every staged file to the same place under ``root`` (one rename per file)."""
    moved = []
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = root / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        moved.append(dest)
    return moved
