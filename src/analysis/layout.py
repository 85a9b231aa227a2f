"""Where every artifact of a run goes: one place decides every file name.

A :class:`RunLayout` is built from a root folder (the project, or the runner's staging
folder) and the run's city and as-of date. Notebooks, stages and the runner ask it for
paths; nothing else builds a file name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from analysis.config import Paths

#: Folders of a run's outputs (relative to the root) that promotion moves.
OUTPUT_FOLDERS = ("data/processed", "figures", "reports")
#: A run's private state (the analysis outcome handed from one notebook to the next);
#: never promoted.
STATE_FOLDER = "build/state"


#: A slug longer than this is cut and made unique with a short hash (file names stay legal).
MAX_SLUG = 60


def slug(text: str) -> str:
    """File-name form of a city: lower case letters and digits, other characters '-'."""
    out = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in text).strip("-")
    if len(out) > MAX_SLUG or not out:
        digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:10]
        out = f"{out[: MAX_SLUG - 11].strip('-')}-{digest}".strip("-")
    return out


def batch_folder(paths: Paths, stamp: str) -> Path:
    """Where a batch writes its table, manifest and figures: ``build/batch/<stamp>``."""
    return paths.root / "build" / "batch" / stamp


def replay_folder(paths: Paths) -> Path:
    """Where ``analysis replay`` writes its table, summary and figure."""
    return paths.reports / "replay"


def replay_name(city: str, start: str, end: str) -> str:
    """``stockton_2012-12_2016-12_replay``: a replay's files, by city and month range."""
    return f"{slug(city)}_{start[:7]}_{end[:7]}_replay"


def batch_figure_stem(item: int, city: str, as_of: str, spec: str) -> str:
    """File stem of one batch item's figure: ``00012_stockton_2013-02-01_family-negbin``."""
    return f"{item:05d}_{slug(city)}_{as_of}_{slug(spec)}"


@dataclass(frozen=True)
class RunLayout:
    """Paths of one run: ``stockton_2013-01-09_main.png`` and the like, under ``root``."""

    paths: Paths
    city: str
    as_of: str

    @classmethod
    def under(cls, root: Path | str | None, city: str, as_of: str) -> RunLayout:
        """The layout under ``root`` (empty or None: the project)."""
        return cls(Paths(root) if root not in (None, "") else Paths(), city, as_of)

    def stem(self, name: str) -> str:
        return f"{slug(self.city)}_{self.as_of}_{name}"

    # --- data/processed
    def processed(self, name: str) -> Path:
        """``data/processed/<city>_<as_of>_<name>``."""
        return self.paths.processed / self.stem(name)

    @property
    def incidents(self) -> Path:
        return self.paths.processed / "incidents.csv"

    @property
    def quarantine(self) -> Path:
        return self.paths.processed / "quarantine.csv"

    @property
    def cleaning_report(self) -> Path:
        return self.paths.processed / "cleaning_report.json"

    @property
    def cleaning_report_table(self) -> Path:
        return self.paths.processed / "cleaning_report.csv"

    @property
    def panel(self) -> Path:
        """The monthly table of every city, as of the run's date."""
        return self.paths.processed / f"all-cities_{self.as_of}_monthly.csv"

    @property
    def monthly(self) -> Path:
        return self.processed("monthly.csv")

    @property
    def excluded_months(self) -> Path:
        return self.processed("excluded_months.json")

    @property
    def inputs(self) -> Path:
        return self.processed("inputs.json")

    @property
    def model(self) -> Path:
        return self.processed("model.json")

    @property
    def results(self) -> Path:
        return self.processed("results.json")

    # --- figures and reports
    @property
    def figures(self) -> Path:
        return self.paths.figures

    def figure_stem(self, name: str) -> str:
        return self.stem(name)

    def figure(self, name: str, ext: str = "png") -> Path:
        return self.paths.figures / f"{self.stem(name)}.{ext}"

    @property
    def briefing_pdf(self) -> Path:
        return self.paths.reports / f"{self.stem('briefing')}.pdf"

    @property
    def briefing_notes(self) -> Path:
        """The technical notes: what did not fit on the one-page briefing."""
        return self.paths.reports / f"{self.stem('briefing_notes')}.pdf"

    @property
    def briefing_html(self) -> Path:
        return self.paths.reports / f"{self.stem('briefing')}.html"

    @property
    def provenance(self) -> Path:
        return self.paths.reports / f"{self.stem('provenance')}.json"

    @property
    def notebooks(self) -> Path:
        return self.paths.reports / "notebooks"

    def executed_notebook(self, notebook: str) -> Path:
        """The executed copy of ``notebook`` (e.g. ``10_clean.ipynb``)."""
        return self.notebooks / f"{self.stem(notebook.removesuffix('.ipynb'))}.ipynb"

    # --- the runner's staging folder
    def staging_root(self, token: str) -> Path:
        """Where a run under way writes before promotion (``token``: unique per run)."""
        return self.paths.root / "build" / f"staging-{self.stem('run')}-{token}"

    # --- private state
    @property
    def outcome_state(self) -> Path:
        """The pickled analysis outcome, handed from the model notebook to the briefing."""
        return self.paths.root / STATE_FOLDER / f"{self.stem('outcome')}.pkl"
