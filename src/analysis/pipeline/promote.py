"""Promotion: a finished run's outputs copied to the project's folders.

The run folder keeps its own copy (``runs/<city>/latest`` is the atomic view of the newest
good run); each project file is replaced by one rename, so a reader of a single file never
sees half of it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analysis.layout import OUTPUT_FOLDERS


def staged_outputs(staging: Path) -> list[Path]:
    """The files of a run folder that are outputs (its private state is not one)."""
    return sorted(
        p for folder in OUTPUT_FOLDERS for p in (staging / folder).rglob("*") if p.is_file()
    )


def promote(run_root: Path, project: Path) -> list[Path]:
    """Copy every output of ``run_root`` to the same place under ``project``."""
    done = []
    for src in staged_outputs(run_root):
        dest = project / src.relative_to(run_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        shutil.copy2(src, tmp)
        os.replace(tmp, dest)
        done.append(dest)
    return done
