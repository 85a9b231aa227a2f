"""Fitting speed: each family on Stockton, and 1,000 refits at different cut-off months.

Run with ``make bench`` (needs the data: ANALYSIS_DATA_MIRROR or data/raw). Prints figures;
it is a benchmark, not a test, and asserts nothing about time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from analysis.cleaning import clean_homicides
from analysis.config import MIRROR_ENV, Paths, project_root
from analysis.models import FAMILIES, fit_its
from analysis.power import power_analysis
from analysis.series import load_population, monthly_counts


def data_folder() -> Path:
    for candidate in (
        os.environ.get(MIRROR_ENV),
        Paths().raw,
        project_root().parent / "shared/data",
    ):
        if candidate and (Path(candidate) / "homicide-data.csv").exists():
            return Path(candidate)
    sys.exit(f"no data: set {MIRROR_ENV} or run `make data`")


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    folder = data_folder()
    cleaning = clean_homicides(folder / "homicide-data.csv")
    population = load_population(folder / "population_1980_2017_census_ca_cities.csv")
    series = monthly_counts(cleaning.incidents, as_of="2020-01-01", population=population)
    stockton = series.city("Stockton")
    version = sys.version.split()[0]
    print(f"Stockton: {len(stockton)} months; Python {version}, pandas {pd.__version__}")
    print("\nOne fit of the full series (median of 50, with effects and diagnostics):")
    for family in FAMILIES:
        t = timed(
            lambda f=family: fit_its(stockton, family=f, offset=f != "gaussian").rate_ratio, 50
        )
        print(f"  {family:<13} {statistics.median(t) * 1e3:7.2f} ms")
    cuts = pd.date_range("2012-12-01", "2016-12-01", freq="MS")
    print("\n1,000 refits at cut-off months 2012-12 .. 2016-12 (default quasi-Poisson):")
    start = time.perf_counter()
    for i in range(1000):
        _ = fit_its(stockton.loc[: cuts[i % len(cuts)]]).rate_ratio
    total = time.perf_counter() - start
    print(f"  total {total:.2f} s, {total:.2f} ms per refit")
    print("\nPower analysis (10 post lengths, with the MDE), as of 2013-02-01:")
    early = monthly_counts(cleaning.incidents, as_of="2013-02-01", population=population)
    result = fit_its(early.city("Stockton"))
    for method in ("analytic", "simulation"):
        start = time.perf_counter()
        power = power_analysis(result, method=method)
        took = time.perf_counter() - start
        what = "Wald, the default" if method == "analytic" else "200 simulated series each"
        print(f"  {method:<11} {took * 1e3:9.1f} ms for {len(power.horizons)} ({what})")


if __name__ == "__main__":
    main()
