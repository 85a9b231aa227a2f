"""Stage 7, figures: drawn from an analysis outcome, one style, the verdict as the title,
the data saved beside every figure.

Every figure function returns ``(fig, data)``: the matplotlib figure and the DataFrame
drawn in it. :func:`export` writes PNG (200 dpi), SVG and PDF plus the CSV of the data,
each atomically.

* :mod:`~analysis.figures.style`: palette, style, the measured frame, export;
* :mod:`~analysis.figures.its`: the main three-panel figure, the effect figure, the fit;
* :mod:`~analysis.figures.power`: when will we know;
* :mod:`~analysis.figures.diagnostics`: the monthly counts and residual diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.figures.diagnostics import descriptive_figure, diagnostics_figure
from analysis.figures.its import draw_main, effect_figure, fit_figure, main_figure
from analysis.figures.power import power_figure
from analysis.figures.robustness import event_study_figure, forest_figure, placebo_figure
from analysis.figures.style import (
    FIGSIZE,
    FORMATS,
    PALETTE,
    PNG_DPI,
    RunInfo,
    export,
    plain_text,
    project_style,
    styled,
)

if TYPE_CHECKING:
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.core import Outcome


def plot(outcome: Outcome, kind: str = "main", info: RunInfo | None = None):
    """Draw one figure of an outcome live (for a notebook): ``(fig, axes)``.

    ``kind``: main, effect, power, fit, diagnostics, descriptive and, when the robustness
    checks ran, forest, placebo or event_study. The numbers behind it
    are ``outcome.result.get_plot_data()`` / ``effect_frame()`` / ``outcome.power.frame()``.
    """
    info = info or RunInfo(
        outcome.city,
        outcome.request.as_of,
        "live (not exported)",
        outcome.input_sha256 or "-",
        data_through=f"{outcome.data_through:%Y-%m}",
    )
    o = outcome
    makers = {
        "main": lambda: main_figure(
            o.result, o.verdict, info, o.intervention, later=o.after_window
        ),
        "effect": lambda: effect_figure(o.result, o.verdict, info, o.intervention),
        "power": lambda: power_figure(o.power, o.verdict, info, o.intervention),
        "fit": lambda: fit_figure(o.result, info, o.intervention),
        "diagnostics": lambda: diagnostics_figure(o.result, info),
        "descriptive": lambda: descriptive_figure(o.monthly, o.city, o.intervention, info),
        **_robustness_makers(o, info),
    }
    if kind not in makers:
        raise ValueError(f"kind={kind!r}: choose one of {sorted(makers)}")
    fig, _ = makers[kind]()
    return fig, fig.axes


def model_figures(outcome: Outcome, info: RunInfo) -> dict[str, tuple[plt.Figure, pd.DataFrame]]:
    """The modelling notebook's figures, drawn from an outcome: fit and diagnostics."""
    return {
        "fit": fit_figure(outcome.result, info, outcome.intervention),
        "diagnostics": diagnostics_figure(outcome.result, info),
    }


def _robustness_makers(o: Outcome, info: RunInfo) -> dict:
    if o.robustness is None:
        return {}
    args = (o.robustness, o.verdict, info, o.intervention)
    makers = {
        "forest": lambda: forest_figure(*args),
        "placebo": lambda: placebo_figure(*args),
    }
    if o.robustness.event_study is not None:
        makers["event_study"] = lambda: event_study_figure(*args)
    return makers


def briefing_figures(outcome: Outcome, info: RunInfo) -> dict[str, tuple[plt.Figure, pd.DataFrame]]:
    """The briefing's figures, drawn from an outcome: main, effect, power and, when the
    robustness checks ran, the forest, placebo and event-study figures."""
    o = outcome
    figures = {
        "main": main_figure(o.result, o.verdict, info, o.intervention, later=o.after_window),
        "effect": effect_figure(o.result, o.verdict, info, o.intervention),
        "power": power_figure(o.power, o.verdict, info, o.intervention),
    }
    figures.update({k: make() for k, make in _robustness_makers(o, info).items()})
    return figures


__all__ = [
    "FIGSIZE",
    "FORMATS",
    "PALETTE",
    "PNG_DPI",
    "RunInfo",
    "briefing_figures",
    "descriptive_figure",
    "diagnostics_figure",
    "draw_main",
    "effect_figure",
    "event_study_figure",
    "forest_figure",
    "export",
    "fit_figure",
    "main_figure",
    "model_figures",
    "plot",
    "placebo_figure",
    "plain_text",
    "power_figure",
    "project_style",
    "styled",
]
