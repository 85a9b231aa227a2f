"""The robustness figures: every estimate in one forest plot, the real estimate against
its placebos in time and in space, and the event study against the comparison cities."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from analysis import wording
from analysis.figures.style import (
    FIGSIZE,
    PALETTE,
    RunInfo,
    date_axis,
    frame,
    place_axes,
    ratio_axis,
    styled,
)
from analysis.interventions import Intervention
from analysis.robustness import Robustness
from analysis.verdict import Verdict


@styled
def forest_figure(
    rb: Robustness, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """Every estimate with its interval, the verdict's own highlighted."""
    n = verdict.numbers
    data = rb.forest(
        {
            "estimate": n["rate_ratio"],
            "lower": n["rate_ratio_lower"],
            "upper": n["rate_ratio_upper"],
        }
    )
    rows = len(data)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 3.2 + 0.3 * rows))
    y = np.arange(rows)[::-1]
    for yi, (_, r) in zip(y, data.iterrows(), strict=True):
        color = PALETTE["fitted"] if r["primary"] else "#333333"
        if np.isfinite(r["lower"]):
            ax.plot([r["lower"], r["upper"]], [yi, yi], color=color, lw=3 if r["primary"] else 1.8)
        ax.plot(
            r["estimate"],
            yi,
            "o" if np.isfinite(r["lower"]) else "D",
            color=color,
            ms=9 if r["primary"] else 6,
        )
    labels = [f"{m}: {lab}" for m, lab in zip(data["method"], data["label"], strict=True)]
    ax.set_yticks(y, labels, fontsize=10)
    for tick, primary in zip(ax.get_yticklabels(), data["primary"], strict=True):
        if primary:
            tick.set_fontweight("bold")
    ratio_axis(ax)
    lo = np.nanmin(np.r_[data["lower"].to_numpy(dtype=float), data["estimate"]])
    hi = np.nanmax(np.r_[data["upper"].to_numpy(dtype=float), data["estimate"]])
    ax.set_xlim(min(0.2, lo * 0.9), max(2.2, hi * 1.1))
    ax.set_xlabel(
        f"Change in homicides, with its {wording.level(verdict.numbers['confidence_level'])} "
        "confidence interval"
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            color=PALETTE["fitted"],
            lw=3,
            ms=9,
            label="the verdict's estimate (first year)",
        ),
        Line2D([], [], marker="o", color="#333333", lw=1.8, label="other estimates"),
        Line2D(
            [],
            [],
            marker="D",
            ls="",
            color="#333333",
            label="synthetic control (judged by placebos, no interval)",
        ),
    ]
    subtitle = verdict.qualifier or (
        "Every check agrees with the verdict."
        if verdict.robust
        else "Each row changes one choice; the verdict's estimate is the first row."
    )
    top, bottom = frame(
        fig,
        f"{info.place}: every estimate, side by side",
        subtitle,
        info,
        legend_handles=handles,
        legend_columns=3,
    )
    place_axes(fig, top, bottom, left=0.43)
    return fig, data


