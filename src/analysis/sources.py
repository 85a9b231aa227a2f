"""Stage 1, sources: the registry of upstream data and the fetch into ``data/raw``.

A fetch takes each file from a local mirror folder (``ANALYSIS_DATA_MIRROR`` or the
``mirror`` argument: files named as upstream) or else from its public URL. It writes
atomically, checks the columns of what arrived, and records sha256, size, origin and
time in ``data/raw/MANIFEST.json``. An existing raw file with other content is never
overwritten silently: without ``replace=True`` the fetch stops; with it (what a scheduled
run does when it refreshes) the previous version is kept as a **data vintage** under
``data/raw/vintages/<sha256[:12]>/`` (moved, never modified) and the manifest records both.
Every file is brought into ``data/.incoming`` first and only then are they moved in, with
the manifest written last. :func:`verify_raw` checks ``data/raw`` against the manifest (a
hand-edited raw file is refused).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from analysis.config import MIRROR_ENV, Paths
from analysis.errors import DataUnavailableError, RawFileConflictError, SchemaError
from analysis.provenance import sha256_file, utc_now, write_json_atomic

log = logging.getLogger(__name__)

MANIFEST_NAME = "MANIFEST.json"


@dataclass(frozen=True)
class Source:
    key: str
    filename: str
    url: str
    licence: str
    citation: str
    columns: tuple[str, ...]
    description: str


HOMICIDES = Source(
    key="homicides",
    filename="homicide-data.csv",
    url="https://raw.githubusercontent.com/washingtonpost/data-homicides/master/homicide-data.csv",
    licence="CC BY-NC-SA 4.0",
    citation="The Washington Post, 'Murder with Impunity' homicide database, 2007-2017.",
    columns=(
        "uid",
        "reported_date",
        "victim_last",
        "victim_first",
        "victim_race",
        "victim_age",
        "victim_sex",
        "city",
        "state",
        "lat",
        "lon",
        "disposition",
    ),
    description="Criminal homicides in 50 large U.S. cities, one row per victim.",
)

POPULATION = Source(
    key="population",
    filename="population_1980_2017_census_ca_cities.csv",
    url=(
        "https://raw.githubusercontent.com/themarshallproject/california_crime_rates/"
        "master/output_data/population_1980_2017_census_ca_cities.csv"
    ),
    licence="see the upstream repository (themarshallproject/california_crime_rates)",
    citation=(
        "The Marshall Project, California crime rates: city populations 1980-2017 "
        "from U.S. Census and California Department of Finance estimates."
    ),
    columns=("city", "county", "year", "TOTAL_POP"),
    description="Yearly resident population of every California city, 1980-2017.",
)

SOURCES: dict[str, Source] = {s.key: s for s in (HOMICIDES, POPULATION)}


def mirror_from_env(mirror: Path | str | None = None) -> Path | None:
    """The mirror folder: the argument if given, else ``$ANALYSIS_DATA_MIRROR``, else None."""
    value = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if value in (None, ""):
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise DataUnavailableError(
            f"the data mirror {path} (from {'the mirror option' if mirror else MIRROR_ENV}) "
            "is not a folder; point it at a folder holding the upstream files by name"
        )
    return path


def check_columns(path: Path, source: Source, shown: str | Path | None = None) -> None:
    """Raise SchemaError unless the file's header holds the source's columns.

    ``shown`` is the name the user knows the file by (a mirror file, not the temporary copy).
    The header ends at the first LF, CRLF or lone CR.
    """
    shown = shown or path
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0].decode("utf-8-sig", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(first), strict=True), [])
    except csv.Error as exc:
        raise SchemaError(f"{shown}, line 1: the header is not valid CSV ({exc})") from None
    missing = [c for c in source.columns if c not in header]
    if missing:
        listed = header if len(first) < 500 else f"{len(header)} fields"
        raise SchemaError(
            f"{shown}: missing column(s) {missing} for source '{source.key}' "
            f"(header is {listed}); is this the right file from {source.url}?"
        )


def read_manifest(raw_dir: Path) -> dict:
    path = raw_dir / MANIFEST_NAME
    if not path.exists():
        return {"files": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def _download(url: str, dest: Path, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def fetch(
    keys: list[str] | None = None,
    *,
    paths: Paths | None = None,
    mirror: Path | str | None = None,
    replace: bool = False,
    allow_network: bool = True,
    timeout: float = 60.0,
) -> dict:
    """Bring the sources into ``data/raw`` and return the manifest.

    A file already present with the same content is left alone. One whose content
    differs raises RawFileConflictError, unless ``replace`` (then the manifest
    records the replaced checksum).
    """
    paths = paths or Paths()
    raw = paths.raw
    raw.mkdir(parents=True, exist_ok=True)
    mirror_dir = mirror_from_env(mirror)
    manifest = read_manifest(raw)
    missing: list[str] = []
    paths.incoming.mkdir(parents=True, exist_ok=True)
    arrived: list[tuple[Path, Path, dict]] = []  # (incoming copy, destination, entry)
    try:
        for key in keys or list(SOURCES):
            source = SOURCES[key]
            dest = raw / source.filename
            tmp = Path(tempfile.mkstemp(prefix=f".{source.filename}.", dir=paths.incoming)[1])
            origin = _bring(source, tmp, mirror_dir, allow_network, timeout, missing)
            if origin is None:
                tmp.unlink(missing_ok=True)
                continue
            arrived.append((tmp, dest, {"origin": origin, "source": source}))
        if missing:
            raise DataUnavailableError(
                "could not get: "
                + "; ".join(missing)
                + f". Either connect to the network, or set {MIRROR_ENV} (or pass --mirror) to "
                "a folder holding these files under their upstream names, or put them in "
                f"{raw} yourself."
            )
        staged = []
        for tmp, dest, info in arrived:
            staged.append((tmp, dest, _entry(tmp, dest, info, manifest, replace)))
        for tmp, dest, entry in staged:
            if entry is None:
                continue  # same content: left alone
            if "replaced_sha256" in entry:
                vintage = raw / VINTAGES / entry["replaced_sha256"][:12] / dest.name
                vintage.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, vintage)
                entry["previous"][0]["vintage"] = str(vintage.relative_to(raw))
            os.replace(tmp, dest)
            manifest["files"][dest.name] = entry
            log.info(
                "%s: fetched from %s (sha256 %s)", dest.name, entry["origin"], entry["sha256"][:12]
            )
    finally:
        for tmp, _, _ in arrived:
            tmp.unlink(missing_ok=True)
    write_json_atomic(raw / MANIFEST_NAME, manifest)
    return manifest


def _entry(tmp: Path, dest: Path, info: dict, manifest: dict, replace: bool) -> dict | None:
    """The manifest entry of an arrived file; None when ``dest`` already has its content."""
    source, origin = info["source"], info["origin"]
    check_columns(tmp, source, shown=origin.removeprefix("mirror:"))
    new_sum = sha256_file(tmp)
    entry = {
        "source": source.key,
        "url": source.url,
        "origin": origin,
        "licence": source.licence,
        "citation": source.citation,
        "sha256": new_sum,
        "bytes": tmp.stat().st_size,
        "fetched_at": utc_now(),
    }
    if dest.exists():
        old_sum = sha256_file(dest)
        if old_sum == new_sum:
            log.info("%s: unchanged (sha256 %s)", dest.name, new_sum[:12])
            manifest["files"].setdefault(source.filename, entry)
            return None
        if not replace:
            raise RawFileConflictError(
                f"{dest} exists with sha256 {old_sum[:12]}…, the new copy from {origin} "
                f"has {new_sum[:12]}…; raw files are never overwritten silently. Move "
                "the old file away, or fetch with --replace to keep the old one as a "
                "data vintage and use the new one."
            )
        old = manifest["files"].get(dest.name, {})
        entry["replaced_sha256"] = old_sum
        entry["previous"] = [
            {
                "sha256": old_sum,
                "fetched_at": old.get("fetched_at"),
                "hand_edited": bool(old) and old.get("sha256") != old_sum,
            },
            *old.get("previous", []),
        ]
    return entry


VINTAGES = "vintages"


def verify_raw(paths: Paths | None = None) -> dict:
    """``data/raw`` as the manifest records it, or a clear error naming the file."""
    paths = paths or Paths()
    manifest = read_manifest(paths.raw)
    for source in SOURCES.values():
        path = paths.raw / source.filename
        entry = manifest["files"].get(source.filename)
        if not path.exists():
            raise DataUnavailableError(f"{path} is missing: run `analysis fetch`")
        if entry is None:
            raise RawFileConflictError(
                f"{path} is not in {paths.raw / MANIFEST_NAME}: put raw files in place with "
                "`analysis fetch` (it records their checksums)"
            )
        got = sha256_file(path)
        if got != entry["sha256"]:
            raise RawFileConflictError(
                f"{path} has sha256 {got[:12]}…, the manifest records {entry['sha256'][:12]}…: "
                "the raw file was changed after it was fetched. Raw files are never edited: "
                "restore it, or fetch again with --replace (the edited copy is kept as a "
                "vintage and recorded as hand-edited)"
            )
    return manifest


def _bring(source, tmp, mirror_dir, allow_network, timeout, missing) -> str | None:
    """Copy the source into ``tmp``; return where it came from, or None if it could not."""
    if mirror_dir is not None:
        candidate = mirror_dir / source.filename
        if candidate.is_file():
            shutil.copyfile(candidate, tmp)
            return f"mirror:{candidate}"
        if not allow_network:
            missing.append(f"{source.filename} (not in mirror {mirror_dir})")
            return None
    if not allow_network:
        missing.append(f"{source.filename} (no mirror given and the network is not allowed)")
        return None
    try:
        _download(source.url, tmp, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        where = f"not in mirror {mirror_dir} and " if mirror_dir else ""
        missing.append(f"{source.filename} ({where}download from {source.url} failed: {exc})")
        return None
    return source.url
