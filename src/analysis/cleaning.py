"""Stage 2, cleaning: the Washington Post homicide file, row by row, into a clean table.

Every **physical line** of the input is accounted for: the header, a blank line, or a
data row that ends up in exactly one of two tables:

* ``incidents`` (one row per victim, **without names**), possibly with ``notes``
  saying what was repaired (for example an unknown age set to missing);
* ``quarantine``: the physical line number, uid, city, reported date, a ``reason`` code
  from :data:`QUARANTINE_REASONS` and a detail written by this module.

``1 + blank + clean + quarantined = physical lines`` is checked in code
(:class:`CleaningInvariantError` if not), and :func:`clean_homicides` returns a report of
counts per reason and per city.

**Lines, not records.** Each physical line is parsed on its own, so one stray quote can
damage only its own line, never swallow the lines after it (a CSV reader would read on to
the next quote). A line with an unbalanced quote is split on commas instead; it is kept,
with a note, when that gives the header's number of fields and no field the analysis uses
holds a quote; otherwise it is quarantined. A record that a CSV writer spread over several
lines (a quoted line break) is quarantined line by line. Control characters (NUL and the
like), over-long lines and CSV errors are quarantined with their reason.

**Names never leave.** Victim names are read only to recognise rows identical but for the
uid, and are dropped before anything leaves this module. The quarantine carries only
values validated as a uid, a date of digits, or a city from the clean rows; anything else
is written as ``[redacted]`` (a damaged line can hold a name in any position).

**Cities.** Letter case and white space do not make a new city: spellings are grouped
and the most common one is kept (a note says so). A city name seen on fewer than
``min_city_rows`` rows is a damaged row, not a city, and is quarantined; so is a row whose
state is not the city's usual state. The report lists the cities with their row counts.

**Incident rule.** Victims of the same city, reported date and coordinates (rounded
to ``incident_coordinate_decimals``, 4 decimals ~ 11 m) form one incident, named by
its smallest uid. A victim without coordinates is an incident of its own (the data
cannot tell). This makes the 14 San Bernardino victims of 2 December 2015 one incident.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analysis import clock
from analysis.errors import CleaningInvariantError, SchemaError
from analysis.provenance import sha256_file
from analysis.sources import HOMICIDES

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


#: Redacted value in the quarantine: anything not validated as a uid, a date or a city.
REDACTED = "[redacted]"
UID_PATTERN = re.compile(r"[A-Za-z]{1,5}-\d{1,9}")
DIGITS = re.compile(r"\d{1,12}")
STATE_PATTERN = re.compile(r"[A-Z]{2}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Fields the analysis uses: a stray quote in one of them quarantines the line.
USED_FIELDS = ("uid", "reported_date", "city", "state", "lat", "lon", "victim_age")


def _physical_lines(data: bytes) -> tuple[list[tuple[int, str, bool]], str]:
    """Every physical line as (number, text, had_invalid_utf8), and the line ending seen.

    Lines end with LF or CRLF; a file with CR alone (old Mac) is split on CR.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    ending = "LF"
    if b"\n" not in data and b"\r" in data:
        ending = "CR"
        chunks = data.split(b"\r")
    else:
        chunks = data.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    lines = []
    for number, chunk in enumerate(chunks, start=1):
        chunk = chunk.removesuffix(b"\r")
        try:
            lines.append((number, chunk.decode("utf-8"), False))
        except UnicodeDecodeError:
            lines.append((number, chunk.decode("utf-8", errors="replace"), True))
    return lines, ending


def _split_line(text: str, header: list[str], max_chars: int) -> tuple[list[str] | None, str, str]:
    """One physical line as fields: ``(fields, problem, note)``; ``fields`` is None when the
    line is to be quarantined for ``problem``."""
    if CONTROL_CHARACTERS.search(text):
        return None, "control_character", ""
    if len(text) > max_chars:
        return None, "line_too_long", f"{len(text)} characters, more than {max_chars}"
    if text.count('"') % 2:
        fields = text.split(",")
        if len(fields) != len(header):
            return None, "unbalanced_quote", f"{len(fields)} comma-separated fields"
        used = [n for n in USED_FIELDS if n in header and '"' in fields[header.index(n)]]
        if used:
            return None, "unbalanced_quote", f"in field(s) {used}"
        return [f.replace('"', "") for f in fields], "", "stray_quote_ignored"
    try:
        fields = next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        return None, "csv_error", str(exc).split(":")[0]
    return fields, "", ""


