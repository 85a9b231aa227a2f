"""``analysis replay``: the analysis at every as-of month of a range, in one process.

:func:`compute_replay` is what the replay notebook calls (nothing written);
:func:`write_replay` is what the command line calls: the table (CSV), the summary with its
provenance (JSON) and the timeline-of-knowledge figure, written atomically under
``reports/replay/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import clock
from analysis.config import Paths
from analysis.core import AnalysisRequest
from analysis.figures import RunInfo, export
from analysis.figures.replay import timeline_figure
from analysis.layout import replay_folder, replay_name
from analysis.pipeline.params import make_request, project_registry
from analysis.pipeline.stages import clean_inputs
from analysis.provenance import (
    code_version,
    file_record,
    utc_now,
    write_csv_atomic,
    write_json_atomic,
)
from analysis.replay import as_of_dates, replay, summary


@dataclass
class Replay:
    request: AnalysisRequest
    table: pd.DataFrame
    summary: dict
    info: RunInfo
    inputs: list[dict]

    def figure(self):
        return timeline_figure(self.table, self.summary, self.info, self.request.intervention)


def compute_replay(
    city: str | None,
    start: str,
    end: str,
    *,
    monitoring_horizon_months: int = 48,
    raw_dir: str | Path | None = None,
    **params,
) -> Replay:
    """The replay table for ``city`` at the first day of every month from ``start`` to
    ``end``; ``params`` are run parameters (model and verdict), checked up front."""
    dates = as_of_dates(start, end)
    request = make_request(city, dates[-1], registry=project_registry(), **params)
    cleaning, population, files = clean_inputs(raw_dir)
    table = replay(
        request,
        cleaning.incidents,
        population,
        dates,
        monitoring_horizon_months=monitoring_horizon_months,
    )
    last = table["data_through"].dropna()
    info = RunInfo(
        request.city,
        dates[-1],
        clock.today().isoformat(),
        cleaning.report["sha256"],
        code_version().get("commit") or "",
        data_through=str(last.iloc[-1]) if len(last) else "",
    )
    return Replay(request, table, summary(table), info, [file_record(p) for p in files])


def write_replay(replay_run: Replay, paths: Paths | None = None) -> dict[str, Path]:
    """Write the table, the summary with provenance, and the figure; return their paths."""
    paths = paths or Paths()
    folder = replay_folder(paths)
    folder.mkdir(parents=True, exist_ok=True)
    dates = replay_run.table["as_of"]
    stem = replay_name(replay_run.request.city, dates.iloc[0], dates.iloc[-1])
    table = folder / f"{stem}.csv"
    write_csv_atomic(table, replay_run.table)
    doc = {
        "city": replay_run.request.city,
        "dates": {"from": dates.iloc[0], "to": dates.iloc[-1]},
        "summary": replay_run.summary,
        "request": replay_run.request.to_dict(),
        "inputs": replay_run.inputs,
        "code": code_version(),
        "written_at": utc_now(),
    }
    summary_path = write_json_atomic(folder / f"{stem}.json", doc)
    fig, data = replay_run.figure()
    figures = export(fig, data, folder, stem)
    return {"table": table, "summary": summary_path, "figures": figures}
