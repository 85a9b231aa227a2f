"""What a run checks before any notebook starts: parameters, the city, the dates against
the city's records, the output folders. Each failure is one message naming the parameter
(or folder) and what to do."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.cleaning import CleaningOptions, city_names
from analysis.config import Paths
from analysis.errors import ModelSpecError, PipelineError
from analysis.layout import OUTPUT_FOLDERS

#: Parameters the runner sets itself; a user may not.
RESERVED = ("output_root", "raw_dir", "city", "as_of", "run_at")


#: Parameters of the cleaning notebook only (the rest make the analysis request).
CLEANING_PARAMETERS = ("identical_rows", "allow_implausible_population")


def notebook_parameters(notebook: Path) -> set[str]:
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)).keys())


def check_cleaning_parameters(extra: dict) -> None:
    if "identical_rows" in extra:
        try:
            CleaningOptions(identical_rows=extra["identical_rows"])
        except ValueError as exc:
            raise ModelSpecError(str(exc)) from None
    allow = extra.get("allow_implausible_population", False)
    if not isinstance(allow, bool):
        raise ModelSpecError(f"allow_implausible_population={allow!r}: give true or false")


def city_in_data(city: str, homicides: Path) -> str:
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


def check_targets(paths: Paths) -> None:
    """The project's output folders exist and are writable, before anything runs or moves."""
    for folder in OUTPUT_FOLDERS:
        target = paths.root / folder
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PipelineError(f"cannot create {target}: {exc}; nothing was run") from None
        if not os.access(target, os.W_OK):
            raise PipelineError(
                f"{target} is not writable: nothing was run and nothing moved. Make it "
                "writable (or run as its owner) and run again"
            )


def check_dates(request, homicides: Path) -> None:
    """The as-of and intervention dates against the city's records, before any notebook."""
    import pandas as pd

    from analysis.cleaning import clean_homicides
    from analysis.models import required_months

    dates = clean_homicides(homicides).incidents.query("city == @request.city")["date"]
    first, last = dates.min(), dates.max()
    as_of = pd.Timestamp(request.as_of)
    start = pd.Timestamp(request.intervention.start)
    span = f"{request.city}'s records run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if as_of < first:
        raise ModelSpecError(
            f"as_of={request.as_of} is before the data begin ({span}): give a later date"
        )
    if start > min(as_of, last):
        raise ModelSpecError(
            f"intervention_date={request.intervention.start} is after "
            f"{'the as-of date' if as_of <= last else 'the last record'} ({span}; as_of "
            f"{request.as_of}): give a date inside the data"
        )
    need_pre, _ = required_months(request.spec)
    months_before = (start.to_period("M") - first.to_period("M")).n
    if months_before < need_pre:
        raise ModelSpecError(
            f"intervention_date={request.intervention.start} leaves {months_before} month(s) of "
            f"data before it ({span}); the model needs at least {need_pre}: give a later date"
        )
