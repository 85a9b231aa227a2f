"""Parsing one field: dates, ages, coordinates; distances between coordinates."""

from __future__ import annotations

import math
from datetime import date

import numpy as np


def parse_date(raw: str) -> date | None:
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def parse_age(raw: str) -> tuple[int | None, str | None]:
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


def parse_coord(raw: str, limit: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))
