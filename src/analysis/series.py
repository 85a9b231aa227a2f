"""Stage 3, series: clean victim rows into complete monthly series per city.

* **Coverage.** A city's coverage runs from the month of its first record to the month of
  its last (or as given in ``coverage``). Inside coverage a month without records is a
  true zero; outside it the count is unknown (missing), never zero.
* **as_of.** Only records dated on or before ``as_of`` are used, and a month counts only
  once it is complete: ``month end + 1 day + reporting_lag_days <= as_of``. The
  month in progress is kept in the table with status ``incomplete`` and missing counts
  (its partial count in ``victims_partial``), so a rerun in mid-month never shows a
  fake drop.
* **Counts.** ``victims`` (rows) and ``incidents`` (distinct ``incident_id``, see
  :mod:`analysis.cleaning` for the rule), counted in the month of the reported date.
* **Rates.** The city's population of the calendar year is joined to every month of it
  (``population``), and ``victims_per_100k`` is the monthly rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.config import POPULATION_JUMP_FACTOR, REPORTING_LAG_DAYS
from analysis.errors import ModelSpecError, SchemaError, SeriesError
from analysis.sources import POPULATION

STATUS_COMPLETE = "complete"
STATUS_INCOMPLETE = "incomplete"
STATUS_OUTSIDE = "outside_coverage"

SERIES_COLUMNS = [
    "city",
    "month",
    "status",
    "victims",
    "incidents",
    "victims_partial",
    "population",
    "victims_per_100k",
]


def load_population(path: Path | str) -> pd.DataFrame:
    """Yearly population per city: columns ``city, year, population`` and the file's
    ``line`` (for messages)."""
    path = Path(path)
    frame = pd.read_csv(path, dtype={"TOTAL_POP": str}, keep_default_na=False)
    missing = [c for c in POPULATION.columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{path}: missing column(s) {missing}; got {list(frame.columns)}")
    # "NA" and 0 mark years before a city was incorporated: missing. Negative or text: error.
    raw = frame["TOTAL_POP"].str.strip()
    value = pd.to_numeric(raw.where(~raw.isin(["", "NA"])), errors="coerce")
    bad = (value.isna() & ~raw.isin(["", "NA"])) | (value < 0)
    if bad.any():
        rows = (frame.index[bad] + 2).tolist()[:5]
        raise SchemaError(
            f"{path}: TOTAL_POP is neither a positive number nor NA on line(s) {rows}"
        )
    frame["TOTAL_POP"] = value.where(value > 0)
    frame["line"] = frame.index + 2  # the header is line 1
    dupes = frame.duplicated(["city", "county", "year"], keep=False)
    if dupes.any():
        lines = (frame.index[dupes] + 2).tolist()[:5]
        raise SchemaError(f"{path}: more than one population per city, county and year on {lines}")
    # county totals ("Incorporated", "Unincorporated") share a name across counties: not cities
    counties = frame.groupby("city")["county"].nunique()
    frame = frame[frame["city"].isin(counties.index[counties == 1])]
    out = frame.rename(columns={"TOTAL_POP": "population"})[["city", "year", "population", "line"]]
    return out.astype({"year": int, "population": float}).reset_index(drop=True)


def implausible_population(
    population: pd.DataFrame, cities, factor: float = POPULATION_JUMP_FACTOR
) -> list[dict]:
    """City-years whose population departs by more than ``factor`` (either way) from every
    neighbouring year's (the year before and the year after; one at the ends): a typing
    error, not a city that grew. Only ``cities`` are checked."""
    found = []
    for city in sorted(set(cities)):
        rows = population[population["city"] == city].dropna(subset=["population"])
        by_year = dict(zip(rows["year"], rows["population"], strict=True))
        lines = dict(zip(rows["year"], rows["line"], strict=True))
        for year, value in sorted(by_year.items()):
            neighbours = [by_year[y] for y in (year - 1, year + 1) if y in by_year]
            if neighbours and all(max(value / n, n / value) > factor for n in neighbours):
                found.append(
                    {
                        "city": city,
                        "year": int(year),
                        "line": int(lines[year]),
                        "population": float(value),
                        "neighbours": [float(n) for n in neighbours],
                    }
                )
    return found


def read_panel(path: Path | str) -> pd.DataFrame:
    """The long monthly table as written by the cleaning stage (months as YYYY-MM)."""
    path = Path(path)
    table = pd.read_csv(path, dtype={"city": str, "status": str})
    missing = [c for c in SERIES_COLUMNS if c not in table.columns]
    if missing:
        raise SchemaError(f"{path}: missing column(s) {missing}; rerun the cleaning stage")
    table["month"] = pd.to_datetime(table["month"], format="%Y-%m")
    for column in ("victims", "incidents", "victims_partial"):
        table[column] = table[column].astype("Int64")
    table["population"] = table["population"].astype(float)
    return table[SERIES_COLUMNS]


def last_complete_month(as_of, reporting_lag_days: int = REPORTING_LAG_DAYS) -> pd.Period:
    """The last month whose records are complete on ``as_of``."""
    as_of = pd.Timestamp(as_of)
    if reporting_lag_days < 0:
        raise ValueError(f"reporting_lag_days={reporting_lag_days}: must be 0 or more")
    shifted = as_of - pd.Timedelta(days=reporting_lag_days)
    # month m is complete when (m end + 1 day) <= shifted, i.e. m < month(shifted)
    return shifted.to_period("M") - 1


@dataclass
class MonthlySeries:
    """The long monthly table of every city, plus what was left out and why."""

    frame: pd.DataFrame
    as_of: pd.Timestamp
    reporting_lag_days: int
    excluded: list[dict] = field(default_factory=list)

    def city(self, city: str, *, measure: str = "victims") -> pd.DataFrame:
        """The complete months of one city, ready for a model (see :func:`model_frame`)."""
        return model_frame(self.frame, city, measure=measure, as_of=self.as_of)


MEASURES = ("victims", "incidents")


def city_table(panel: pd.DataFrame, city: str) -> pd.DataFrame:
    """Every month of one city from the long monthly table (any status)."""
    rows = panel[panel["city"] == city]
    if rows.empty:
        known = sorted(panel["city"].unique())
        raise SeriesError(f"no data for city {city!r}; cities in the data: {known}")
    return rows.reset_index(drop=True)


def model_frame(
    panel: pd.DataFrame, city: str, *, measure: str = "victims", as_of=None
) -> pd.DataFrame:
    """The complete months of one city, ready for a model.

    ``panel`` is the long monthly table (:data:`SERIES_COLUMNS`). Returns a frame indexed
    by month (Timestamp, month start) with the columns ``count`` (the chosen measure) and
    ``population``.
    """
    if measure not in MEASURES:
        raise ModelSpecError(f"measure={measure!r}: use 'victims' or 'incidents'")
    rows = city_table(panel, city)
    rows = rows[rows["status"] == STATUS_COMPLETE]
    if rows.empty:
        when = f" on or before as_of {pd.Timestamp(as_of).date()}" if as_of is not None else ""
        raise SeriesError(f"{city}: no complete month of data{when}")
    return pd.DataFrame(
        {
            "count": rows[measure].astype(int).to_numpy(),
            "population": rows["population"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(rows["month"], name="month"),
    )


def monthly_counts(
    incidents: pd.DataFrame,
    *,
    as_of,
    reporting_lag_days: int = REPORTING_LAG_DAYS,
    population: pd.DataFrame | None = None,
    coverage: dict[str, tuple[str, str]] | None = None,
) -> MonthlySeries:
    """Monthly victims and incidents per city with coverage, completeness and rates."""
    as_of = pd.Timestamp(as_of).normalize()
    last_complete = last_complete_month(as_of, reporting_lag_days)
    as_of_month = as_of.to_period("M")
    rows = incidents[incidents["date"] <= as_of].copy()
    rows["month"] = rows["date"].dt.to_period("M")
    cities = sorted(incidents["city"].unique())
    coverage = dict(coverage or {})
    spans: dict[str, tuple[pd.Period, pd.Period]] = {}
    for city in cities:
        if city in coverage:
            start, end = (pd.Period(x, "M") for x in coverage[city])
        else:
            months = incidents.loc[incidents["city"] == city, "date"].dt.to_period("M")
            start, end = months.min(), months.max()
        spans[city] = (start, end)
    if not spans:
        raise SeriesError("no clean rows: nothing to count")
    first = min(s for s, _ in spans.values())
    last = min(max(e for _, e in spans.values()), as_of_month)
    calendar = pd.period_range(first, last, freq="M")

    victims = rows.groupby(["city", "month"]).size()
    incident_counts = rows.groupby(["city", "month"])["incident_id"].nunique()
    frames = []
    excluded = []
    for city in cities:
        start, end = spans[city]
        frame = pd.DataFrame({"city": city, "month": calendar})
        inside = (frame["month"] >= start) & (frame["month"] <= end)
        complete = inside & (frame["month"] <= last_complete)
        incomplete = inside & (frame["month"] > last_complete)
        frame["status"] = STATUS_OUTSIDE
        frame.loc[complete, "status"] = STATUS_COMPLETE
        frame.loc[incomplete, "status"] = STATUS_INCOMPLETE
        idx = pd.MultiIndex.from_arrays([frame["city"], frame["month"]])
        v = victims.reindex(idx).fillna(0).astype(int).to_numpy()
        i = incident_counts.reindex(idx).fillna(0).astype(int).to_numpy()
        frame["victims"] = pd.Series(v, dtype="Int64").where(complete)
        frame["incidents"] = pd.Series(i, dtype="Int64").where(complete)
        frame["victims_partial"] = pd.Series(v, dtype="Int64").where(incomplete)
        for month in frame.loc[incomplete, "month"]:
            excluded.append(
                {
                    "city": city,
                    "month": str(month),
                    "reason": f"not complete on as_of {as_of.date()} "
                    f"(reporting lag {reporting_lag_days} days)",
                }
            )
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["year"] = table["month"].dt.year
    if population is not None:
        table = table.merge(population, on=["city", "year"], how="left")
    else:
        table["population"] = float("nan")
    table["victims_per_100k"] = table["victims"].astype(float) / table["population"] * 1e5
    table["month"] = table["month"].dt.to_timestamp()
    table = table[SERIES_COLUMNS].sort_values(["city", "month"]).reset_index(drop=True)
    return MonthlySeries(table, as_of, reporting_lag_days, excluded)
