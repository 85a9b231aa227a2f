"""Checksums, atomic writes and the code version: what every output is traced to."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.config import source_root


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@contextlib.contextmanager
def atomic_path(dest: Path | str, scratch_dir: Path | str | None = None) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``dest`` in one rename.

    The temporary file lives in ``scratch_dir`` (default: beside ``dest``, hidden),
    which must be on the same filesystem. On error it is removed and ``dest`` is
    left as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(scratch_dir) if scratch_dir is not None else dest.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); an output is readable as any new file is
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    """The process umask (read by setting it, then put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(dest: Path | str, text: str) -> Path:
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(dest)


def write_json_atomic(dest: Path | str, obj: Any) -> Path:
    return write_text_atomic(dest, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def write_csv_atomic(dest: Path | str, frame) -> Path:
    with atomic_path(dest) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return Path(dest)


def code_version(root: Path | None = None) -> dict[str, Any]:
    """The package version and, in a git checkout, the commit and whether it is dirty."""
    root = root or source_root()
    info: dict[str, Any] = {"package": "analysis", "version": __version__, "commit": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            info["commit"] = commit.stdout.strip()
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            )
            info["dirty"] = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def file_record(path: Path | str, root: Path | None = None) -> dict[str, Any]:
    path = Path(path)
    rel = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    return {"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size}