def _parse_date(raw: str) -> date | None:
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def _parse_age(raw: str) -> tuple[int | None, str | None]:
    value = raw.strip()
    if value in ("", "Unknown"):
        return None, None
    try:
        age = float(value)
    except ValueError:
        return None, "age_unparsed"
    if not math.isfinite(age) or age < 0 or age > 120 or age != int(age):
        return None, "age_out_of_range"
    return int(age), None


def _parse_coord(raw: str, limit: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def clean_homicides(path: Path | str, options: CleaningOptions | None = None) -> CleaningResult:
    """Clean the Washington Post homicide file at ``path`` (upstream schema)."""
    options = options or CleaningOptions()
    path = Path(path)
    max_date = options.max_date or clock.today()
    data = path.read_bytes()
    lines, ending = _physical_lines(data)
    if not lines:
        raise SchemaError(f"{path}: the file is empty; expected the header {HOMICIDES.columns}")
    try:
        header = next(csv.reader([lines[0][1]], strict=True), [])
    except csv.Error as exc:
        raise SchemaError(f"{path}, line 1: the header is not valid CSV ({exc})") from None
    missing = [c for c in HOMICIDES.columns if c not in header]
    if missing:
        shown = header if len(lines[0][1]) < 500 else f"{len(header)} fields"
        raise SchemaError(f"{path}: header lacks {missing}; got {shown}")
    col = {name: header.index(name) for name in HOMICIDES.columns}

    kept: list[dict] = []
    quarantined: list[dict] = []
    input_rows = 0
    blank_lines = 0

    def quarantine(line, uid, city, raw_date, reason, detail=""):
        quarantined.append(
            {
                "line": line,
                "uid": uid,
                "city": city,
                "reported_date": raw_date,
                "reason": reason,
                "detail": detail,
            }
        )

    def records():
        for line, text, bad_utf8 in lines[1:]:
            if not text.strip():
                yield line, None, bad_utf8, "", ""
                continue
            fields, problem, note = _split_line(text, header, options.max_line_chars)
            yield line, fields, bad_utf8, problem, note

    for line, fields, bad_utf8, problem, line_note in records():
        if fields is None and not problem:
            blank_lines += 1
            continue
        input_rows += 1
        if problem:
            quarantine(line, "", "", "", problem, line_note)
            continue
        if len(fields) != len(header):
            uid = fields[0] if fields else ""
            city = fields[col["city"]] if len(fields) > col["city"] else ""
            quarantine(
                line, uid, city, "", "wrong_field_count", f"{len(fields)} fields, not {len(header)}"
            )
            continue
        get = {name: fields[i].strip() for name, i in col.items()}
        get["city"] = " ".join(get["city"].split())
        uid, city, raw_date = get["uid"], get["city"], get["reported_date"]
        notes: list[str] = [line_note] if line_note else []
        if bad_utf8:
            bad_fields = [n for n in col if "\ufffd" in get[n]]
            if bad_fields and all(n in NAME_COLUMNS for n in bad_fields):
                notes.append("invalid_utf8_in_name")
            else:
                fields_named = [n for n in bad_fields if n not in NAME_COLUMNS] or ["unknown"]
                quarantine(line, uid, city, raw_date, "invalid_utf8", f"in field(s) {fields_named}")
                continue
        if not uid:
            quarantine(line, uid, city, raw_date, "missing_uid")
            continue
        if not city:
            quarantine(line, uid, city, raw_date, "missing_city")
            continue
        day = _parse_date(raw_date)
        if day is None:
            shown = f"'{raw_date}'" if DIGITS.fullmatch(raw_date) else "not digits"
            quarantine(line, uid, city, raw_date, "malformed_date", shown)
            continue
        if day < options.min_date:
            quarantine(line, uid, city, raw_date, "implausible_date", f"before {options.min_date}")
            continue
        if day > max_date:
            quarantine(line, uid, city, raw_date, "future_date", f"after {max_date}")
            continue
        age, age_note = _parse_age(get["victim_age"])
        if age_note:
            notes.append(age_note)
        lat = _parse_coord(get["lat"], 90) if get["lat"] else None
        lon = _parse_coord(get["lon"], 180) if get["lon"] else None
        if (get["lat"] or get["lon"]) and (lat is None or lon is None):
            notes.append("coordinates_invalid")
            lat = lon = None
        disposition = get["disposition"]
        if disposition not in DISPOSITIONS:
            notes.append("disposition_unrecognised")
        kept.append(
            {
                "uid": uid,
                "line": line,
                "city": city,
                "state": get["state"],
                "date": day,
                "victim_race": get["victim_race"] or "Unknown",
                "victim_age": age,
                "victim_sex": get["victim_sex"] or "Unknown",
                "lat": lat,
                "lon": lon,
                "disposition": disposition,
                "notes": notes,
                # identity of the row but for the uid; names are used here only
                "_identity": tuple(get[n] for n in col if n != "uid"),
            }
        )

    kept = _normalise_cities(kept, options, quarantine)
    kept = _cross_row_checks(kept, options, quarantine)
    incidents = _finish_incidents(kept, options)
    quarantine_frame = _redacted(quarantined, set(incidents["city"]))
    counts = {
        "physical_lines": len(lines),
        "header_lines": 1,
        "blank_lines": blank_lines,
        "input_rows": input_rows,
        "line_endings": ending,
    }
    report = _report(path, options, max_date, counts, incidents, quarantine_frame)
    return CleaningResult(incidents=incidents, quarantine=quarantine_frame, report=report)


def city_names(path: Path | str, options: CleaningOptions | None = None) -> dict[str, int]:
    """The cities of a homicide file as cleaning will name them, with their rows: a light
    scan (no row is checked beyond its city), for checking a run's parameters up front."""
    options = options or CleaningOptions()
    lines, _ = _physical_lines(Path(path).read_bytes())
    if not lines:
        return {}
    header = next(csv.reader([lines[0][1]]), [])
    if "city" not in header:
        raise SchemaError(f"{path}: header lacks ['city']")
    at = header.index("city")
    groups: dict[str, Counter] = defaultdict(Counter)
    for _, text, _ in lines[1:]:
        fields, problem, _ = _split_line(text, header, options.max_line_chars)
        if fields and not problem and len(fields) == len(header):
            name = " ".join(fields[at].split())
            if name:
                groups[name.casefold()][name] += 1
    return {
        c.most_common(1)[0][0]: sum(c.values())
        for c in groups.values()
        if sum(c.values()) >= options.min_city_rows
    }


def _normalise_cities(kept: list[dict], options: CleaningOptions, quarantine) -> list[dict]:
    """One spelling per city (letter case and spacing grouped); rare names quarantined."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for row in kept:
        groups[row["city"].casefold()][row["city"]] += 1
    canonical = {key: c.most_common(1)[0][0] for key, c in groups.items()}
    sizes = {key: sum(c.values()) for key, c in groups.items()}
    out = []
    for row in kept:
        key = row["city"].casefold()
        if sizes[key] < options.min_city_rows:
            quarantine(
                row["line"],
                row["uid"],
                "",
                row["date"].strftime("%Y%m%d"),
                "rare_city",
                f"{sizes[key]} row(s) with this city name, fewer than {options.min_city_rows}",
            )
            continue
        if row["city"] != canonical[key]:
            row["city"] = canonical[key]
            row["notes"].append("city_name_normalised")
        out.append(row)
    return out


def _redacted(quarantined: list[dict], cities: set[str]) -> pd.DataFrame:
    """The quarantine with every value not validated as a uid, a date of digits or a known
    city replaced by ``[redacted]`` (a damaged line can hold a name in any field)."""
    frame = pd.DataFrame(quarantined, columns=QUARANTINE_COLUMNS)
    frame["uid"] = [u if UID_PATTERN.fullmatch(u or "") else REDACTED for u in frame["uid"]]
    frame["city"] = [c if c in cities else REDACTED for c in frame["city"]]
    frame["reported_date"] = [
        d if DIGITS.fullmatch(d or "") else REDACTED for d in frame["reported_date"]
    ]
    return frame.sort_values("line", kind="stable").reset_index(drop=True)


def _cross_row_checks(kept: list[dict], options: CleaningOptions, quarantine) -> list[dict]:
    """Duplicate uids, city/state mismatches and identical rows, in line order."""
    survivors: list[dict] = []
    seen_uids: dict[str, int] = {}
    for row in kept:
        if row["uid"] in seen_uids:
            quarantine(
                row["line"],
                row["uid"],
                row["city"],
                row["date"].strftime("%Y%m%d"),
                "duplicate_uid",
                f"first seen on line {seen_uids[row['uid']]}",
            )
            continue
        seen_uids[row["uid"]] = row["line"]
        survivors.append(row)

    if options.check_state:
        states: dict[str, Counter] = {}
        for row in survivors:
            states.setdefault(row["city"], Counter())[row["state"]] += 1
        usual = {city: c.most_common(1)[0][0] for city, c in states.items()}
        checked = []
        for row in survivors:
            expected = usual[row["city"]]
            if row["state"] != expected:
                quarantine(
                    row["line"],
                    row["uid"],
                    row["city"],
                    row["date"].strftime("%Y%m%d"),
                    "city_state_mismatch",
                    f"state {_state(row['state'])}: the city's other rows say {_state(expected)}",
                )
                continue
            checked.append(row)
        survivors = checked

    first_with_identity: dict[tuple, dict] = {}
    result = []
    for row in survivors:
        identity = row.pop("_identity")
        first = first_with_identity.get(identity)
        if first is None:
            first_with_identity[identity] = row
            result.append(row)
            continue
        if options.identical_rows == "duplicates":
            quarantine(
                row["line"],
                row["uid"],
                row["city"],
                row["date"].strftime("%Y%m%d"),
                "duplicate_row",
                f"identical but for the uid to {first['uid']} (line {first['line']})",
            )
            continue
        for r in (first, row):
            if "identical_to_other_row" not in r["notes"]:
                r["notes"].append("identical_to_other_row")
        result.append(row)
    return result


def _state(value: str) -> str:
    return value if STATE_PATTERN.fullmatch(value) else REDACTED


def _finish_incidents(kept: list[dict], options: CleaningOptions) -> pd.DataFrame:
    frame = pd.DataFrame(kept, columns=[c for c in CLEAN_COLUMNS if c != "incident_id"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["victim_age"] = frame["victim_age"].astype("Int64")
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    frame["line"] = frame["line"].astype(int)

    # coordinates far from the city's median location: noted, not quarantined
    has = frame["lat"].notna() & frame["lon"].notna()
    centre = frame[has].groupby("city")[["lat", "lon"]].median()
    far = pd.Series(False, index=frame.index)
    if has.any():
        c = centre.loc[frame.loc[has, "city"]].to_numpy()
        dist = _haversine_km(frame.loc[has, "lat"], frame.loc[has, "lon"], c[:, 0], c[:, 1])
        far.loc[has] = dist.to_numpy() > options.coordinate_radius_km
    for i in frame.index[far]:
        frame.at[i, "notes"] = [*frame.at[i, "notes"], "coordinates_far_from_city"]

    # incident rule: same city, date and rounded coordinates; no coordinates -> own incident
    d = options.incident_coordinate_decimals
    key = (
        frame["city"]
        + "|"
        + frame["date"].dt.strftime("%Y%m%d")
        + "|"
        + frame["lat"].round(d).astype(str)
        + "|"
        + frame["lon"].round(d).astype(str)
    )
    key = key.where(has, "uid|" + frame["uid"])
    frame["incident_id"] = frame.groupby(key)["uid"].transform("min")
    frame["notes"] = frame["notes"].map(lambda n: ";".join(n))
    frame = frame.sort_values(["city", "date", "uid"], kind="stable").reset_index(drop=True)
    return frame[CLEAN_COLUMNS]


def _report(path, options, max_date, counts: dict, incidents, quarantine) -> dict:
    clean_rows, q_rows = len(incidents), len(quarantine)
    accounted = counts["header_lines"] + counts["blank_lines"] + clean_rows + q_rows
    if clean_rows + q_rows != counts["input_rows"] or accounted != counts["physical_lines"]:
        raise CleaningInvariantError(
            f"{path}: {counts['physical_lines']} physical lines but 1 header + "
            f"{counts['blank_lines']} blank + {clean_rows} clean + {q_rows} quarantined = "
            f"{accounted}; this is a bug in cleaning.py: please report it with the file"
        )
    by_city: dict[str, dict[str, int]] = {}
    for city, n in incidents["city"].value_counts().items():
        by_city.setdefault(city or "(none)", {})["clean"] = int(n)
    for (city, reason), n in quarantine.groupby(["city", "reason"]).size().items():
        entry = by_city.setdefault(city or "(none)", {})
        entry[reason] = int(n)
        entry["quarantined"] = entry.get("quarantined", 0) + int(n)
    for entry in by_city.values():
        entry.setdefault("clean", 0)
        entry.setdefault("quarantined", 0)
        entry["input"] = entry["clean"] + entry["quarantined"]
    notes = Counter(n for cell in incidents["notes"] for n in cell.split(";") if n)
    opts = asdict(options)
    opts["max_date"] = str(max_date)
    opts["min_date"] = str(options.min_date)
    return {
        "file": path.name,
        "sha256": sha256_file(path),
        "options": opts,
        **counts,
        "clean_rows": clean_rows,
        "quarantined_rows": q_rows,
        "victims": clean_rows,
        "incidents": int(incidents["incident_id"].nunique()),
        "by_reason": {k: int(v) for k, v in quarantine["reason"].value_counts().items()},
        "notes": dict(sorted(notes.items())),
        "by_city": dict(sorted(by_city.items())),
        "cities": {c: int(n) for c, n in sorted(incidents["city"].value_counts().items())},
    }
