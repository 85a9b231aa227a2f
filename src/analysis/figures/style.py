"""One style, one frame: the title is the verdict, the subtitle the number, the footer the
source, the data period, the run date and the code version. Space for each is measured,
never guessed, so no text overprints another or the data.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); sizes
stay legible when a figure is shrunk onto a slide. The style is applied with
``matplotlib.rc_context`` inside each figure call: global settings are never changed.
"""

from __future__ import annotations

import contextlib
import functools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullFormatter, NullLocator

from analysis import wording
from analysis.provenance import atomic_path, write_csv_atomic

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = {
    "observed": "#000000",
    "fitted": "#0072B2",
    "counterfactual": "#D55E00",
    "band": "#E69F00",
    "post": "#F0F0F0",
    "intervention": "#009E73",
    "power_matters": "#0072B2",
    "reference": "#999999",
    "pre_residual": "#999999",
}
FORMATS = ("png", "svg", "pdf")
PNG_DPI = 200
#: zlib level of the PNG files: 3 writes them about a third faster than matplotlib's 6, for
#: files about 6% larger.
PNG_COMPRESS_LEVEL = 3
FIGSIZE = (11, 6.2)
#: Inches kept free around the frame's texts.
MARGIN = 0.12


def _style_rc() -> dict:
    rc = {**sns.plotting_context("talk"), **sns.axes_style("whitegrid")}
    rc.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE.values())),
            "figure.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": 16,
            "axes.labelsize": 14,
            "xtick.labelsize": 12,
            "ytick.labelsize": 12,
            "legend.fontsize": 11.5,
            "svg.fonttype": "none",  # text stays text in SVG: searchable, editable
            "svg.hashsalt": "analysis",  # ids in SVG files do not change from run to run
            # Type 3, matplotlib's default: text stays text (a ToUnicode map: searchable,
            # copyable). Type 42 spent 0.4-0.7 s per PDF in fontTools subsetting, 7 s a run.
            "pdf.fonttype": 3,
        }
    )
    return rc


@contextlib.contextmanager
def project_style() -> Iterator[None]:
    """Apply the project style inside a ``with`` block only (global settings are untouched)."""
    with matplotlib.rc_context(_style_rc()):
        yield


def styled(func):
    """Draw ``func``'s figure in the project style (a decorator)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with project_style():
            return func(*args, **kwargs)

    return wrapper


def plain_text(text: str) -> str:
    """Text shown as it is: a '$' from data must not start matplotlib's mathtext."""
    return str(text).replace("$", r"\$")


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(plain_text(text), width))


@dataclass(frozen=True)
class RunInfo:
    """What the footer of a figure says: where the numbers come from."""

    place: str
    as_of: str
    run_date: str
    input_sha256: str
    code_version: str = ""
    source: str = "The Washington Post homicide data (CC BY-NC-SA 4.0)"
    #: The last complete month in the data (``YYYY-MM``), if known.
    data_through: str = ""

    def footnote(self) -> str:
        code = f" · code {self.code_version[:8]}" if self.code_version else ""
        period = (
            wording.data_through(self.data_through)
            if self.data_through
            else f"data as of {self.as_of}"
        )
        return (
            f"Source: {self.source} · {period} · run {self.run_date}{code} · "
            f"input sha256 {self.input_sha256[:12]}"
        )


def _height(fig, artist) -> float:
    """The artist's height as a figure fraction (drawn, then measured)."""
    renderer = fig.canvas.get_renderer()
    box = artist.get_window_extent(renderer=renderer)
    return box.height / (fig.get_figheight() * fig.dpi)


def frame(
    fig: plt.Figure,
    title: str,
    subtitle: str,
    info: RunInfo | None,
    *,
    legend_handles=None,
    legend_columns: int = 3,
) -> tuple[float, float]:
    """Title, subtitle, an optional legend row and the footer, measured from the edges.

    Returns ``(top, bottom)``: the figure fractions left between them for the axes.
    """
    width_in = fig.get_figwidth()
    chars_title = int(width_in * 6.2)
    chars_sub = int(width_in * 10.5)
    pad = MARGIN / fig.get_figheight()
    y = 1 - pad
    t = fig.text(
        0.015, y, wrap(title, chars_title), ha="left", va="top", fontsize=19, fontweight="bold"
    )
    y -= _height(fig, t) + pad / 2
    if subtitle:
        s = fig.text(0.015, y, wrap(subtitle, chars_sub), ha="left", va="top", fontsize=12)
        y -= _height(fig, s) + pad / 2
    if legend_handles:
        columns = legend_columns
        while True:  # fewer columns until the legend fits the figure's width
            legend = fig.legend(
                handles=legend_handles,
                loc="upper left",
                bbox_to_anchor=(0.01, y),
                ncol=columns,
                frameon=False,
                fontsize=11,
                handlelength=2.2,
                columnspacing=1.4,
            )
            box = legend.get_window_extent(renderer=fig.canvas.get_renderer())
            if box.x1 <= fig.get_figwidth() * fig.dpi * 0.995 or columns == 1:
                break
            legend.remove()
            columns -= 1
        y -= _height(fig, legend) + pad / 2
    bottom = pad
    if info is not None:
        f = fig.text(
            0.015,
            pad / 2,
            wrap(info.footnote(), int(width_in * 15)),
            ha="left",
            va="bottom",
            fontsize=8.5,
            color="#555",
        )
        bottom = pad / 2 + _height(fig, f) + pad / 2
    fig._analysis_title = title  # the exported files' title metadata (see figure_title)
    return y, bottom


