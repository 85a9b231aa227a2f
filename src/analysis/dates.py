"""One date parser for every date a user or a data file gives (YYYY-MM-DD)."""

from __future__ import annotations

import pandas as pd

from analysis.errors import AnalysisError, ModelSpecError


def parse_day(
    value, what: str, *, example: str = "2013-02-01", error: type[AnalysisError] = ModelSpecError
) -> str:
    """``value`` as an ISO date; otherwise ``error`` naming ``what`` and an example."""
    try:
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError) as exc:
        raise error(f"{what}={value!r}: give a date like {example}") from exc
    if pd.isna(stamp):
        raise error(f"{what}={value!r}: give a date like {example}")
    return stamp.date().isoformat()
