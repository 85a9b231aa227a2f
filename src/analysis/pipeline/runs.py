"""Run folders, the "latest" pointer, locks, idempotence and retention for unattended reruns.

Every run writes into its own folder::

    runs/<city>/<as_of>/<params-hash>/<run-id>/   (data/processed, figures, reports, manifest)

keyed by the city, the as-of date and a short hash of every other parameter, so runs with
different settings never replace each other. ``manifest.json`` holds the parameters, input
checksums and data vintages, package versions, the git commit, start and end times, the
status (``running``, ``success``, ``failed``) and the exit reason.

* **latest**: ``runs/<city>/latest`` and ``runs/<city>/latest-<params-hash>`` are symbolic
  links switched in one atomic rename, and only when a run succeeds: a reader never sees
  half of a new run.
* **locks**: one run at a time per city and parameter set (``runs/<city>/<hash>.lock``,
  holding the owner's pid and host); a second run waits or stops with a clear message; a
  lock whose process is gone (a killed run) is recovered.
* **idempotence**: a run whose inputs, parameters and code match a successful run's
  fingerprint does nothing unless forced.
* **retention**: failed and abandoned run folders older than ``FAILED_RETENTION_DAYS`` are
  removed, and successful runs beyond the newest ``KEEP_SUCCESSFUL`` per parameter set (the
  target of a latest link is always kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

from analysis.config import Paths
from analysis.errors import AnalysisError
from analysis.layout import slug
from analysis.provenance import write_json_atomic

RUNS = "runs"
KEEP_SUCCESSFUL = 12
FAILED_RETENTION_DAYS = 14
#: Packages whose versions a manifest records.
PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "pyyaml",
    "jsonschema",
)


class RunLockedError(AnalysisError):
    """Another run of the same city and parameter set is under way."""


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def params_hash(params: dict) -> str:
    """Short hash of every parameter but the city and the as-of date (they are in the path)."""
    rest = {k: v for k, v in params.items() if k not in ("city", "as_of")}
    return hashlib.sha256(canonical(rest).encode()).hexdigest()[:10]


def fingerprint(inputs: list[dict], params: dict, code: dict) -> str:
    """Same inputs, same parameters, same code: the same fingerprint."""
    doc = {
        "inputs": sorted(i["sha256"] for i in inputs),
        "params": params,
        "code": {k: code.get(k) for k in ("version", "commit", "dirty")},
    }
    return hashlib.sha256(canonical(doc).encode()).hexdigest()


def package_versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class RunFolder:
    paths: Paths
    city: str
    as_of: str
    key: str
    run_id: str

    @classmethod
    def new(cls, paths: Paths, city: str, as_of: str, key: str) -> RunFolder:
        stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
        return cls(paths, city, as_of, key, f"{stamp}-{os.getpid()}")

    @property
    def city_root(self) -> Path:
        return self.paths.root / RUNS / slug(self.city)

    @property
    def root(self) -> Path:
        return self.city_root / self.as_of / self.key / self.run_id

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def latest(self) -> Path:
        return self.city_root / "latest"

    @property
    def latest_for_key(self) -> Path:
        return self.city_root / f"latest-{self.key}"

    @property
    def lock(self) -> Path:
        return self.city_root / f"{self.key}.lock"


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def runs_of(city_root: Path, key: str | None = None) -> list[tuple[Path, dict]]:
    """Every run folder under a city with its manifest (oldest first)."""
    out = []
    pattern = f"*/{key}/*" if key else "*/*/*"
    for folder in city_root.glob(pattern):
        m = read_manifest(folder)
        if folder.is_dir() and m is not None:
            out.append((folder, m))
    return sorted(out, key=lambda fm: fm[1].get("started_at", ""))


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname():
        return True  # another machine's run: never taken for dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """One run per city and parameter set; a killed run's lock is recovered."""

    def __init__(self, path: Path, *, wait: float = 0.0, poll: float = 0.5):
        self.path, self.wait, self.poll = path, wait, poll
        self.recovered: dict | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": now_utc().isoformat()}
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    owner = json.loads(self.path.read_text() or "{}")
                except (OSError, json.JSONDecodeError):
                    owner = {}
                if owner and not _alive(int(owner.get("pid", -1)), owner.get("host", "")):
                    self.recovered = owner  # a killed run's lock: take it over
                    self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    raise RunLockedError(
                        f"another run of this city and parameter set is under way (pid "
                        f"{owner.get('pid', '?')} on {owner.get('host', '?')} since "
                        f"{owner.get('since', '?')}; lock {self.path}). Wait for it (--wait "
                        "SECONDS) or, if that process is gone, run again: a dead owner's lock "
                        "is recovered"
                    ) from None
                time.sleep(self.poll)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(me))
            return self

    def __exit__(self, *exc) -> None:
        try:
            owner = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return
        if owner.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)


