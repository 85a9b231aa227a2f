"""Replay: what could honestly be said on each date, computed in one process.

:func:`replay` runs the analysis as of the first day of every month in a range, each time
on the data as they stood then: records dated after the as-of date are left out and a month
counts only once it is complete (:func:`analysis.series.monthly_counts`). The upstream file
is one later snapshot, so corrections made to old records after a date cannot be undone;
the table's ``note`` says so.

Each row holds two views of the same date:

* the **run's verdict** (the request as given: by default the pre-declared 12-month window,
  with the robustness checks and their qualifier);
* the **monthly-look track** (monitoring mode over ``monitoring_horizon_months``: the
  estimate over every post month so far, the label the plain 95% rule would give at this
  look, and the label of the alpha-spending monitoring boundary).

A date with no complete post-intervention month yet is "too early", not an error.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.core import AnalysisData, AnalysisRequest, analyse
from analysis.errors import AnalysisError
from analysis.robustness import ComparisonSetup
from analysis.series import monthly_counts

#: Labels that answer the question (the rest say it cannot be answered yet, or at all).
CONCLUSIVE = ("significant_drop", "significant_rise", "no_detectable_change")
SNAPSHOT_NOTE = (
    "Each date sees only records dated on or before it, from one later snapshot of the "
    "upstream file: corrections made afterwards to older records cannot be undone."
)


def as_of_dates(start: str, end: str) -> list[str]:
    """The first day of every month from ``start`` to ``end`` (inclusive, by month)."""
    months = pd.period_range(pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"))
    return [f"{m.to_timestamp():%Y-%m-%d}" for m in months]


def _row(as_of: str, outcome=None, track=None, error: str = "", note: str = "") -> dict:
    row = {"as_of": as_of, "error": error, "note": note}
    if outcome is not None:
        v, n = outcome.verdict, outcome.verdict.numbers
        row.update(
            data_through=f"{outcome.data_through:%Y-%m}",
            n_post_months=n["n_post_months"],
            label=v.label,
            robust=v.robust,
            qualified=bool(v.qualifier),
            rate_ratio=n["rate_ratio"],
            lower=n["rate_ratio_lower"],
            upper=n["rate_ratio_upper"],
        )
    else:
        row.update(label="too_early", n_post_months=0, robust=False, qualified=False)
    if track is not None:
        tv, tn = track.verdict, track.verdict.numbers
        m = tv.monitoring
        row.update(
            growing_rate_ratio=tn["rate_ratio"],
            growing_lower=tn["rate_ratio_lower"],
            growing_upper=tn["rate_ratio_upper"],
            per_look_label=tv.per_look_label,
            monitoring_label=tv.label,
            look=m.get("look"),
            looks=m.get("looks"),
            boundary_z=m.get("boundary_z"),
            nominal_alpha=m.get("nominal_alpha"),
            z=m.get("z_now"),
            inflation=m.get("inflation"),
        )
    else:
        row.update(per_look_label="too_early", monitoring_label="too_early")
    return row


def replay(
    request: AnalysisRequest,
    incidents: pd.DataFrame,
    population: pd.DataFrame | None,
    dates: list[str],
    *,
    monitoring_horizon_months: int = 48,
) -> pd.DataFrame:
    """One row per as-of date: the run's verdict and the monthly-look track (see module)."""
    track_request = replace(
        request,
        criteria=replace(request.criteria, monitoring_horizon_months=monitoring_horizon_months),
        comparison=ComparisonSetup(enabled=False),
    )
    rows = []
    for as_of in dates:
        panel = monthly_counts(
            incidents,
            as_of=as_of,
            reporting_lag_days=request.reporting_lag_days,
            population=population,
        ).frame
        data = AnalysisData(panel=panel)
        first_post = request.spec.first_post_month()
        done = panel[(panel["city"] == request.city) & (panel["status"] == "complete")]
        if not (done["month"] >= first_post).any():
            rows.append(_row(as_of, note=f"no complete month since {first_post:%B %Y} yet"))
            continue
        try:
            outcome = analyse(replace(request, as_of=as_of), data)
            track = analyse(replace(track_request, as_of=as_of), data)
        except AnalysisError as exc:
            rows.append(_row(as_of, error=str(exc)))
            continue
        rows.append(_row(as_of, outcome, track))
    return pd.DataFrame(rows)


def first_conclusive(table: pd.DataFrame, column: str = "label") -> str | None:
    """The first as-of date whose label answers the question (None: none did)."""
    hit = table[table[column].isin(CONCLUSIVE)]
    return None if hit.empty else str(hit["as_of"].iloc[0])


def summary(table: pd.DataFrame) -> dict:
    """The dates a reader asks about first."""
    return {
        "dates": int(len(table)),
        "first_conclusive": first_conclusive(table),
        "first_conclusive_unqualified": (
            None
            if table[table["robust"].astype(bool)].empty
            else str(table.loc[table["robust"].astype(bool), "as_of"].iloc[0])
        ),
        "first_conclusive_per_look": first_conclusive(table, "per_look_label"),
        "first_conclusive_monitoring": first_conclusive(table, "monitoring_label"),
        "note": SNAPSHOT_NOTE,
        "errors": int((table["error"] != "").sum()),
        "max_inflation": float(np.nanmax(table.get("inflation", pd.Series([np.nan])))),
    }
