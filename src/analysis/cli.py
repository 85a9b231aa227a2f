"""Stage 10, cli: ``analysis fetch`` and ``analysis run`` (what ``make data``/``make run`` call)."""

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
    return p


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
    args = _parser().parse_args(argv)
    try:
        if args.command == "fetch":
            from analysis.sources import fetch

            manifest = fetch(
                mirror=args.mirror, replace=args.replace, allow_network=not args.offline
            )
            for name, entry in manifest["files"].items():
                print(f"{name}: sha256 {entry['sha256'][:16]}… from {entry['origin']}")
            return 0
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
        )
        print(f"Verdict:         {out['title']} ({out['verdict']})")
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
