"""Shared fixtures: the real-data mirror, synthetic raw files and simulated series."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.config import MIRROR_ENV, project_root

HEADER = (
    "uid,reported_date,victim_last,victim_first,victim_race,victim_age,victim_sex,"
    "city,state,lat,lon,disposition"
)


def _mirror() -> Path | None:
    env = os.environ.get(MIRROR_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(project_root().parent / "shared" / "data")
    for path in candidates:
        if (path / "homicide-data.csv").exists():
            return path.resolve()
    return None


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real-data mirror; in CI its absence is an error, elsewhere a skip."""
    path = _mirror()
    if path is None:
        message = f"real data not found: set {MIRROR_ENV} or put ../shared/data beside the repo"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real_cleaning(mirror):
    from analysis.cleaning import clean_homicides

    return clean_homicides(mirror / "homicide-data.csv")


@pytest.fixture(scope="session")
def real_population(mirror):
    from analysis.series import load_population

    return load_population(mirror / "population_1980_2017_census_ca_cities.csv")


@pytest.fixture(scope="session")
def stockton(real_cleaning, real_population):
    """Stockton's complete monthly series with all the data (as of a late date)."""
    from analysis.series import monthly_counts

    return monthly_counts(
        real_cleaning.incidents, as_of="2020-01-01", population=real_population
    ).city("Stockton")


def write_raw(folder: Path, lines: list[str], name: str = "homicide-data.csv", **kw) -> Path:
    """A small homicide file in the upstream schema (header added)."""
    path = folder / name
    newline = kw.get("newline", "\n")
    text = newline.join([HEADER, *lines]) + newline
    data = text.encode("utf-8")
    if kw.get("bom"):
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def row(
    uid="Sto-000001",
    date="20120105",
    last="DOE",
    first="JOHN",
    age="25",
    city="Stockton",
    state="CA",
    lat="37.95",
    lon="-121.29",
    disposition="Open/No arrest",
) -> str:
    return (
        f"{uid},{date},{last},{first},Hispanic,{age},Male,{city},{state},{lat},{lon},{disposition}"
    )


def simulate_series(
    *,
    n_pre: int = 72,
    n_post: int = 48,
    base: float = 20.0,
    trend: float = 0.002,
    effect: float = 0.8,
    seasonal: float = 0.15,
    dispersion: float = 1.0,
    ar: float = 0.0,
    ar_sd: float = 0.0,
    rng: np.random.Generator,
    start: str = "2008-01-01",
) -> tuple[pd.DataFrame, str]:
    """Monthly counts with a known multiplicative level effect at month ``n_pre``.

    ``dispersion`` > 1 draws negative binomial counts with variance ``dispersion * mu``;
    ``ar`` and ``ar_sd`` add an AR(1) process to the log rate (autocorrelated counts).
    Returns the series (``count``, ``population``) and the intervention date.
    """
    n = n_pre + n_post
    months = pd.date_range(start, periods=n, freq="MS")
    t = np.arange(n)
    log_mu = np.log(base) + trend * t + seasonal * np.cos(2 * np.pi * months.month / 12)
    log_mu = log_mu + np.log(effect) * (t >= n_pre)
    if ar_sd > 0:
        e = np.zeros(n)
        for i in range(1, n):
            e[i] = ar * e[i - 1] + rng.normal(0, ar_sd)
        log_mu = log_mu + e
    mu = np.exp(log_mu)
    if dispersion > 1:
        size = mu / (dispersion - 1)
        y = rng.negative_binomial(size, 1 / dispersion)
    else:
        y = rng.poisson(mu)
    series = pd.DataFrame({"count": y, "population": 100_000.0}, index=months)
    return series, f"{months[n_pre]:%Y-%m-%d}"


def simulated_panel(city: str = "Testville", **kw) -> tuple[pd.DataFrame, str]:
    """A long monthly table (as the cleaning stage writes it) for one simulated city."""
    from analysis.series import SERIES_COLUMNS

    series, when = simulate_series(**kw)
    panel = pd.DataFrame(
        {
            "city": city,
            "month": series.index,
            "status": "complete",
            "victims": pd.array(series["count"], dtype="Int64"),
            "incidents": pd.array(series["count"], dtype="Int64"),
            "victims_partial": pd.array([pd.NA] * len(series), dtype="Int64"),
            "population": series["population"].to_numpy(),
        }
    )
    panel["victims_per_100k"] = panel["victims"].astype(float) / panel["population"] * 1e5
    return panel[SERIES_COLUMNS], when


def csv_line(fields: list[str]) -> str:
    """One CSV line as a writer quotes it (quotes doubled, fields with commas quoted)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def synthetic_mirror(
    folder: Path,
    cities: tuple[str, ...] = ("Alpha", "Beta"),
    *,
    start: str = "2009-01-01",
    months: int = 72,
    rate: float = 3.0,
    seed: int = 3,
) -> tuple[Path, list[str]]:
    """A mirror folder with a generated homicide file and population file (no real record):
    Poisson counts per city and month, each victim with a unique made-up name.
    Returns the folder and the list of the names planted."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines, names = [], []
    uid = 0
    month_starts = pd.date_range(start, periods=months, freq="MS")
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    for c, city in enumerate(cities):
        for month in month_starts:
            for _ in range(rng.poisson(rate)):
                uid += 1
                last = "".join(rng.choice(letters, 9))
                first = "".join(rng.choice(letters, 7))
                names += [last, first]
                day = month + pd.Timedelta(days=int(rng.integers(0, 27)))
                lat, lon = f"{37.0 + c:.4f}", f"{-121.0 - rng.random() / 10:.4f}"
                fields = [f"Syn-{uid:06d}", f"{day:%Y%m%d}", last, first, "Hispanic", "25"]
                fields += ["Male", city, "CA", lat, lon, "Open/No arrest"]
                lines.append(csv_line(fields))
    write_raw(folder, lines)
    pop = ["city,county,year,TOTAL_POP"]
    for c, city in enumerate(cities):
        for year in range(2000, 2018):
            pop.append(
                csv_line([city, f"County {c}", str(year), str(250000 + 1000 * (year - 2000))])
            )
    (folder / "population_1980_2017_census_ca_cities.csv").write_text("\n".join(pop) + "\n")
    return folder, names