@styled
def placebo_figure(
    rb: Robustness, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """Left: the estimate at every fake start date in the city's past, and the real one.
    Right: post/pre fit ratios of the synthetic control, the city against each donor."""
    fig, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE, width_ratios=[2, 1])
    real = verdict.numbers["rate_ratio"]
    pt = rb.placebo_time
    if not pt.empty:
        fired = (pt["upper"] < 1) | (pt["lower"] > 1)
        left.errorbar(
            pt["start"],
            pt["estimate"],
            yerr=[pt["estimate"] - pt["lower"], pt["upper"] - pt["estimate"]],
            fmt="none",
            ecolor="#BBBBBB",
            lw=1.2,
        )
        left.plot(pt["start"][~fired], pt["estimate"][~fired], "o", color="#777777", ms=6)
        left.plot(
            pt["start"][fired], pt["estimate"][fired], "o", color=PALETTE["counterfactual"], ms=7
        )
        date_axis(left)
    left.axhline(real, color=PALETTE["fitted"], lw=2.6)
    ratio_axis(left, "y")
    left.set_title("Fake start dates in the city's past", loc="left", fontsize=12)
    left.set_ylabel("Estimated change over a year")
    space = rb.synthetic["placebo_in_space"] if rb.synthetic else pd.DataFrame()
    if not space.empty:
        colors = [PALETTE["fitted"] if t else "#777777" for t in space["treated"]]
        right.barh(space["city"], space["ratio"], color=colors)
        right.invert_yaxis()
        right.set_xlabel("Post/pre fit ratio")
    else:
        right.text(
            0.5, 0.5, "no comparison city", ha="center", va="center", transform=right.transAxes
        )
        right.set_xticks([])
        right.set_yticks([])
    right.set_title("Each city treated as if", loc="left", fontsize=12)
    share = rb.false_alarm_plain
    subtitle = (
        f"At {wording.percent(share)} of {len(pt)} fake start dates the simple rule would have "
        f"reported a change (orange); {wording.percent(rb.placebo_rank_p_value)} of the "
        "estimates (the real one counted) are at least as far from no change, in either "
        "direction, as the real one (blue line)."
        if not pt.empty
        else "Too short a history for fake start dates."
    )
    if rb.synthetic:
        sc = rb.synthetic
        subtitle += (
            f" Against its comparison cities the placebo-in-space p-value is "
            f"{sc['p_value']:.2f} (the smallest possible with {sc['placebo_units']} donors: "
            f"{sc['smallest_p_value']:.2f})."
        )
    handles = [
        Line2D([], [], color=PALETTE["fitted"], lw=2.6, label="the real estimate / city"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=PALETTE["counterfactual"],
            label="fake date: simple rule fired",
        ),
        Line2D([], [], marker="o", ls="", color="#777777", label="fake date: no change found"),
    ]
    top, bottom = frame(
        fig, f"{info.place}: is the change unusual?", subtitle, info, legend_handles=handles
    )
    place_axes(fig, top, bottom, left=0.15)
    fig.subplots_adjust(wspace=0.35)
    data = pt.assign(kind="time") if not pt.empty else pd.DataFrame()
    return fig, pd.concat([data, space.assign(kind="space")], ignore_index=True)


@styled
def event_study_figure(
    rb: Robustness, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """The treated city over the comparison cities, by quarter, against the reference."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    es = rb.event_study if rb.event_study is not None else pd.DataFrame()
    if not es.empty:
        for post, color in ((False, "#777777"), (True, PALETTE["fitted"])):
            d = es[es["post"] == post]
            ax.errorbar(
                d["start"],
                d["estimate"],
                yerr=[d["estimate"] - d["lower"], d["upper"] - d["estimate"]],
                fmt="o",
                color=color,
                ecolor=color,
                lw=1.6,
                ms=6,
            )
        ax.axvline(pd.Timestamp(intervention.start), color=PALETTE["intervention"], lw=2.2)
        date_axis(ax)
    ratio_axis(ax, "y")
    ax.set_ylabel(f"{info.place} against comparison cities")
    cities = ", ".join(rb.eligible_controls) or "none eligible"
    subtitle = (
        f"Each point is a quarter: {info.place}'s homicides relative to the comparison cities "
        f"({cities}), against the earlier years; a difference that opened at the start and "
        "stayed would show as blue points below the line."
    )
    handles = [
        Line2D([], [], marker="o", color="#777777", label="before"),
        Line2D([], [], marker="o", color=PALETTE["fitted"], label="after"),
        Line2D([], [], color=PALETTE["intervention"], lw=2.2, label=intervention.marker),
    ]
    top, bottom = frame(
        fig,
        f"{info.place} against comparison cities, quarter by quarter",
        subtitle,
        info,
        legend_handles=handles,
    )
    place_axes(fig, top, bottom, left=0.15)
    return fig, es
