"""Many analyses at once: a grid of requests (cities x as-of dates x specifications) run
through the pure core on Dask, and a tidy table of their verdicts.

Only this module knows about Dask. The cleaned data are built once (per input checksum) by
the caller and scattered to the workers once; every item is one call of
:func:`analysis.analyse` with its own request (and so its own seed), so a batch row equals
the single run with the same parameters, exactly. A failing item becomes a row with
``status="failed"`` and its message; the others go on.

``scheduler``: an address (``tcp://host:8786``) of a running Dask scheduler; otherwise the
standard Dask configuration (``DASK_SCHEDULER_ADDRESS``) if set; otherwise a ``LocalCluster``
on this machine with one single-threaded worker process per core.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import pandas as pd

from analysis.core import AnalysisData, AnalysisRequest, analyse
from analysis.errors import AnalysisError, ModelSpecError
from analysis.interventions import Registry
from analysis.jsonable import jsonable
from analysis.pipeline.params import make_request
from analysis.provenance import code_version, utc_now, write_csv_atomic, write_json_atomic

#: Columns of the summary table, in order.
COLUMNS = [
    "item",
    "city",
    "as_of",
    "intervention_start",
    "spec",
    "status",
    "verdict",
    "robust",
    "qualifier",
    "title",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "p_value",
    "interval",
    "cumulative_difference",
    "cumulative_difference_lower",
    "cumulative_difference_upper",
    "n_pre_months",
    "n_post_months",
    "power_now",
    "mde_now",
    "power_method",
    "comparative_rate_ratio",
    "comparative_lower",
    "comparative_upper",
    "placebo_false_alarm_rate",
    "seconds",
    "error",
]


def month_range(first: str, last: str, day: int = 1) -> list[str]:
    """As-of dates: day ``day`` of every month from ``first`` to ``last`` (YYYY-MM)."""
    months = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    return [f"{m.start_time:%Y-%m}-{day:02d}" for m in months]


def grid(
    cities: list[str],
    as_ofs: list[str],
    specs: list[dict],
    *,
    registry: Registry,
    **common,
) -> list[tuple[str, AnalysisRequest | None, str]]:
    """Every (city, as-of date, specification) as ``(label, request, problem)``; a parameter
    set that cannot make a request keeps its problem, so it is reported, not lost."""
    items = []
    for city, as_of, spec in itertools.product(cities, as_ofs, specs or [{}]):
        label = ",".join(f"{k}={v}" for k, v in sorted(spec.items())) or "default"
        try:
            request = make_request(city, as_of, registry=registry, **common, **spec)
            items.append((label, request, ""))
        except AnalysisError as exc:
            items.append((label, None, f"{city} {as_of}: {exc}"))
    return items


def summary_row(request: AnalysisRequest, outcome=None, *, seconds: float, error: str = "") -> dict:
    """One row of the table: the parameters, the verdict and the numbers behind it."""
    row = {
        "city": request.city,
        "as_of": request.as_of,
        "intervention_start": request.intervention.start,
        "status": "ok" if outcome is not None else "failed",
        "seconds": round(seconds, 4),
        "error": error,
    }
    if outcome is not None:
        n = outcome.verdict.numbers
        row.update(
            {
                "verdict": outcome.verdict.label,
                "robust": outcome.verdict.robust,
                "qualifier": outcome.verdict.qualifier,
                "title": outcome.verdict.title,
                **{k: n[k] for k in COLUMNS if k in n},
                "power_method": outcome.power.method,
            }
        )
    return row


def analyse_item(request: AnalysisRequest, data: AnalysisData) -> dict:
    """One item, timed; any failure becomes the row's error (the batch goes on)."""
    start = time.perf_counter()
    try:
        outcome = analyse(request, data)
    except Exception as exc:
        return summary_row(
            request, seconds=time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"
        )
    return summary_row(request, outcome, seconds=time.perf_counter() - start)


