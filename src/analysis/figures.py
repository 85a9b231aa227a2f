"""Stage 7, figures: one style, the verdict as the title, the data saved beside every figure.

Every figure function returns ``(fig, data)``: the matplotlib figure and the DataFrame
drawn in it. :func:`export` writes PNG (200 dpi), SVG and PDF plus the CSV of the data,
each atomically, under names built from the run's parameters.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies);
sizes are chosen to stay legible when a figure is shrunk onto a slide.
"""

from __future__ import annotations

import contextlib
import functools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis import diagnostics as diag
from analysis.interventions import Intervention
from analysis.models import ITSResult
from analysis.power import PowerAnalysis
from analysis.provenance import atomic_path, write_csv_atomic
from analysis.verdict import Verdict, months

if TYPE_CHECKING:
    from analysis.core import Outcome

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = {
    "observed": "#000000",
    "fitted": "#0072B2",
    "counterfactual": "#D55E00",
    "band": "#E69F00",
    "post": "#F0F0F0",
    "intervention": "#009E73",
    "power_matters": "#0072B2",
    "power_estimated": "#CC79A7",
    "reference": "#999999",
}
FORMATS = ("png", "svg", "pdf")
PNG_DPI = 200
FIGSIZE = (11, 6.2)


def _style_rc() -> dict:
    """The one style of the project: seaborn's "talk" context and white grid, large type,
    Okabe-Ito colours, as matplotlib rc settings."""
    rc = {**sns.plotting_context("talk"), **sns.axes_style("whitegrid")}
    rc.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE.values())),
            "figure.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": 20,
            "axes.labelsize": 15,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "legend.fontsize": 12,
            "svg.fonttype": "none",  # text stays text in SVG: searchable, editable
            "pdf.fonttype": 42,
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


@dataclass(frozen=True)
class RunInfo:
    """What the footnote of a figure says: where the numbers come from."""

    place: str
    as_of: str
    run_date: str
    input_sha256: str
    code_version: str = ""
    source: str = "The Washington Post homicide data (CC BY-NC-SA 4.0)"

    def footnote(self) -> str:
        code = f" · code {self.code_version[:8]}" if self.code_version else ""
        return (
            f"Source: {self.source}. Data as of {self.as_of} · run {self.run_date} · "
            f"input sha256 {self.input_sha256[:12]}{code}"
        )


def plain_text(text: str) -> str:
    """Text shown as it is: a '$' from data must not start matplotlib's mathtext."""
    return str(text).replace("$", r"\$")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(plain_text(text), width))


def _frame_figure(fig, title: str, subtitle: str, info: RunInfo | None) -> None:
    fig.suptitle(_wrap(title, 70), x=0.02, y=0.985, ha="left", fontsize=21, fontweight="bold")
    if subtitle:
        fig.text(0.02, 0.905, _wrap(subtitle, 108), ha="left", va="top", fontsize=12.5)
    if info is not None:
        footnote = plain_text(info.footnote())
        fig.text(0.02, 0.012, footnote, ha="left", va="bottom", fontsize=9, color="#555")