def figure_title(fig: plt.Figure) -> str:
    """The title :func:`frame` gave the figure ('' if none)."""
    return getattr(fig, "_analysis_title", "")


def place_axes(fig: plt.Figure, top: float, bottom: float, *, left=0.085, right=0.985, xlabel=True):
    """Fit the subplots between ``top`` and ``bottom``, leaving room for tick labels."""
    height = fig.get_figheight()
    label_room = (0.62 if xlabel else 0.42) / height
    titled = any(ax.get_title(loc="left") or ax.get_title() for ax in fig.axes[:1])
    head_room = (0.42 if titled else 0.22) / height  # a panel title, or the marker's label
    fig.subplots_adjust(top=top - head_room, bottom=bottom + label_room, left=left, right=right)


def mark_intervention(ax, when, label: str | None, *, color=None) -> None:
    """A vertical line at ``when``; its label, if any, above the axes (never on the data)."""
    ax.axvline(when, color=color or PALETTE["intervention"], lw=2.2, zorder=1)
    if label:
        lo, hi = ax.get_xlim()
        x = mdates.date2num(when) if isinstance(when, pd.Timestamp) else float(when)
        share = (x - lo) / (hi - lo) if hi > lo else 0.5
        ha = "right" if share > 0.75 else "left" if share < 0.25 else "center"
        ax.annotate(
            plain_text(label),
            xy=(when, 1.0),
            xycoords=("data", "axes fraction"),
            xytext={"right": (4, 3), "left": (-4, 3), "center": (0, 3)}[ha],
            textcoords="offset points",
            ha=ha,
            va="bottom",
            fontsize=11.5,
            color=color or PALETTE["intervention"],
            fontweight="bold",
            annotation_clip=False,
        )


def date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("")


def export(fig: plt.Figure, data: pd.DataFrame, folder: Path | str, stem: str) -> list[Path]:
    """Write ``stem``.png/.svg/.pdf and ``stem``.csv into ``folder``, each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    title = plain_text(figure_title(fig) or stem).replace("\n", " ")
    written = []
    with project_style():
        for fmt in FORMATS:
            dest = folder / f"{stem}.{fmt}"
            with atomic_path(dest) as tmp:
                kwargs: dict = {"format": fmt}
                if fmt == "png":
                    kwargs["dpi"] = PNG_DPI
                    kwargs["metadata"] = {"Title": title, "Software": None}
                    kwargs["pil_kwargs"] = {"compress_level": PNG_COMPRESS_LEVEL}
                elif fmt == "svg":
                    kwargs["metadata"] = {"Title": title, "Date": None, "Creator": None}
                else:
                    kwargs["metadata"] = {"Title": title, "CreationDate": None, "Creator": None}
                fig.savefig(tmp, **kwargs)
            written.append(dest)
    written.append(write_csv_atomic(folder / f"{stem}.csv", data))
    plt.close(fig)
    return written


#: Rate ratios marked on a ratio axis.
RATIO_TICKS = [0.25, 0.5, 1, 2, 4]


def ratio_axis(ax, axis="x"):
    """A log axis of rate ratios labelled as changes (-50%, no change, +100%), with the
    line of no change."""
    setter = ax.set_xscale if axis == "x" else ax.set_yscale
    setter("log")
    ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    ticks(
        RATIO_TICKS,
        [wording.percent(t - 1, signed=True) if t != 1 else "no change" for t in RATIO_TICKS],
    )
    which = ax.xaxis if axis == "x" else ax.yaxis
    which.set_minor_locator(NullLocator())
    which.set_minor_formatter(NullFormatter())
    (ax.axvline if axis == "x" else ax.axhline)(1, color=PALETTE["reference"], lw=1.6)
