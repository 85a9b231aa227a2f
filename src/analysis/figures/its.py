"""The interrupted time-series figures, in the field's conventions (Turner et al. 2021 for
ITS graphs; the three panels a CausalImpact user expects), drawn from a fitted result.

* observed months are points, never joined; the fitted model a bold line; the projection
  without the intervention a dashed line with its band;
* the intervention, and where the registry knows it the window in which it ended, are
  labelled vertical marks; labels sit above the axes and legends in the header, so no label
  covers data;
* every band and error bar says what it is and its level.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis import wording
from analysis.figures.style import (
    FIGSIZE,
    PALETTE,
    RunInfo,
    date_axis,
    frame,
    mark_intervention,
    place_axes,
    plain_text,
    styled,
)
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.verdict import Verdict

END_COLOUR = "#56B4E9"


def _band_words(result: ITSResult) -> tuple[str, str, str]:
    """(column prefix, words, interval kind) of the band drawn around the projection."""
    level = wording.level(result.spec.confidence_level)
    if result.spec.estimator == "forecast":
        return "counterfactual_obs", f"{level} prediction interval of a single month", "prediction"
    return "counterfactual_mean", f"{level} confidence interval of the projection", "confidence"


def _end_handles(intervention: Intervention) -> list:
    """The legend entry of the window in which the intervention was reported to end."""
    if not (intervention.end_earliest or intervention.end_latest):
        return []
    lo = pd.Timestamp(intervention.end_earliest or intervention.end_latest)
    hi = pd.Timestamp(intervention.end_latest or intervention.end_earliest)
    span = f"{wording.day(lo)} to {wording.day(hi)}" if lo != hi else wording.day(lo)
    return [Patch(color=END_COLOUR, alpha=0.45, label=f"reported end: {span}")]


def _mark_window(ax, intervention: Intervention, *, label: bool) -> list:
    """The intervention's start, and the window of its reported end when known; with
    ``label``, the start's label above the axes and the legend entries."""
    mark_intervention(ax, pd.Timestamp(intervention.start), intervention.marker if label else None)
    if intervention.end_earliest or intervention.end_latest:
        lo = pd.Timestamp(intervention.end_earliest or intervention.end_latest)
        hi = pd.Timestamp(intervention.end_latest or intervention.end_earliest)
        ax.axvspan(lo, hi + pd.Timedelta(days=1), color=END_COLOUR, alpha=0.45, lw=0, zorder=0)
    return _end_handles(intervention) if label else []


def draw_observed_and_projection(ax, result: ITSResult, intervention: Intervention):
    """Panel 1: observed points, the model (bold), the projection (dashed) with its band.

    Returns the data drawn and the legend handles."""
    data = result.get_plot_data()
    prefix, band_words, _ = _band_words(result)
    post = data["post"]
    ax.fill_between(
        data.loc[post, "month"],
        data.loc[post, f"{prefix}_lower"],
        data.loc[post, f"{prefix}_upper"],
        color=PALETTE["band"],
        alpha=0.35,
        lw=0,
    )
    ax.plot(
        data.loc[post, "month"],
        data.loc[post, "counterfactual"],
        ls="--",
        lw=2.4,
        color=PALETTE["counterfactual"],
    )
    ax.plot(data["month"], data["fitted"], lw=3, color=PALETTE["fitted"])
    ax.scatter(data["month"], data["observed"], s=20, color=PALETTE["observed"], zorder=3)
    ax.set_ylabel("Homicides a month")
    ax.set_ylim(bottom=0, top=max(data["observed"].max(), data[f"{prefix}_upper"].max()) * 1.08)
    handles = [
        Line2D([], [], marker="o", ls="", color=PALETTE["observed"], label="homicides in a month"),
        Line2D([], [], lw=3, color=PALETTE["fitted"], label="model fitted to the data"),
        Line2D(
            [],
            [],
            ls="--",
            lw=2.4,
            color=PALETTE["counterfactual"],
            label=plain_text(intervention.without),
        ),
        Patch(color=PALETTE["band"], alpha=0.35, label=band_words),
    ]
    data["band_shown"] = f"{band_words} ({prefix}_lower, {prefix}_upper)"
    return data, handles