def _mark_intervention(ax, when, label: str) -> None:
    """A labelled vertical line; the label goes left of the line near the right edge."""
    ax.axvline(when, color=PALETTE["intervention"], lw=2.2)
    lo, hi = ax.get_xlim()
    x = mdates.date2num(when) if isinstance(when, pd.Timestamp) else float(when)
    right_side = (x - lo) / (hi - lo) < 0.7 if hi > lo else True
    ax.annotate(
        plain_text(label),
        xy=(when, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(6 if right_side else -6, -6),
        textcoords="offset points",
        ha="left" if right_side else "right",
        va="top",
        fontsize=12,
        color=PALETTE["intervention"],
        fontweight="bold",
    )


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("")


@styled
def descriptive_figure(
    monthly: pd.DataFrame, place: str, intervention: Intervention, info: RunInfo | None = None
) -> tuple[plt.Figure, pd.DataFrame]:
    """Monthly homicides of one city with the intervention marked (no model)."""
    data = monthly[["month", "status", "victims", "victims_partial"]].copy()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    complete = data[data["status"] == "complete"]
    ax.bar(complete["month"], complete["victims"].astype(float), width=25, color="#56B4E9")
    partial = data[data["status"] == "incomplete"]
    if not partial.empty:
        ax.bar(
            partial["month"],
            partial["victims_partial"].astype(float),
            width=25,
            color="white",
            edgecolor="#999",
            hatch="//",
            label="month not yet complete (not used)",
        )
        ax.legend(loc="upper left")
    _mark_intervention(ax, pd.Timestamp(intervention.start), intervention.marker)
    ax.set_ylabel("Homicide victims per month")
    _date_axis(ax)
    total = int(complete["victims"].sum())
    _frame_figure(
        fig,
        f"Homicides in {place}, by month",
        f"{total} victims in {len(complete)} complete months, "
        f"{complete['month'].min():%B %Y} to {complete['month'].max():%B %Y}.",
        info,
    )
    fig.subplots_adjust(top=0.83, bottom=0.1, left=0.08, right=0.98)
    return fig, data


def draw_main(ax, result: ITSResult, intervention: Intervention) -> pd.DataFrame:
    """Observed points, fitted line, counterfactual with its band, shaded post period."""
    data = result.get_plot_data()
    post_start = result.first_post_month
    ax.axvspan(post_start, data["month"].iloc[-1] + pd.Timedelta(days=20), color=PALETTE["post"])
    forecast = result.spec.estimator == "forecast"
    lo_col = "counterfactual_obs_lower" if forecast else "counterfactual_mean_lower"
    hi_col = "counterfactual_obs_upper" if forecast else "counterfactual_mean_upper"
    post = data["post"]
    level = f"{result.spec.confidence_level:.0%}"
    band_name = "prediction interval" if forecast else "confidence interval"
    ax.fill_between(
        data.loc[post, "month"],
        data.loc[post, lo_col],
        data.loc[post, hi_col],
        color=PALETTE["band"],
        alpha=0.35,
        lw=0,
        label=f"{level} {band_name} of the projection",
    )
    ax.plot(
        data.loc[post, "month"],
        data.loc[post, "counterfactual"],
        ls="--",
        lw=2.4,
        color=PALETTE["counterfactual"],
        label=plain_text(intervention.without),
    )
    ax.plot(data["month"], data["fitted"], lw=2.4, color=PALETTE["fitted"], label="model")
    ax.scatter(
        data["month"],
        data["observed"],
        s=22,
        color=PALETTE["observed"],
        zorder=3,
        label="homicides in the month",
    )
    _mark_intervention(ax, post_start, intervention.marker)
    ax.set_ylabel("Homicide victims per month")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.93), frameon=True, framealpha=0.9)
    data["band_shown"] = f"{level} {band_name} ({lo_col}, {hi_col})"
    return data


