"""Stage 8, briefing: a one-page PDF for people who will never open a notebook.

Title (the verdict in plain words), the main figure, three plain sentences, when we
will know, the caveats and the source, on one US-letter page drawn with matplotlib.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from analysis.figures import PALETTE, RunInfo, draw_main, plain_text, project_style, styled
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.provenance import atomic_path
from analysis.verdict import Verdict

PAGE = (8.5, 11.0)


def _block(fig, y: float, text: str, *, size: float, width: int, **kw) -> float:
    """Write wrapped ``text`` from height ``y`` (figure fraction) down; return the next y."""
    lines = textwrap.wrap(plain_text(text), width)
    fig.text(0.07, y, "\n".join(lines), ha="left", va="top", fontsize=size, **kw)
    return y - (len(lines) * size * 1.45) / (PAGE[1] * 72) - 0.012


@styled
def build_briefing(
    result: ITSResult,
    verdict: Verdict,
    info: RunInfo,
    intervention: Intervention,
    *,
    caveats: list[str] | None = None,
) -> plt.Figure:
    fig = plt.figure(figsize=PAGE)
    y = 0.965
    y = _block(fig, y, f"{info.place}: {verdict.title}", size=19, width=48, fontweight="bold")
    y = _block(
        fig,
        y,
        f"Briefing on {intervention.topic} · data as of {info.as_of}",
        size=10.5,
        width=95,
        color="#555",
    )
    ax = fig.add_axes([0.1, y - 0.36, 0.86, 0.33])
    draw_main(ax, result, intervention)
    ax.legend(loc="upper left", fontsize=8.5, framealpha=0.9)
    ax.tick_params(labelsize=9.5)
    ax.yaxis.label.set_size(10)
    for t in ax.texts:
        t.set_fontsize(9.5)
    y = y - 0.40
    y = _block(fig, y, "What the data say", size=13, width=80, fontweight="bold")
    for sentence in verdict.sentences[:2]:
        y = _block(fig, y, "• " + sentence, size=11, width=88)
    y = _block(fig, y, "• " + verdict.when_we_will_know, size=11, width=88)
    y -= 0.01
    y = _block(fig, y, "Caveats", size=13, width=80, fontweight="bold")
    for caveat in [verdict.caveat, *(caveats or [])]:
        y = _block(fig, y, "• " + caveat, size=10, width=96)
    y -= 0.01
    rr = verdict.numbers
    method = (
        f"Method: interrupted time-series regression ({result.spec.family}, "
        f"{result.spec.estimator} estimator, {result.n_pre} months before and "
        f"{result.n_post} from {rr['first_post_month']}); the verdict needs "
        f"{verdict.criteria['min_post_months']} months of data and "
        f"{verdict.criteria['target_power']:.0%} power to detect a "
        f"{verdict.criteria['effect_that_matters']:.0%} change. Verdict code: {verdict.label}."
    )
    _block(fig, y, method, size=9, width=110, color="#333")
    fig.text(
        0.07,
        0.02,
        "\n".join(textwrap.wrap(plain_text(info.footnote()), 120)),
        fontsize=8,
        color="#555",
        va="bottom",
    )
    fig.patches.append(
        plt.Rectangle(
            (0.0, 0.995), 1.0, 0.005, transform=fig.transFigure, color=PALETTE["intervention"]
        )
    )
    return fig


def write_briefing_pdf(fig: plt.Figure, dest: Path | str, title: str) -> Path:
    """Write the briefing as a one-page PDF, atomically."""
    dest = Path(dest)
    with project_style(), atomic_path(dest) as tmp, PdfPages(tmp, metadata={"Title": title}) as pdf:
        pdf.savefig(fig)
    plt.close(fig)
    return dest


def count_pdf_pages(path: Path | str) -> int:
    """Pages in a PDF written by matplotlib (its page objects are not compressed)."""
    import re

    data = Path(path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
