"""The cleaning step's vocabulary: reasons, notes, options, the result and its columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd

NAME_COLUMNS = ("victim_last", "victim_first")
DISPOSITIONS = ("Closed by arrest", "Closed without arrest", "Open/No arrest")

QUARANTINE_REASONS: dict[str, str] = {
    "wrong_field_count": "the line does not have the header's number of fields",
    "unbalanced_quote": "an unbalanced quote: a stray quote in a field the analysis uses, or a "
    "record spread over several lines by a quoted line break",
    "csv_error": "the line is not valid CSV",
    "control_character": "a NUL or other control character in the line",
    "line_too_long": "the line is longer than max_line_chars",
    "rare_city": "a city name seen on fewer than min_city_rows rows: a damaged row, not a city",
    "invalid_utf8": "invalid UTF-8 bytes in a field the analysis uses",
    "missing_uid": "no uid",
    "duplicate_uid": "a uid seen on an earlier line",
    "missing_city": "no city",
    "malformed_date": "reported_date is not a valid YYYYMMDD date",
    "implausible_date": "reported_date is before the earliest plausible date (min_date)",
    "future_date": "reported_date is after the cleaning date (max_date)",
    "city_state_mismatch": "the state differs from the state of the city's other rows",
    "duplicate_row": "identical to an earlier row but for the uid (identical_rows='duplicates')",
}

NOTES: dict[str, str] = {
    "invalid_utf8_in_name": "invalid UTF-8 bytes only in a name field (names are dropped)",
    "stray_quote_ignored": "an unbalanced quote outside the fields the analysis uses: the "
    "line was split on commas",
    "city_name_normalised": "the city's letter case or spacing differed from its usual spelling",
    "age_unparsed": "victim_age neither a number nor 'Unknown': set to missing",
    "age_out_of_range": "victim_age outside 0-120: set to missing",
    "coordinates_invalid": "lat/lon not numbers within range: set to missing",
    "coordinates_far_from_city": "coordinates farther than coordinate_radius_km from the "
    "city's median location (kept: the city field comes from the police agency)",
    "disposition_unrecognised": "disposition not one of the three upstream values",
    "identical_to_other_row": "identical but for the uid to another row (kept as a victim)",
}


@dataclass(frozen=True)
class CleaningOptions:
    """Choices a researcher may want to change; the defaults are documented here.

    identical_rows: rows identical but for the uid are two victims of one incident
        (``"victims"``, the default: the Post gave them two uids) or a duplicate entry
        (``"duplicates"``: the later rows are quarantined as ``duplicate_row``).
    min_date: dates before this are quarantined as implausible (the data start in 2007).
    max_date: dates after this are quarantined as future dates; None means the run date.
    check_state: quarantine rows whose state differs from the city's usual state.
    coordinate_radius_km: coordinates farther than this from the city's median are noted.
    incident_coordinate_decimals: rounding of coordinates in the incident rule.
    min_city_rows: a city name on fewer rows is quarantined as ``rare_city`` (the cities of
        the upstream file have hundreds of rows each; a name shifted into the city field
        has one).
    max_line_chars: a longer line is quarantined as ``line_too_long``.
    """

    identical_rows: Literal["victims", "duplicates"] = "victims"
    min_date: date = date(2000, 1, 1)
    max_date: date | None = None
    check_state: bool = True
    coordinate_radius_km: float = 50.0
    incident_coordinate_decimals: int = 4
    min_city_rows: int = 10
    max_line_chars: int = 100_000

    def __post_init__(self):
        if self.identical_rows not in ("victims", "duplicates"):
            raise ValueError(
                f"identical_rows={self.identical_rows!r}: use 'victims' or 'duplicates'"
            )
        if not isinstance(self.min_city_rows, int) or self.min_city_rows < 1:
            raise ValueError(f"min_city_rows={self.min_city_rows!r}: a whole number, 1 or more")


@dataclass
class CleaningResult:
    incidents: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict = field(default_factory=dict)

    def report_frame(self) -> pd.DataFrame:
        """Counts per city: input, clean, quarantined and one column per reason."""
        rows = []
        for city, counts in sorted(self.report["by_city"].items()):
            rows.append({"city": city, **counts})
        frame = pd.DataFrame(rows).fillna(0)
        num = frame.columns.drop("city")
        frame[num] = frame[num].astype(int)
        return frame


CLEAN_COLUMNS = [
    "uid",
    "line",
    "city",
    "state",
    "date",
    "victim_race",
    "victim_age",
    "victim_sex",
    "lat",
    "lon",
    "disposition",
    "incident_id",
    "notes",
]
QUARANTINE_COLUMNS = ["line", "uid", "city", "reported_date", "reason", "detail"]
