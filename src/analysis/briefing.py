"""Stage 8, briefing: a one-page PDF for people who will never open a notebook.

The verdict as the title, the main figure, plain sentences, the caveats and the source on
one US-letter page. Every text block is drawn, measured and placed below the one before;
wrapping is checked against the measured width. When the blocks would reach the footer,
the caveats that do not fit and the method go to a second file, the **technical notes**
(its own one-page PDF), and the page says so: nothing is ever drawn over anything else.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from analysis import wording
from analysis.figures import PALETTE, RunInfo, draw_main, plain_text, project_style, styled
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.provenance import atomic_path
from analysis.robustness import Robustness
from analysis.verdict import Verdict

PAGE = (8.5, 11.0)
#: Page margins in inches: left, right, top, bottom.
MARGINS = (0.6, 0.6, 0.45, 0.4)
#: Height of the figure on the page, in inches, and the least it may shrink to.
FIGURE_HEIGHT = (3.7, 2.7)


@dataclass
class Page:
    """A laid-out page: the figure and what did not fit (for the technical notes)."""

    figure: plt.Figure
    overflow: list[str] = field(default_factory=list)
    overflow_headings: list[str] = field(default_factory=list)


class _Column:
    """Places wrapped text blocks from the top of the page down, measuring each."""

    def __init__(self, fig: plt.Figure, top_in: float):
        self.fig = fig
        self.y = top_in  # inches from the bottom of the page
        self.left = MARGINS[0]
        self.width = PAGE[0] - MARGINS[0] - MARGINS[1]
        self.renderer = fig.canvas.get_renderer()

    def _draw(self, text: str, size: float, indent: float, **kw):
        chars = max(20, int((self.width - indent) * 72 / (size * 0.52)))
        while True:
            body = "\n".join(textwrap.wrap(plain_text(text), chars)) or " "
            artist = self.fig.text(
                (self.left + indent) / PAGE[0],
                self.y / PAGE[1],
                body,
                ha="left",
                va="top",
                fontsize=size,
                linespacing=1.3,
                **kw,
            )
            box = artist.get_window_extent(renderer=self.renderer)
            right_in = box.x1 / self.fig.dpi
            if right_in <= self.left + self.width or chars <= 20:
                return artist, box.height / self.fig.dpi
            artist.remove()
            chars -= 4

    def height(self, text: str, size: float, indent: float = 0.0, **kw) -> float:
        artist, height = self._draw(text, size, indent, **kw)
        artist.remove()
        return height

    def add(self, text: str, size: float, *, indent: float = 0.0, gap: float = 0.08, **kw):
        _, height = self._draw(text, size, indent, **kw)
        self.y -= height + gap


def _footer(fig: plt.Figure, info: RunInfo):
    """The source line at the foot of a page (drawn first: its top is everyone's floor)."""
    return fig.text(
        MARGINS[0] / PAGE[0],
        MARGINS[3] / PAGE[1],
        "\n".join(textwrap.wrap(plain_text(info.footnote()), 118)),
        fontsize=7.5,
        color="#555",
        va="bottom",
        ha="left",
    )


@styled
def _heading(col: _Column, verdict: Verdict, info: RunInfo, intervention, *, gap: float):
    """The verdict as the page title and the line under it: topic, data period, run date."""
    col.add(f"{info.place}: {verdict.title}", 18, fontweight="bold", gap=0.06)
    period = wording.data_through(info.data_through) if info.data_through else info.as_of
    col.add(
        f"Briefing on {intervention.topic} · {period} · run {info.run_date}",
        9.5,
        color="#555",
        gap=gap,
    )


def build_briefing(
    result: ITSResult,
    verdict: Verdict,
    info: RunInfo,
    intervention: Intervention,
    *,
    caveats: list[str] | None = None,
    notes_name: str = "the technical notes",
    later: pd.Series | None = None,
) -> Page:
    """Lay out the one-page briefing; what does not fit goes to ``Page.overflow``."""
    fig = plt.figure(figsize=PAGE)
    fig.patches.append(
        plt.Rectangle(
            (0.0, 0.995), 1.0, 0.005, transform=fig.transFigure, color=PALETTE["intervention"]
        )
    )
    col = _Column(fig, PAGE[1] - MARGINS[2])
    # footer first: its top is the floor of everything else
    footer = _footer(fig, info)
    floor = MARGINS[3] + footer.get_window_extent(col.renderer).height / fig.dpi + 0.12

    _heading(col, verdict, info, intervention, gap=0.12)

    said = [verdict.headline, verdict.supporting]
    if verdict.qualifier:
        said.append(verdict.qualifier)
    if verdict.robustness_summary:
        said.append(f"{verdict.robustness_summary} Details are in {notes_name}.")
    must = [("heading", "What the data say")] + [
        ("bullet", s) for s in (*said, verdict.when_we_will_know)
    ]
    optional = [("heading", "Caveats")] + [
        ("bullet", c) for c in [verdict.caveat, *(caveats or [])]
    ]
    method = (
        f"Method: interrupted time-series regression ({result.spec.family}, "
        f"{result.spec.estimator} estimator; {wording.plural(result.n_pre, 'month')} before and "
        f"{wording.plural(result.n_post, 'month')} from {wording.month(result.first_post_month)}). "
        f"The verdict needs {verdict.criteria['min_post_months']} months of data and "
        f"{wording.percent(verdict.criteria['target_power'])} power to detect a "
        f"{wording.percent(verdict.criteria['effect_that_matters'])} change; "
        f"intervals at {wording.level(result.spec.confidence_level)}."
    )
    sizes = {"heading": 12.5, "bullet": 10.5}

    def block_height(kind: str, text: str) -> float:
        if kind == "heading":
            return col.height(text, sizes[kind], fontweight="bold") + 0.06
        return col.height("• " + text, sizes[kind], indent=0.1) + 0.07

    must_h = sum(block_height(k, t) for k, t in must)
    pointer = f"More caveats and the method are in {notes_name}."
    pointer_h = col.height(pointer, 9.5) + 0.1
    legend_room = 0.75
    free = col.y - floor - must_h - legend_room - 0.35
    optional_h = sum(block_height(k, t) for k, t in optional) + col.height(method, 8.5) + 0.2
    fig_h = max(FIGURE_HEIGHT[1], min(FIGURE_HEIGHT[0], free - optional_h))
    ax = fig.add_axes(
        [
            (MARGINS[0] + 0.55) / PAGE[0],
            (col.y - 0.25 - fig_h) / PAGE[1],
            (col.width - 0.6) / PAGE[0],
            fig_h / PAGE[1],
        ]
    )
    draw_main(ax, result, intervention, later=later)
    ax.tick_params(labelsize=9)
    ax.yaxis.label.set_size(10)
    for text in ax.texts:
        text.set_fontsize(9.5)
    legend_box = ax.get_legend().get_window_extent(col.renderer)
    col.y = legend_box.y0 / fig.dpi - 0.15

    def place(kind: str, text: str) -> None:
        if kind == "heading":
            col.add(text, sizes[kind], fontweight="bold", gap=0.06)
        else:
            col.add("• " + text, sizes[kind], indent=0.1, gap=0.07)

    for kind, text in must:
        place(kind, text)
    col.y -= 0.06
    overflow: list[str] = []
    rest = [*optional, ("method", method)]
    for i, (kind, text) in enumerate(rest):
        needed = col.height(text, 8.5) + 0.05 if kind == "method" else block_height(kind, text)
        after = rest[i + 1 :]
        room = col.y - floor - (pointer_h if after else 0.0)
        if needed > room or (kind == "heading" and block_height(*after[0]) + needed > room):
            overflow = [t for k, t in rest[i:] if k != "heading"]
            break
        if kind == "method":
            col.add(text, 8.5, color="#333", gap=0.05)
        else:
            place(kind, text)
    if overflow:
        col.add(pointer, 9.5, color="#333", fontstyle="italic")
    return Page(fig, overflow, ["Caveats and method"] if overflow else [])


@styled
def build_text_briefing(verdict: Verdict, info: RunInfo, intervention: Intervention) -> Page:
    """The one-page briefing of a run with nothing to estimate yet: the verdict and its
    sentences, no figure of a model."""
    fig = plt.figure(figsize=PAGE)
    col = _Column(fig, PAGE[1] - MARGINS[2])
    _footer(fig, info)
    _heading(col, verdict, info, intervention, gap=0.2)
    col.add("What the data say", 12.5, fontweight="bold", gap=0.06)
    for text in (verdict.headline, verdict.supporting, verdict.when_we_will_know):
        col.add("• " + text, 10.5, indent=0.1, gap=0.07)
    col.add("Caveats", 12.5, fontweight="bold", gap=0.06)
    col.add("• " + verdict.caveat, 10.5, indent=0.1, gap=0.07)
    return Page(fig, [], [])


@styled
def build_notes(info: RunInfo, title: str, items: list[str]) -> plt.Figure:
    """The technical notes' first page: what did not fit on the briefing page and the
    checks in detail (the forest and placebo figures follow it in the same PDF)."""
    fig = plt.figure(figsize=PAGE)
    col = _Column(fig, PAGE[1] - MARGINS[2])
    col.add(f"{info.place}: technical notes", 16, fontweight="bold", gap=0.06)
    col.add(f"Accompanies the briefing “{title}”", 9.5, color="#555", gap=0.15)
    for item in items:
        col.add("• " + item, 10.5, indent=0.1, gap=0.08)
    _footer(fig, info)
    return fig


def robustness_notes(rb: Robustness, place: str) -> list[str]:
    """The checks in detail for the technical notes: comparison cities and why, the
    synthetic control, what could not be checked."""
    table = rb.controls[rb.controls["role"] != "analysed"]
    usable = table[table["eligible"]]
    out = []
    if len(usable):
        out.append(
            "Comparison cities: "
            + "; ".join(f"{r.city} ({wording.clause(r.reason)})" for r in usable.itertuples())
            + "."
        )
    shown = table[~table["eligible"]].head(8)
    if len(shown):
        more = len(table[~table["eligible"]]) - len(shown)
        out.append(
            "Not used as comparisons: "
            + "; ".join(f"{r.city}: {wording.clause(r.reason)}" for r in shown.itertuples())
            + (f"; and {more} more (results.json lists them all)" if more > 0 else "")
            + "."
        )
    if rb.synthetic is not None:
        sc = rb.synthetic
        weights = ", ".join(f"{c} {w:.2f}" for c, w in sc["weights"].items())
        out.append(
            f"Synthetic control ({sc['method']}): weights {weights}; pre-period fit (RMSPE) "
            f"{sc['pre_rmspe']:.2f} homicides per 100,000 a month. Without the intercept the "
            f"best weighted average of the comparison cities would sit at 1/"
            f"{sc['level_matched_pre_ratio']:.2f} of {place}'s pre-period level."
        )
    out += rb.notes
    out.append(
        "The figures after this page draw every estimate side by side (the verdict's, each "
        "period, the comparison cities, the synthetic control and each sensitivity analysis) "
        "and the real estimate against fake start dates and fake treated cities."
    )
    return out


def write_briefing_pdf(
    fig: plt.Figure | Page | list[plt.Figure], dest: Path | str, title: str
) -> Path:
    """Write a page (or several) as a PDF, atomically (dates pinned: same input, same
    bytes)."""
    figures = fig if isinstance(fig, list) else [fig.figure if isinstance(fig, Page) else fig]
    dest = Path(dest)
    metadata = {"Title": plain_text(title), "CreationDate": None, "Creator": None}
    with project_style(), atomic_path(dest) as tmp, PdfPages(tmp, metadata=metadata) as pdf:
        for figure in figures:
            pdf.savefig(figure)
    for figure in figures:
        plt.close(figure)
    return dest


def count_pdf_pages(path: Path | str) -> int:
    """Pages in a PDF written by matplotlib (its page objects are not compressed)."""
    import re

    data = Path(path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
