"""The timeline of knowledge: what could honestly be said on each date."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis import wording
from analysis.figures.style import (
    PALETTE,
    RunInfo,
    date_axis,
    frame,
    place_axes,
    ratio_axis,
    styled,
)
from analysis.interventions import Intervention

#: One colour per verdict label (colour-blind safe), and the words of the legend.
VERDICT_COLORS = {
    "significant_drop": "#0072B2",
    "significant_rise": "#D55E00",
    "no_detectable_change": "#009E73",
    "too_early": "#E69F00",
    "cannot_tell": "#999999",
}
VERDICT_WORDS = {
    "significant_drop": "significant drop",
    "significant_rise": "significant rise",
    "no_detectable_change": "no detectable change",
    "too_early": "still too early",
    "cannot_tell": "cannot tell",
}


@styled
def timeline_figure(
    table: pd.DataFrame, summary: dict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """Top: the estimate over every post month so far, with its 95% interval, against the
    as-of date, coloured by the plain rule's label at that look. Bottom: three rows of
    verdicts per date (the run's pre-declared window, the plain monthly look, monitoring)."""
    data = table.copy()
    data["date"] = pd.to_datetime(data["as_of"])
    fig, (ax, strip) = plt.subplots(2, 1, figsize=(11, 8.2), sharex=True, height_ratios=[2.4, 1])
    ok = data["growing_rate_ratio"].notna() if "growing_rate_ratio" in data else data["date"] < 0
    for label, color in VERDICT_COLORS.items():
        d = data[ok & (data["per_look_label"] == label)]
        if d.empty:
            continue
        ax.errorbar(
            d["date"],
            d["growing_rate_ratio"],
            yerr=[
                d["growing_rate_ratio"] - d["growing_lower"],
                d["growing_upper"] - d["growing_rate_ratio"],
            ],
            fmt="o",
            color=color,
            ecolor=color,
            ms=5,
            lw=1.4,
        )
    ratio_axis(ax, "y")
    ax.set_ylabel("Change since the start, 95% interval")
    ax.set_title(
        "The estimate over every month so far, as known on each date", loc="left", fontsize=12
    )
    rows = [
        ("label", "pre-declared window"),
        ("per_look_label", "monthly look, 95%"),
        ("monitoring_label", "monitoring"),
    ]
    for i, (column, _) in enumerate(rows):
        colors = [VERDICT_COLORS.get(x, "#FFFFFF") for x in data[column]]
        strip.scatter(data["date"], np.full(len(data), -i), c=colors, marker="s", s=55)
        hatched = data[
            (data[column].str.startswith("significant"))
            & (column == "label")
            & data["qualified"].astype(bool)
        ]
        if len(hatched):
            strip.scatter(
                hatched["date"], np.full(len(hatched), -i), marker="x", s=30, color="white", lw=1.2
            )
    strip.set_yticks([0, -1, -2], [words for _, words in rows], fontsize=10)
    strip.set_ylim(-2.6, 0.6)
    strip.grid(False, axis="y")
    marks = [(intervention.start, intervention.marker)] + list(intervention.milestones)
    handles = []
    for k, (day, label) in enumerate(marks):
        color = (
            PALETTE["intervention"] if k == 0 else ["#CC79A7", "#56B4E9", "#F0E442"][(k - 1) % 3]
        )
        for a in (ax, strip):
            a.axvline(pd.Timestamp(day), color=color, lw=2, ls="-" if k == 0 else "--")
        handles.append(
            Line2D(
                [],
                [],
                color=color,
                lw=2,
                ls="-" if k == 0 else "--",
                label=f"{pd.Timestamp(day):%-d %b %Y}: {label}",
            )
        )
    first = summary.get("first_conclusive")
    if first:
        for a in (ax, strip):
            a.axvline(pd.Timestamp(first), color="#000000", lw=1.6, ls=":")
        handles.append(
            Line2D(
                [],
                [],
                color="#000000",
                lw=1.6,
                ls=":",
                label=f"first conclusive verdict: {pd.Timestamp(first):%B %Y}",
            )
        )
    handles += [
        Patch(color=c, label=VERDICT_WORDS[k])
        for k, c in VERDICT_COLORS.items()
        if (data[[r for r, _ in rows]] == k).any().any()
    ]
    if data["qualified"].astype(bool).any():
        handles.append(
            Line2D(
                [],
                [],
                marker="x",
                ls="",
                color="#555555",
                label="qualified: the checks do not confirm it",
            )
        )
    date_axis(strip)
    mon = summary.get("first_conclusive_monitoring")
    per_look = summary.get("first_conclusive_per_look")
    qualified = ""
    if first and not summary.get("first_conclusive_unqualified"):
        qualified = " (qualified throughout: the checks do not confirm it)"
    subtitle = (
        f"With the pre-declared window the first conclusive verdict came on {_day(first)}"
        f"{qualified}; "
        f"looking every month at 95% on {_day(per_look)}; with the monitoring boundary on "
        f"{_day(mon)}. {summary['note']}"
    )
    top, bottom = frame(
        fig,
        f"{info.place}: what could be said, date by date",
        subtitle,
        info,
        legend_handles=handles,
        legend_columns=2,
    )
    place_axes(fig, top, bottom, left=0.17)
    return fig, data.drop(columns=["date"])


def _day(value) -> str:
    return "no date in the range" if not value else wording.day(value)