def draw_later(ax, later: pd.Series | None) -> list:
    """The months after the evaluation window, drawn apart: they are not in the estimate."""
    if later is None or later.empty:
        return []
    ax.scatter(
        later.index, later.to_numpy(), s=16, facecolors="none", edgecolors="#777777", zorder=3
    )
    return [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            mfc="none",
            mec="#777777",
            label="after the evaluation window (not in the estimate)",
        )
    ]


def draw_main(
    ax,
    result: ITSResult,
    intervention: Intervention,
    *,
    legend_columns: int = 2,
    later: pd.Series | None = None,
) -> pd.DataFrame:
    """Panel 1 on ``ax`` with the intervention marked and its legend below the axes (for a
    single panel, e.g. the briefing page); returns the data drawn. ``later``: the observed
    counts after the evaluation window, drawn apart."""
    data, handles = draw_observed_and_projection(ax, result, intervention)
    handles += draw_later(ax, later)
    handles += _mark_window(ax, intervention, label=True)
    date_axis(ax)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0, -0.1),
        ncol=legend_columns,
        frameon=False,
        fontsize=8.5,
    )
    return data


def _draw_monthly(ax, result: ITSResult, effects: pd.DataFrame) -> list:
    """Panel 2: observed minus the model (before) and minus the projection (after)."""
    data = result.get_plot_data()
    pre = ~data["post"]
    level = wording.level(result.spec.confidence_level)
    ax.axhline(0, color=PALETTE["reference"], lw=1.2)
    if result.spec.estimator == "segmented":
        ax.scatter(
            data.loc[pre, "month"],
            (data["observed"] - data["fitted"])[pre],
            s=12,
            color=PALETTE["pre_residual"],
            zorder=2,
        )
    ax.errorbar(
        effects["month"],
        effects["difference"],
        yerr=[
            effects["difference"] - effects["difference_lower"],
            effects["difference_upper"] - effects["difference"],
        ],
        fmt="o",
        ms=4,
        color=PALETTE["observed"],
        ecolor="#9ecae1",
        elinewidth=1.4,
        zorder=3,
    )
    ax.set_ylabel("Homicides")
    ax.set_title("Each month: observed minus projected", loc="left", fontsize=12.5)
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color="#9ecae1",
            mfc=PALETTE["observed"],
            mec=PALETTE["observed"],
            label=f"each month, {level} prediction interval (monthly noise)",
        ),
    ]
    if result.spec.estimator == "segmented":
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                ms=4,
                color=PALETTE["pre_residual"],
                label="before: observed − model",
            )
        )
    return handles


def _draw_cumulative(ax, result: ITSResult, effects: pd.DataFrame) -> list:
    """Panel 3: the running total of observed minus projected, with its interval."""
    level = wording.level(result.spec.confidence_level)
    kind = effects["interval"].iloc[0]
    ax.axhline(0, color=PALETTE["reference"], lw=1.2)
    ax.fill_between(
        effects["month"],
        effects["cumulative_lower"],
        effects["cumulative_upper"],
        color=PALETTE["band"],
        alpha=0.35,
        lw=0,
    )
    ax.plot(effects["month"], effects["cumulative"], color=PALETTE["counterfactual"], lw=2.6)
    ax.set_ylabel("Homicides")
    ax.set_title("Running total: observed minus projected", loc="left", fontsize=12.5)
    return [
        Line2D([], [], lw=2.6, color=PALETTE["counterfactual"], label="running total"),
        Patch(
            color=PALETTE["band"],
            alpha=0.35,
            label=f"{level} {kind} interval of the total",
        ),
    ]


def _stack(n: int, heights: list[float], figsize) -> tuple[plt.Figure, list]:
    fig = plt.figure(figsize=figsize)
    grid = fig.add_gridspec(n, 1, height_ratios=heights, hspace=0.32)
    axes = [fig.add_subplot(grid[0])]
    axes += [fig.add_subplot(grid[i], sharex=axes[0]) for i in range(1, n)]
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    return fig, axes


