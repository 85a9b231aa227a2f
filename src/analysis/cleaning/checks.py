"""Checks across rows (duplicate uids, a city's usual state, identical rows), the
incident rule, and the report whose counts must add up."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pandas as pd

from analysis.cleaning.fields import haversine_km
from analysis.cleaning.lines import REDACTED, STATE_PATTERN
from analysis.cleaning.options import CLEAN_COLUMNS, CleaningOptions
from analysis.errors import CleaningInvariantError
from analysis.provenance import sha256_file


def cross_row_checks(kept: list[dict], options: CleaningOptions, quarantine) -> list[dict]:
    """Duplicate uids, city/state mismatches and identical rows, in line order."""
    survivors: list[dict] = []
    seen_uids: dict[str, int] = {}
    for row in kept:
        if row["uid"] in seen_uids:
            quarantine_row(
                quarantine, row, "duplicate_uid", f"first seen on line {seen_uids[row['uid']]}"
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
                quarantine_row(
                    quarantine,
                    row,
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
            quarantine_row(
                quarantine,
                row,
                "duplicate_row",
                f"identical but for the uid to {first['uid']} (line {first['line']})",
            )
            continue
        for r in (first, row):
            if "identical_to_other_row" not in r["notes"]:
                r["notes"].append("identical_to_other_row")
        result.append(row)
    return result


def quarantine_row(quarantine, row: dict, reason: str, detail: str = "", city: str | None = None):
    """Quarantine a parsed row (its line, uid, city and date) for ``reason``."""
    quarantine(
        row["line"],
        row["uid"],
        row["city"] if city is None else city,
        row["date"].strftime("%Y%m%d"),
        reason,
        detail,
    )


def _state(value: str) -> str:
    return value if STATE_PATTERN.fullmatch(value) else REDACTED


def finish_incidents(kept: list[dict], options: CleaningOptions) -> pd.DataFrame:
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
        dist = haversine_km(frame.loc[has, "lat"], frame.loc[has, "lon"], c[:, 0], c[:, 1])
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


def cleaning_report(path, options, max_date, counts: dict, incidents, quarantine) -> dict:
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
