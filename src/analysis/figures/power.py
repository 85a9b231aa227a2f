"""When will we know: the chance of detecting the change that matters, over the whole
planning horizon, with where we are now and the target."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from analysis import wording
from analysis.figures.style import FIGSIZE, PALETTE, RunInfo, frame, place_axes, styled
from analysis.interventions import Intervention
from analysis.power import PowerAnalysis
from analysis.verdict import Verdict


@styled
def power_figure(
    power: PowerAnalysis, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """Power against months of data since the intervention; the sentence is the subtitle."""
    data = power.frame()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    target = power.target_power
    ax.axhline(target, color=PALETTE["reference"], ls=":", lw=2)
    matters = wording.percent(power.effect_that_matters)
    ax.plot(
        data["post_months"],
        data["power_effect_that_matters"],
        marker="o",
        color=PALETTE["power_matters"],
        lw=2.6,
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            color=PALETTE["power_matters"],
            lw=2.6,
            label=f"a {matters} drop (the change that matters)",
        ),
    ]
    now = power.current_post_months
    ax.axvline(now, color=PALETTE["intervention"], lw=2.2)
    handles += [
        Line2D(
            [],
            [],
            color=PALETTE["intervention"],
            lw=2.2,
            label=f"now: {wording.plural(now, 'month')} of data",
        ),
        Line2D(
            [],
            [],
            color=PALETTE["reference"],
            ls=":",
            lw=2,
            label=f"target: {wording.percent(target)} chance",
        ),
    ]
    ax.set_xlim(0, max(data["post_months"].max(), now) + 2)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"Months of data {intervention.since}")
    ax.set_ylabel("Chance of detecting it")
    top, bottom = frame(
        fig,
        f"{info.place}: when will we know?",
        verdict.when_we_will_know,
        info,
        legend_handles=handles,
        legend_columns=2,
    )
    place_axes(fig, top, bottom, left=0.09)
    data["verdict"] = verdict.label
    return fig, data