def _progress(done: int, total: int, stream=sys.stderr) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    stream.write(f"\rbatch [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        stream.write("\n")
    stream.flush()


def client_for(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: the given scheduler, the configured one, or a LocalCluster here."""
    import dask
    from dask.distributed import Client, LocalCluster

    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        return Client(address)
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster)


def run_batch(
    items: list[tuple[str, AnalysisRequest | None, str]],
    data: AnalysisData,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every item; ``serial`` runs them here, one by one (no Dask), for comparison."""
    rows: dict[int, dict] = {}
    total = len(items)
    for i, (label, request, problem) in enumerate(items):
        if request is None:
            rows[i] = {"status": "failed", "error": problem, "spec": label, "seconds": 0.0}
    todo = [(i, label, request) for i, (label, request, _) in enumerate(items) if request]
    done = len(rows)
    if serial:
        for i, label, request in todo:
            rows[i] = {**analyse_item(request, data), "spec": label}
            done += 1
            if progress:
                _progress(done, total)
    else:
        from dask.distributed import as_completed

        client = client_for(scheduler, workers)
        try:
            shared = client.scatter(data, broadcast=True)
            futures = {
                client.submit(analyse_item, request, shared, pure=False): (i, label)
                for i, label, request in todo
            }
            for future in as_completed(futures):
                i, label = futures[future]
                rows[i] = {**future.result(), "spec": label}
                done += 1
                if progress:
                    _progress(done, total)
        finally:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
    table = pd.DataFrame([{"item": i, **rows[i]} for i in sorted(rows)]).reindex(columns=COLUMNS)
    for column in ("item", "n_pre_months", "n_post_months"):
        table[column] = table[column].astype("Int64")
    return table


def write_batch(table: pd.DataFrame, folder: Path, manifest: dict) -> dict[str, Path]:
    """The table as CSV and Parquet, beside a manifest (parameters, inputs, code, counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv = write_csv_atomic(folder / "summary.csv", table)
    parquet = folder / "summary.parquet"
    tmp = folder / ".summary.parquet.part"
    table.to_parquet(tmp, index=False)
    tmp.replace(parquet)
    counts = table["status"].value_counts().to_dict()
    doc = jsonable(
        {
            **manifest,
            "written_at": utc_now(),
            "code": code_version(),
            "items": len(table),
            "status": counts,
            "files": {"csv": csv.name, "parquet": parquet.name},
        }
    )
    path = write_json_atomic(folder / "manifest.json", doc)
    return {"csv": csv, "parquet": parquet, "manifest": path}


def load_grid(path: Path | str) -> dict:
    """A grid from YAML: ``cities``, ``as_of`` (a list, or ``{from, to}`` months),
    ``specs`` (a list of parameter mappings) and ``common`` parameters."""
    import yaml

    path = Path(path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise ModelSpecError(f"{path}: expected a mapping with cities, as_of and specs")
    unknown = set(doc) - {"cities", "as_of", "specs", "common"}
    if unknown:
        raise ModelSpecError(f"{path}: unknown key(s) {sorted(unknown)}")
    as_of = doc.get("as_of", [])
    if isinstance(as_of, dict):
        as_of = month_range(str(as_of["from"]), str(as_of["to"]))
    return {
        "cities": [str(c) for c in doc.get("cities", [])],
        "as_of": [str(a) for a in as_of],
        "specs": list(doc.get("specs") or [{}]),
        "common": dict(doc.get("common") or {}),
    }


def describe(items) -> list[dict]:
    """The items' parameters for the manifest."""
    return [
        {"spec": label, "request": request.to_dict() if request else None, "problem": problem}
        for label, request, problem in items
    ]


def draw_figures(items, table: pd.DataFrame, data: AnalysisData, folder: Path) -> list[Path]:
    """The separate figure step: the main figure of every item that ran, drawn here (one
    analysis again per item: the batch itself keeps only the table)."""
    from analysis.figures import RunInfo, export, main_figure
    from analysis.layout import batch_figure_stem

    written = []
    ok = set(table.loc[table["status"] == "ok", "item"])
    for i, (label, request, _) in enumerate(items):
        if i not in ok:
            continue
        outcome = analyse(request, data)
        info = RunInfo(
            request.city,
            request.as_of,
            utc_now()[:10],
            data.input_sha256 or "-",
            data_through=f"{outcome.data_through:%Y-%m}",
        )
        fig, frame = main_figure(outcome.result, outcome.verdict, info, outcome.intervention)
        name = batch_figure_stem(i, request.city, request.as_of, label)
        written += export(fig, frame, folder / "figures", name)
    return written
