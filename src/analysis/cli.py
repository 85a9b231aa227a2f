"""Stage 10, cli: ``analysis fetch`` and ``analysis run`` (what ``make data``/``make run`` call)."""

from __future__ import annotations

import argparse
import logging
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
