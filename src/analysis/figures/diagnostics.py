"""Figures before and beside the model: the monthly counts, and residual diagnostics."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis import diagnostics as diag
from analysis import wording
from analysis.figures.style import (
    FIGSIZE,
    PALETTE,
    RunInfo,
    date_axis,
    frame,
    mark_intervention,
    place_axes,
    styled,
)
from analysis.interventions import Intervention
from analysis.models import ITSResult


@styled
def descriptive_figure(
    monthly: pd.DataFrame, place: str, intervention: Intervention, info: RunInfo | None = None
) -> tuple[plt.Figure, pd.DataFrame]:
    """Monthly homicides of one city with the intervention marked (no model)."""
    data = monthly[["month", "status", "victims", "victims_partial"]].copy()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    complete = data[data["status"] == "complete"]
    ax.bar(complete["month"], complete["victims"].astype(float), width=25, color="#56B4E9")
    handles = [Patch(color="#56B4E9", label="homicide victims in a complete month")]
    partial = data[data["status"] == "incomplete"]
    if not partial.empty:
        ax.bar(
            partial["month"],
            partial["victims_partial"].astype(float),
            width=25,
            color="white",
            edgecolor="#999",
            hatch="//",
        )
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="#999",
                hatch="//",
                label="month not yet complete (not used)",
            )
        )
    mark_intervention(ax, pd.Timestamp(intervention.start), intervention.marker)
    ax.set_ylabel("Homicide victims a month")
    date_axis(ax)
    total = int(complete["victims"].sum())
    subtitle = (
        f"{wording.plural(total, 'victim')} in {wording.plural(len(complete), 'complete month')}, "
        f"{wording.month(complete['month'].min())} to {wording.month(complete['month'].max())}."
    )
    top, bottom = frame(
        fig,
        f"Homicides in {place}, by month",
        subtitle,
        info,
        legend_handles=handles,
        legend_columns=2,
    )
    place_axes(fig, top, bottom)
    return fig, data


@styled
def diagnostics_figure(result: ITSResult, info: RunInfo) -> tuple[plt.Figure, pd.DataFrame]:
    """For researchers: Pearson residuals over time and their autocorrelation."""
    n_fit = len(result.fit.pearson)
    months = result.months[:n_fit]
    resid = result.fit.pearson
    acf = diag.residual_acf(resid, min(24, n_fit - 1))
    z = result.spec.z  # the band at the project's confidence level
    bound = z / np.sqrt(n_fit)
    data = pd.DataFrame({"month": months, "pearson_residual": resid})
    acf_data = pd.DataFrame({"lag": np.arange(1, len(acf) + 1), "acf": acf, "bound": bound})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=FIGSIZE, gridspec_kw={"width_ratios": [3, 2]})
    ax1.axhline(0, color=PALETTE["reference"], lw=1.2)
    ax1.scatter(months, resid, s=18, color=PALETTE["fitted"])
    if result.spec.estimator == "segmented":
        ax1.axvline(result.first_post_month, color=PALETTE["intervention"], lw=2)
    ax1.set_ylabel("Pearson residual")
    ax1.set_title("Residuals over time", fontsize=14)
    date_axis(ax1)
    ax2.bar(acf_data["lag"], acf_data["acf"], color=PALETTE["fitted"], width=0.6)
    ax2.axhline(bound, color=PALETTE["counterfactual"], ls="--", lw=1.5)
    ax2.axhline(-bound, color=PALETTE["counterfactual"], ls="--", lw=1.5)
    ax2.set_xlabel("Lag (months)")
    ax2.set_title("Autocorrelation", fontsize=14)
    d = result.diagnostics
    level = wording.level(result.spec.confidence_level)
    subtitle = (
        f"Dispersion {d['dispersion']:.2f}; Ljung-Box (lag {d['ljung_box']['lag']}) "
        f"{wording.p_value(d['ljung_box']['p_value'])}; Breusch-Godfrey "
        f"{wording.p_value(d['breusch_godfrey']['p_value'])} (pre-test at "
        f"{wording.level(d['alpha'])}); errors: {result.fit.cov_label}."
    )
    handles = [
        Line2D(
            [],
            [],
            color=PALETTE["counterfactual"],
            ls="--",
            lw=1.5,
            label=f"±{z:.2f}/√n: {level} band for no autocorrelation",
        ),
    ]
    if result.spec.estimator == "segmented":
        handles.append(
            Line2D([], [], color=PALETTE["intervention"], lw=2, label="first month after the start")
        )
    top, bottom = frame(
        fig,
        f"{info.place}: model diagnostics",
        subtitle,
        info,
        legend_handles=handles,
        legend_columns=2,
    )
    place_axes(fig, top, bottom)
    fig.subplots_adjust(wspace=0.25)
    data = data.merge(acf_data, how="outer", left_index=True, right_index=True)
    return fig, data
