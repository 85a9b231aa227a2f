"""The homicide file, row by row: every physical line clean, quarantined or blank."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

from analysis import clock
from analysis.cleaning.checks import (
    cleaning_report,
    cross_row_checks,
    finish_incidents,
    quarantine_row,
)
from analysis.cleaning.fields import parse_age, parse_coord, parse_date
from analysis.cleaning.lines import (
    DIGITS,
    REDACTED,
    UID_PATTERN,
    physical_lines,
    split_line,
)
from analysis.cleaning.options import (
    DISPOSITIONS,
    NAME_COLUMNS,
    QUARANTINE_COLUMNS,
    CleaningOptions,
    CleaningResult,
)
from analysis.errors import SchemaError
from analysis.sources import HOMICIDES


def clean_homicides(path: Path | str, options: CleaningOptions | None = None) -> CleaningResult:
    """Clean the Washington Post homicide file at ``path`` (upstream schema)."""
    options = options or CleaningOptions()
    path = Path(path)
    max_date = options.max_date or clock.today()
    data = path.read_bytes()
    lines, ending = physical_lines(data)
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
            fields, problem, note = split_line(text, header, options.max_line_chars)
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
        day = parse_date(raw_date)
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
        age, age_note = parse_age(get["victim_age"])
        if age_note:
            notes.append(age_note)
        lat = parse_coord(get["lat"], 90) if get["lat"] else None
        lon = parse_coord(get["lon"], 180) if get["lon"] else None
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
    kept = cross_row_checks(kept, options, quarantine)
    incidents = finish_incidents(kept, options)
    quarantine_frame = _redacted(quarantined, set(incidents["city"]))
    counts = {
        "physical_lines": len(lines),
        "header_lines": 1,
        "blank_lines": blank_lines,
        "input_rows": input_rows,
        "line_endings": ending,
    }
    report = cleaning_report(path, options, max_date, counts, incidents, quarantine_frame)
    return CleaningResult(incidents=incidents, quarantine=quarantine_frame, report=report)


def city_names(path: Path | str, options: CleaningOptions | None = None) -> dict[str, int]:
    """The cities of a homicide file as cleaning will name them, with their rows: a light
    scan (no row is checked beyond its city), for checking a run's parameters up front."""
    options = options or CleaningOptions()
    lines, _ = physical_lines(Path(path).read_bytes())
    if not lines:
        return {}
    header = next(csv.reader([lines[0][1]]), [])
    if "city" not in header:
        raise SchemaError(f"{path}: header lacks ['city']")
    at = header.index("city")
    groups: dict[str, Counter] = defaultdict(Counter)
    for _, text, _ in lines[1:]:
        fields, problem, _ = split_line(text, header, options.max_line_chars)
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
            quarantine_row(
                quarantine,
                row,
                "rare_city",
                f"{sizes[key]} row(s) with this city name, fewer than {options.min_city_rows}",
                city="",
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
