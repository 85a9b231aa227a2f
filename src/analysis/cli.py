"""The command line: ``analysis fetch``, ``analysis run``, ``analysis batch`` and ``analysis
replay`` (what ``make data``, ``make run``, ``make batch`` and ``make replay`` call)."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys

from analysis import config
from analysis.errors import AnalysisError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="analysis", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="bring the data sources into data/raw")
    f.add_argument("--mirror", help=f"folder of upstream files (default ${config.MIRROR_ENV})")
    f.add_argument(
        "--replace", action="store_true", help="replace a raw file whose content changed"
    )
    f.add_argument("--offline", action="store_true", help="never use the network")
    r = sub.add_parser("run", help="run the notebooks through papermill and promote outputs")
    r.add_argument(
        "--city", default=None, help="as spelled in the data (default: the registry's treated city)"
    )
    r.add_argument("--as-of", default="today", help="'today' or YYYY-MM-DD")
    r.add_argument(
        "--intervention-date",
        default=None,
        help="YYYY-MM-DD (default: the city's intervention in data/interventions.yaml)",
    )
    r.add_argument("--mirror", help=f"folder of upstream files (default ${config.MIRROR_ENV})")
    r.add_argument(
        "--from-environment",
        action="store_true",
        help="take the city, as-of date, intervention date and -p parameters from "
        "ANALYSIS_RUN_CITY, ANALYSIS_RUN_AS_OF, ANALYSIS_RUN_INTERVENTION and ANALYSIS_RUN_PARAMS "
        "(how `make run` passes them, so that no shell ever reads them)",
    )
    r.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other notebook parameter, e.g. -p family=negbin -p n_simulations=100",
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="run even if a successful run had the same inputs, parameters and code",
    )
    r.add_argument(
        "--refresh",
        action="store_true",
        help="bring the upstream files first (what a scheduled rerun does); a changed file "
        "is used and the previous one kept as a data vintage",
    )
    r.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run of the same city and parameters (default: stop)",
    )
    b = sub.add_parser(
        "batch",
        help="many cities, as-of dates and specifications at once, on Dask",
        description="Run a grid of analyses (cities x as-of dates x specifications) through "
        "the analysis core on Dask and write a summary table (CSV and Parquet) beside a "
        "manifest. Example: analysis batch --cities Stockton,Fresno --from 2012-12 --to "
        "2016-12 --spec family=quasipoisson --spec family=negbin",
    )
    b.add_argument(
        "--config", help="a YAML grid: cities, as_of (list or {from, to}), specs, common"
    )
    b.add_argument("--cities", help="comma-separated cities (default: every city in the data)")
    b.add_argument("--as-of", action="append", default=[], help="an as-of date (repeatable)")
    b.add_argument("--from", dest="first", help="first as-of month, YYYY-MM (1st of each month)")
    b.add_argument("--to", dest="last", help="last as-of month, YYYY-MM")
    b.add_argument(
        "--spec",
        action="append",
        default=[],
        metavar="NAME=VALUE[,NAME=VALUE]",
        help="one specification of the grid (repeatable), e.g. family=negbin,harmonics=2",
    )
    b.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter common to every item, e.g. -p min_post_months=12",
    )
    rp = sub.add_parser(
        "replay",
        help="what could honestly be said on each date: the analysis at every as-of month",
        description="Run the analysis as of the first day of every month from --from to --to, "
        "each time on the data as they stood then, in one process; write the table, a summary "
        "and the timeline-of-knowledge figure under reports/replay/. Example: analysis replay "
        "--city Stockton --from 2012-12 --to 2016-12",
    )
    rp.add_argument("--city", default=None, help="as spelled in the data (default: the registry's)")
    rp.add_argument("--from", dest="first", default="2012-12", help="first as-of month, YYYY-MM")
    rp.add_argument("--to", dest="last", default="2016-12", help="last as-of month, YYYY-MM")
    rp.add_argument(
        "--from-environment",
        action="store_true",
        help="take the city, the range and -p parameters from ANALYSIS_RUN_CITY, "
        "ANALYSIS_REPLAY_FROM, ANALYSIS_REPLAY_TO and ANALYSIS_RUN_PARAMS (how `make replay` "
        "passes them)",
    )
    rp.add_argument(
        "--monitoring-horizon",
        type=int,
        default=48,
        help="months of monthly looks over which monitoring spends the error rate (default 48)",
    )
    rp.add_argument("--mirror", help=f"folder of upstream files (default ${config.MIRROR_ENV})")
    rp.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a run parameter, e.g. -p family=negbin",
    )
    b.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    b.add_argument("--workers", type=int, help="worker processes of the local cluster")
    b.add_argument("--serial", action="store_true", help="run here one by one, without Dask")
    b.add_argument("--out", help="output folder (default build/batch/<time>)")
    b.add_argument("--mirror", help=f"folder of upstream files (default ${config.MIRROR_ENV})")
    b.add_argument(
        "--from-environment",
        action="store_true",
        help="also take options from ANALYSIS_BATCH_ARGS (how `make batch BATCH=...` passes them)",
    )
    b.add_argument(
        "--figures",
        action="store_true",
        help="afterwards, in a separate step, draw the main figure of every item that ran",
    )
    return p


def _pairs(text: str, what: str) -> dict:
    out = {}
    for item in [t for t in text.split(",") if t.strip()]:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise AnalysisError(f"{what} {item!r}: write NAME=VALUE, e.g. family=negbin")
        out[name.strip()] = _value(value.strip())
    return out


def _batch(args) -> int:
    """`analysis batch`: clean the data once, run the grid, write the table."""
    from datetime import UTC, datetime
    from pathlib import Path

    from analysis.batch import describe, grid, load_grid, month_range, run_batch, write_batch
    from analysis.cleaning import city_names
    from analysis.config import Paths
    from analysis.core import AnalysisData
    from analysis.layout import batch_folder
    from analysis.pipeline import clean_inputs, ensure_raw, project_registry

    spec = (
        load_grid(args.config)
        if args.config
        else {"cities": [], "as_of": [], "specs": [], "common": {}}
    )
    common = {
        **spec["common"],
        **{k: v for p in args.parameter for k, v in _pairs(p, "-p").items()},
    }
    specs = [_pairs(s, "--spec") for s in args.spec] or spec["specs"] or [{}]
    as_ofs = list(args.as_of) or spec["as_of"]
    if args.first or args.last:
        if not (args.first and args.last):
            raise AnalysisError("--from and --to go together, e.g. --from 2012-12 --to 2016-12")
        as_ofs += month_range(args.first, args.last)
    if not as_ofs:
        raise AnalysisError("no as-of date: give --as-of, --from/--to, or as_of in --config")
    paths = Paths()
    ensure_raw(paths, args.mirror)
    cleaning, population, (homicides, _) = clean_inputs()
    cities = (
        [c.strip() for c in args.cities.split(",") if c.strip()]
        if args.cities
        else spec["cities"] or sorted(city_names(homicides))
    )
    data = AnalysisData(
        incidents=cleaning.incidents,
        population=population,
        input_sha256=cleaning.report["sha256"],
    )
    items = grid(cities, as_ofs, specs, registry=project_registry(), **common)
    table = run_batch(
        items, data, scheduler=args.scheduler, workers=args.workers, serial=args.serial
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(args.out) if args.out else batch_folder(paths, stamp)
    manifest = {
        "inputs": {"homicides_sha256": cleaning.report["sha256"]},
        "engine": "serial" if args.serial else (args.scheduler or "dask LocalCluster"),
        "grid": {"cities": cities, "as_of": as_ofs, "specs": specs, "common": common},
        "items_detail": describe(items),
    }
    written = write_batch(table, folder, manifest)
    if args.figures:
        from analysis.batch import draw_figures

        draw_figures(items, table, data, folder)
    counts = table["status"].value_counts().to_dict()
    print(
        f"Batch: {len(table)} item(s), {counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed"
    )
    print(f"Summary (CSV):     {written['csv']}")
    print(f"Summary (Parquet): {written['parquet']}")
    print(f"Manifest:          {written['manifest']}")
    return 0 if counts.get("ok", 0) else 1


def _replay(args) -> int:
    """`analysis replay`: the table, the summary and the figure of a range of as-of dates."""
    import time

    from analysis.config import Paths
    from analysis.pipeline import ensure_raw
    from analysis.pipeline.replay import compute_replay, write_replay

    if args.from_environment:
        args.as_of, args.intervention_date = "today", None
        _from_environment(args)
        args.first = os.environ.get("ANALYSIS_REPLAY_FROM") or args.first
        args.last = os.environ.get("ANALYSIS_REPLAY_TO") or args.last
    params = {k: v for p in args.parameter for k, v in _pairs(p, "-p").items()}
    paths = Paths()
    ensure_raw(paths, args.mirror)
    started = time.perf_counter()
    result = compute_replay(
        args.city,
        f"{args.first[:7]}-01",
        f"{args.last[:7]}-01",
        monitoring_horizon_months=args.monitoring_horizon,
        **params,
    )
    seconds = time.perf_counter() - started
    written = write_replay(result, paths)
    s = result.summary
    print(f"Replay: {s['dates']} as-of dates for {result.request.city} in {seconds:.1f} s")
    for words, key in (
        ("pre-declared window", "first_conclusive"),
        ("looking every month at 95%", "first_conclusive_per_look"),
        ("monitoring boundary", "first_conclusive_monitoring"),
    ):
        print(f"First conclusive verdict, {words}: {s[key] or 'none in the range'}")
    print(f"Table:   {written['table']}")
    print(f"Summary: {written['summary']}")
    print(f"Figure:  {next(p for p in written['figures'] if p.suffix == '.png')}")
    return 0


def _changes(c: dict) -> str:
    if c.get("first_run"):
        return "first run of this parameter set"
    verdict = c["verdict"]
    said = (
        f"verdict changed from {verdict['before']} to {verdict['now']}"
        if c["verdict_changed"]
        else f"verdict unchanged ({verdict['now']})"
    )
    return (
        f"{c['rows_added']:+d} clean rows, {c['months_newly_complete']:+d} complete months "
        f"(data through {c['data_through']['now']}), {said}"
    )


def _value(text: str):
    """A parameter value: int, float, bool or None when it reads as one, else the string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _from_environment(args: argparse.Namespace) -> None:
    """Fill the run's arguments from the ANALYSIS_RUN_* variables (see the Makefile)."""
    env = os.environ
    args.city = env.get("ANALYSIS_RUN_CITY") or args.city
    args.as_of = env.get("ANALYSIS_RUN_AS_OF") or args.as_of
    args.intervention_date = env.get("ANALYSIS_RUN_INTERVENTION") or args.intervention_date
    if env.get("ANALYSIS_RUN_REFRESH", "").strip() not in ("", "0"):
        args.refresh = True
    text = env.get("ANALYSIS_RUN_PARAMS", "")
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise AnalysisError(
            f"PARAMS={text!r}: {exc}; write e.g. PARAMS='-p family=negbin'"
        ) from None
    items = []
    while words:
        word = words.pop(0)
        if word in ("-p", "--parameter") and words:
            items.append(words.pop(0))
        elif word.startswith("-p") and len(word) > 2:
            items.append(word[2:])
        else:
            raise AnalysisError(
                f"PARAMS: {word!r} is not '-p NAME=VALUE'; write e.g. PARAMS='-p family=negbin'"
            )
    args.parameter = [*args.parameter, *items]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", "") == "batch" and args.from_environment:
        extra = os.environ.get("ANALYSIS_BATCH_ARGS", "")
        try:
            words = shlex.split(extra)
        except ValueError as exc:
            print(f"error: BATCH={extra!r}: {exc}", file=sys.stderr)
            return 1
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), *words])
    try:
        if args.command == "fetch":
            from analysis.sources import fetch

            manifest = fetch(
                mirror=args.mirror, replace=args.replace, allow_network=not args.offline
            )
            for name, entry in manifest["files"].items():
                print(f"{name}: sha256 {entry['sha256'][:16]}… from {entry['origin']}")
            return 0
        if args.command == "batch":
            return _batch(args)
        if args.command == "replay":
            return _replay(args)
        from analysis.pipeline import run

        if args.from_environment:
            _from_environment(args)
        extra = {}
        for item in args.parameter:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise AnalysisError(f"-p {item!r}: write NAME=VALUE, e.g. -p family=negbin")
            extra[name.strip()] = _value(value)
        out = run(
            args.city or None,
            args.as_of,
            intervention_date=args.intervention_date or None,
            mirror=args.mirror,
            extra=extra,
            force=args.force,
            refresh=args.refresh,
            wait=args.wait,
        )
        if out["skipped"]:
            print("Nothing to do: a successful run had the same inputs, parameters and code")
        else:
            print(f"What changed:    {_changes(out['changes'])}")
        print(f"Verdict:         {out['title']} ({out['verdict']})")
        print(f"Run folder:      {out['run_folder']}")
        print(f"Latest:          {out['latest']}")
        print(f"Briefing (PDF):  {out['briefing']}")
        print(f"Briefing (HTML): {out['briefing_html']}")
        print(f"results.json:    {out['results']}")
        print(f"Provenance:      {out['provenance']}")
        return 0
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