def switch_latest(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` in one atomic rename (a relative symbolic link)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)


def latest_targets(city_root: Path) -> set[Path]:
    out = set()
    for link in city_root.glob("latest*"):
        if link.is_symlink():
            out.add((link.parent / os.readlink(link)).resolve())
    return out


def apply_retention(city_root: Path, key: str, *, now: datetime | None = None) -> list[Path]:
    """Remove old failed or abandoned runs and successful runs beyond the newest few."""
    now = now or now_utc()
    keep = latest_targets(city_root)
    removed = []
    runs = runs_of(city_root, key)
    successes = [f for f, m in runs if m.get("status") == "success"]
    for folder, m in runs:
        if folder.resolve() in keep:
            continue
        status = m.get("status")
        started = datetime.fromisoformat(m.get("started_at", now.isoformat()))
        old = now - started > timedelta(days=FAILED_RETENTION_DAYS)
        abandoned = status == "running" and not _alive(m.get("pid", -1), m.get("host", ""))
        stale = status in ("failed", "abandoned") or abandoned
        surplus = status == "success" and folder in successes[:-KEEP_SUCCESSFUL]
        if (stale and old) or surplus:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        elif abandoned:
            write_json_atomic(
                folder / "manifest.json",
                {**m, "status": "abandoned", "exit_reason": "its process is gone"},
            )
    return removed


def same_run(city_root: Path, as_of: str, key: str, print_: str) -> tuple[Path, dict] | None:
    """The newest successful run of this as-of date and parameter set with fingerprint
    ``print_`` (None: none)."""
    for folder, m in reversed(runs_of(city_root, key)):
        done = m.get("as_of") == as_of and m.get("status") == "success"
        if done and m.get("fingerprint") == print_:
            return folder, m
    return None


def previous_success(city_root: Path, key: str) -> dict | None:
    done = [m for _, m in runs_of(city_root, key) if m.get("status") == "success"]
    return done[-1] if done else None


def changes(previous: dict | None, summary: dict) -> dict:
    """What changed since the last successful run of this parameter set."""
    if previous is None:
        return {"first_run": True}
    before = previous.get("summary", {})
    return {
        "first_run": False,
        "previous_run": previous.get("run_id"),
        "rows_added": (summary.get("clean_rows") or 0) - (before.get("clean_rows") or 0),
        "data_through": {"before": before.get("data_through"), "now": summary.get("data_through")},
        "months_newly_complete": _months_between(
            before.get("data_through"), summary.get("data_through")
        ),
        "verdict": {"before": before.get("label"), "now": summary.get("label")},
        "verdict_changed": before.get("label") != summary.get("label"),
        "inputs_changed": before.get("inputs") != summary.get("inputs"),
    }


def _months_between(before: str | None, now: str | None) -> int:
    """Complete months of data gained from ``before`` to ``now`` (YYYY-MM; 0 if unknown)."""
    if not before or not now:
        return 0
    (y0, m0), (y1, m1) = (map(int, before.split("-")[:2]), map(int, now.split("-")[:2]))
    return (y1 - y0) * 12 + (m1 - m0)