@styled
def main_figure(
    result: ITSResult, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """The briefing figure: the verdict as the title, the supporting number below."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    data = draw_main(ax, result, intervention)
    _frame_figure(fig, f"{info.place}: {verdict.title}", verdict.headline, info)
    fig.subplots_adjust(top=0.80, bottom=0.1, left=0.08, right=0.98)
    data["verdict"] = verdict.label
    return fig, data


@styled
def effect_figure(
    result: ITSResult, verdict: Verdict, info: RunInfo
) -> tuple[plt.Figure, pd.DataFrame]:
    """Monthly and cumulative observed-minus-projection differences with their intervals."""
    data = result.effect_frame()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=FIGSIZE)
    level = f"{result.spec.confidence_level:.0%}"
    kind = data["interval"].iloc[0]
    ax1.axhline(0, color=PALETTE["reference"], lw=1.2)
    ax1.errorbar(
        data["month"],
        data["difference"],
        yerr=[
            data["difference"] - data["difference_lower"],
            data["difference_upper"] - data["difference"],
        ],
        fmt="o",
        ms=4,
        color=PALETTE["fitted"],
        ecolor="#9ecae1",
        elinewidth=1.2,
    )
    ax1.set_title("Each month", fontsize=15)
    ax1.set_ylabel("Homicides above (+) or below (−)\nthe projection")
    ax2.axhline(0, color=PALETTE["reference"], lw=1.2)
    ax2.fill_between(
        data["month"],
        data["cumulative_lower"],
        data["cumulative_upper"],
        color=PALETTE["band"],
        alpha=0.35,
        lw=0,
        label=f"{level} {kind} interval",
    )
    ax2.plot(
        data["month"],
        data["cumulative"],
        color=PALETTE["counterfactual"],
        lw=2.4,
        label="running total",
    )
    ax2.set_title("Running total", fontsize=15)
    ax2.legend(loc="lower left")
    for ax in (ax1, ax2):
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    final = data.iloc[-1]
    word = "fewer" if final["cumulative"] < 0 else "more"
    title = f"{info.place}: about {abs(final['cumulative']):.0f} {word} homicides than projected"
    subtitle = (
        f"{verdict.title}. Running total over {months(len(data))}: "
        f"{final['cumulative']:+.0f} ({level} {kind} interval {final['cumulative_lower']:+.0f} "
        f"to {final['cumulative_upper']:+.0f})."
    )
    _frame_figure(fig, title, subtitle, info)
    fig.subplots_adjust(top=0.78, bottom=0.12, left=0.1, right=0.98, wspace=0.3)
    data["verdict"] = verdict.label
    return fig, data


@styled
def power_figure(
    power: PowerAnalysis, verdict: Verdict, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """When will we know: power against months of post-intervention data."""
    data = power.frame()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.axhline(power.target_power, color=PALETTE["reference"], ls=":", lw=2)
    ax.annotate(
        f"{power.target_power:.0%} power",
        xy=(data["post_months"].max(), power.target_power),
        xytext=(0, 5),
        textcoords="offset points",
        ha="right",
        fontsize=12,
        color="#555",
    )
    ax.plot(
        data["post_months"],
        data["power_effect_that_matters"],
        marker="o",
        color=PALETTE["power_matters"],
        lw=2.4,
        label=f"a {power.effect_that_matters:.0%} drop (the change that matters)",
    )
    if np.isfinite(data["power_estimated_effect"]).any():
        est = power.estimated_effect
        ax.plot(
            data["post_months"],
            data["power_estimated_effect"],
            marker="s",
            color=PALETTE["power_estimated"],
            lw=2.4,
            ls="--",
            label=f"a {abs(est):.0%} {'drop' if est < 0 else 'rise'} (the estimate so far)",
        )
    ax.set_xlim(0, max(data["post_months"].max(), power.current_post_months) + 2)
    _mark_intervention(ax, power.current_post_months, f"now: {months(power.current_post_months)}")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(f"Months of data {intervention.since}")
    ax.set_ylabel("Chance of detecting the change")
    ax.legend(loc="lower right")
    _frame_figure(fig, f"{info.place}: when will we know?", verdict.when_we_will_know, info)
    fig.subplots_adjust(top=0.80, bottom=0.14, left=0.1, right=0.98)
    data["verdict"] = verdict.label
    return fig, data


@styled
def diagnostics_figure(result: ITSResult, info: RunInfo) -> tuple[plt.Figure, pd.DataFrame]:
    """For researchers: Pearson residuals over time and their autocorrelation."""
    n_fit = len(result.fit.pearson)
    months = result.months[:n_fit]
    resid = result.fit.pearson
    lags = min(24, n_fit - 1)
    acf = diag.residual_acf(resid, lags)
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
    ax1.set_title("Residuals over time", fontsize=15)
    _date_axis(ax1)
    ax2.bar(acf_data["lag"], acf_data["acf"], color=PALETTE["fitted"], width=0.6)
    ax2.axhline(bound, color=PALETTE["counterfactual"], ls="--", lw=1.5)
    ax2.axhline(-bound, color=PALETTE["counterfactual"], ls="--", lw=1.5)
    ax2.set_xlabel("Lag (months)")
    ax2.set_title("Autocorrelation", fontsize=15)
    d = result.diagnostics
    subtitle = (
        f"Dispersion {d['dispersion']:.2f}; Ljung-Box (lag {d['ljung_box']['lag']}) "
        f"p = {d['ljung_box']['p_value']:.3f}; Breusch-Godfrey p = "
        f"{d['breusch_godfrey']['p_value']:.3f}; errors: {result.fit.cov_label}. Dashed: "
        f"±{z:.2f}/√n ({result.spec.confidence_level:.0%})."
    )
    _frame_figure(fig, f"{info.place}: model diagnostics", subtitle, info)
    fig.subplots_adjust(top=0.78, bottom=0.12, left=0.08, right=0.98, wspace=0.25)
    data = data.merge(acf_data, how="outer", left_index=True, right_index=True)
    return fig, data


def export(fig: plt.Figure, data: pd.DataFrame, folder: Path | str, stem: str) -> list[Path]:
    """Write ``stem``.png/.svg/.pdf and ``stem``.csv into ``folder``, each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    title = fig.get_suptitle() or stem
    with project_style():
        written += _save_formats(fig, folder, stem, title)
    written.append(write_csv_atomic(folder / f"{stem}.csv", data))
    plt.close(fig)
    return written


def _save_formats(fig: plt.Figure, folder: Path, stem: str, title: str) -> list[Path]:
    written = []
    for fmt in FORMATS:
        dest = folder / f"{stem}.{fmt}"
        with atomic_path(dest) as tmp:
            kwargs = {"format": fmt}
            if fmt == "png":
                kwargs["dpi"] = PNG_DPI
            if fmt in ("svg", "pdf"):
                kwargs["metadata"] = {"Title": title.replace("\n", " ")}
            fig.savefig(tmp, **kwargs)
        written.append(dest)
    return written


@styled
def fit_figure(
    result: ITSResult, info: RunInfo, intervention: Intervention
) -> tuple[plt.Figure, pd.DataFrame]:
    """The modelling notebook's figure: observed, fitted and counterfactual (no verdict)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    data = draw_main(ax, result, intervention)
    rr = result.rate_ratio
    spec = result.spec
    subtitle = (
        f"{spec.estimator} estimator, {spec.family}, seasonality {spec.seasonality}; "
        f"post-period rate ratio {rr['estimate']:.2f} ({spec.confidence_level:.0%} "
        f"{rr['interval']} interval {rr['lower']:.2f} to {rr['upper']:.2f})."
    )
    _frame_figure(fig, f"{info.place}: observed, model and projection", subtitle, info)
    fig.subplots_adjust(top=0.80, bottom=0.1, left=0.08, right=0.98)
    return fig, data


def model_figures(outcome: Outcome, info: RunInfo) -> dict[str, tuple[plt.Figure, pd.DataFrame]]:
    """The modelling notebook's figures, drawn from an outcome: fit and diagnostics."""
    return {
        "fit": fit_figure(outcome.result, info, outcome.intervention),
        "diagnostics": diagnostics_figure(outcome.result, info),
    }


def briefing_figures(outcome: Outcome, info: RunInfo) -> dict[str, tuple[plt.Figure, pd.DataFrame]]:
    """The briefing's figures, drawn from an outcome: main, effect and power."""
    o = outcome
    return {
        "main": main_figure(o.result, o.verdict, info, o.intervention),
        "effect": effect_figure(o.result, o.verdict, info),
        "power": power_figure(o.power, o.verdict, info, o.intervention),
    }
