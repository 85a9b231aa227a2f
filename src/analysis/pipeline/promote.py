"""Promotion: a finished run's staged outputs replace the project's, file by file."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.layout import OUTPUT_FOLDERS


def staged_outputs(staging: Path) -> list[Path]:
    """The staged files that are outputs (the run's private state is not one)."""
    return sorted(
        p for folder in OUTPUT_FOLDERS for p in (staging / folder).rglob("*") if p.is_file()
    )


def promote(staging: Path, root: Path) -> list[Path]:
    """Move every staged output to the same place under ``root`` (one rename per file)."""
    moved = []
    for src in staged_outputs(staging):
        dest = root / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        moved.append(dest)
    return moved
