"""Speed of a verdict, of a batch on Dask, and of `analysis run`, each against a floor.

Run with ``make bench`` (needs the data: ANALYSIS_DATA_MIRROR or data/raw). Prints figures
and asserts nothing about time: this machine is shared and noisy, so every figure is also
given as a ratio against the floor measured in the same run, one statsmodels GLM fit of
Stockton's series (quasi-Poisson, the default specification's design).

    python benchmarks/bench_verdict.py [--skip-run] [--skip-batch] [--skip-replay]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np
import statsmodels.api as sm

from analysis import AnalysisData, analyse
from analysis.batch import grid, month_range, run_batch
from analysis.cleaning import clean_homicides
from analysis.config import MIRROR_ENV
from analysis.models import design
from analysis.pipeline import make_request, project_registry
from analysis.series import load_population, monthly_counts

from bench_models import data_folder  # the same data as the fitting benchmark


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    folder = data_folder()
    cleaning = clean_homicides(folder / "homicide-data.csv")
    population = load_population(folder / "population_1980_2017_census_ca_cities.csv")
    data = AnalysisData(incidents=cleaning.incidents, population=population)
    registry = project_registry()
    request = make_request("Stockton", "2020-01-01", registry=registry)
    series = monthly_counts(cleaning.incidents, as_of="2020-01-01", population=population)
    stockton = series.city("Stockton")
    t0 = int(stockton.index.get_loc(request.spec.first_post_month()))
    X = design(stockton.index, t0, request.spec, intervention=True).to_numpy()
    y = stockton["count"].to_numpy(float)
    offset = np.log(stockton["population"].to_numpy(float))

    def floor():
        sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(scale="X2")

    base = median_seconds(floor, 50)
    print(f"floor: one GLM fit of Stockton's 120 months        {base * 1e3:8.2f} ms  (1.0x)")
    bare = make_request("Stockton", "2020-01-01", registry=registry, robustness_checks=False)
    analyse(bare, data)
    core = median_seconds(lambda: analyse(bare, data), 10)
    print(
        f"verdict without the checks (panel, fit, power)    {core * 1e3:8.2f} ms  "
        f"({core / base:.0f}x the floor)"
    )
    from analysis.robustness import placebo

    def cold():
        placebo._CACHE.clear()  # the placebo fits are cached across dates (a replay reuses
        placebo._Z_CACHE.clear()  # them); a single run pays for them: measure it cold
        analyse(request, data)

    cold()
    verdict = median_seconds(cold, 5)
    print(
        f"full verdict with every robustness check          {verdict * 1e3:8.2f} ms  "
        f"({verdict / base:.0f}x the floor; the checks fit about 160 models: 35 placebo dates "
        "x 3, comparison cities, synthetic control, 20 sensitivity variants)"
    )
    warm = median_seconds(lambda: analyse(request, data), 5)
    print(
        f"  the same with the placebo fits cached (replay)  {warm * 1e3:8.2f} ms  "
        f"({warm / base:.0f}x the floor)"
    )
    if "--skip-replay" not in sys.argv:
        from analysis.replay import as_of_dates, replay

        start = time.perf_counter()
        replay(request, cleaning.incidents, population, as_of_dates("2012-12-01", "2016-12-01"))
        replay_s = time.perf_counter() - start
        print(
            f"replay, 49 as-of months (two analyses each)       {replay_s:8.2f} s   "
            f"({replay_s / base:.0f}x the floor)"
        )
    sim = make_request("Stockton", "2020-01-01", registry=registry, power_method="simulation")
    simulated = median_seconds(lambda: analyse(sim, data), 1)
    print(
        f"full verdict with simulated power (200 draws)     {simulated:8.2f} s   "
        f"({simulated / base:.0f}x the floor; {simulated / verdict:.0f}x the analytic one)"
    )
    if "--skip-batch" not in sys.argv:
        cities = sorted(set(cleaning.incidents["city"]))
        items = grid(cities, month_range("2012-12", "2016-12"), [{}], registry=registry)
        start = time.perf_counter()
        serial = run_batch(items, data, serial=True, progress=False)
        serial_s = time.perf_counter() - start
        start = time.perf_counter()
        dask = run_batch(items, data, workers=os.cpu_count(), progress=False)
        dask_s = time.perf_counter() - start
        ok = int((dask["status"] == "ok").sum())
        print(
            f"batch {len(items)} items ({len(cities)} cities x 49 months), {ok} ok: "
            f"serial {serial_s:6.1f} s ({serial_s / base:.0f}x the floor), "
            f"Dask LocalCluster {os.cpu_count()} workers {dask_s:6.1f} s "
            f"(with start-up; speed-up {serial_s / dask_s:.2f}x)"
        )
        assert (serial["status"] == dask["status"]).all()
    if "--skip-run" not in sys.argv:
        import resource

        env = {**os.environ, MIRROR_ENV: str(folder)}
        command = [sys.executable, "-m", "analysis.cli", "run", "--as-of", "2020-01-01"]

        def run(*extra):
            cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([*command, *extra], env=env, check=True, capture_output=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)

        forced = [run("--force") for _ in range(3)]
        wall, cpu = sorted(forced)[1]
        print(
            f"`analysis run --force` (one warm kernel, three notebooks, HTML), data present: "
            f"median of 3 {wall:5.1f} s wall, {cpu:5.1f} s CPU ({wall / base:.0f}x the floor; "
            f"all three: {', '.join(f'{w:.1f}' for w, _ in forced)} s)"
        )
        idle, _ = run()
        print(f"`analysis run`, nothing to do                      {idle:6.1f} s wall")


if __name__ == "__main__":
    main()