@styled
def main_figure(
    result: ITSResult,
    verdict: Verdict,
    info: RunInfo,
    intervention: Intervention,
    *,
    later: pd.Series | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """The briefing's figure: three panels on one time axis; the verdict is the title and
    the number that supports it the subtitle. ``later``: the observed counts after the
    evaluation window (drawn apart in the first panel)."""
    effects = result.effect_frame()
    fig, (ax1, ax2, ax3) = _stack(3, [2.3, 1, 1.1], (11, 9.6))
    data, handles = draw_observed_and_projection(ax1, result, intervention)
    handles += draw_later(ax1, later)
    handles += _mark_window(ax1, intervention, label=True)
    for ax in (ax2, ax3):
        _mark_window(ax, intervention, label=False)
    handles += _draw_monthly(ax2, result, effects)
    handles += _draw_cumulative(ax3, result, effects)
    date_axis(ax3)
    top, bottom = frame(
        fig,
        f"{info.place}: {verdict.title}",
        verdict.subtitle,
        info,
        legend_handles=handles,
        legend_columns=2,
    )
    place_axes(fig, top, bottom, left=0.1)
    data = data.merge(
        effects.drop(columns=["observed", "counterfactual", "confidence_level"]),
        on="month",
        how="left",
    )
    data["verdict"] = verdict.label
    return fig, data


@styled
def effect_figure(
    result: ITSResult, verdict: Verdict, info: RunInfo, intervention: Intervention | None = None
) -> tuple[plt.Figure, pd.DataFrame]:
    """Homicides above or below the projection: each month and the running total, on the
    main figure's time axis, with the verdict's interval kind and level stated."""
    intervention = intervention or Intervention(start=result.spec.intervention)
    effects = result.effect_frame()
    fig, (ax1, ax2) = _stack(2, [1, 1.1], (11, 7.2))
    handles = _draw_monthly(ax1, result, effects)
    handles += _draw_cumulative(ax2, result, effects)
    _mark_window(ax1, intervention, label=False)
    _mark_window(ax2, intervention, label=False)
    handles.append(
        Line2D([], [], color=PALETTE["intervention"], lw=2.2, label=plain_text(intervention.marker))
    )
    handles += _end_handles(intervention)
    ax1.set_xlim(
        result.months[0] - pd.Timedelta(days=20), result.months[-1] + pd.Timedelta(days=20)
    )
    date_axis(ax2)
    final = effects.iloc[-1]
    rr = result.rate_ratio
    level = wording.level(result.spec.confidence_level)
    title = f"{info.place}: {verdict.title}"
    subtitle = (
        f"Running total over {wording.plural(len(effects), 'month')}: "
        f"{wording.count(final['cumulative'])} ({level} {final['interval']} interval "
        f"{wording.count(final['cumulative_lower'])} to {wording.count(final['cumulative_upper'])}"
        f"); rate ratio {rr['estimate']:.2f} ({rr['lower']:.2f} to {rr['upper']:.2f}), "
        f"{wording.p_value(rr['p_value'])}."
    )
    top, bottom = frame(fig, title, subtitle, info, legend_handles=handles, legend_columns=2)
    place_axes(fig, top, bottom, left=0.1)
    effects["verdict"] = verdict.label
    return fig, effects


@styled
def fit_figure(
    result: ITSResult, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """The modelling notebook's figure: observed, fitted and counterfactual (no verdict)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    data, handles = draw_observed_and_projection(ax, result, intervention)
    handles += _mark_window(ax, intervention, label=True)
    date_axis(ax)
    rr = result.rate_ratio
    spec = result.spec
    subtitle = (
        f"{spec.estimator} estimator, {spec.family}, seasonality {spec.seasonality}; "
        f"post-period rate ratio {rr['estimate']:.2f} ({wording.level(spec.confidence_level)} "
        f"{rr['interval']} interval {rr['lower']:.2f} to {rr['upper']:.2f}; "
        f"{wording.p_value(rr['p_value'])})."
    )
    top, bottom = frame(
        fig,
        f"{info.place}: observed, model and projection",
        subtitle,
        info,
        legend_handles=handles,
        legend_columns=3,
    )
    place_axes(fig, top, bottom)
    return fig, data
