"""A fitted result in words and as a plain dictionary (numbers are computed in
:mod:`analysis.models.result`; this module only formats them)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np

from analysis.jsonable import jsonable

if TYPE_CHECKING:
    from analysis.models.result import ITSResult


def summary_text(result: ITSResult) -> str:
    """A plain-text report: specification, effects with intervals, diagnostics."""
    s, d = result.spec, result.diagnostics
    level = f"{s.confidence_level:.0%}"
    pairs = f" ({s.harmonics} sine/cosine pair(s))" if s.seasonality == "harmonic" else ""
    lines = [
        f"Interrupted time series: {s.estimator} estimator, {s.family} family",
        f"  months {result.months[0]:%Y-%m} to {result.months[-1]:%Y-%m}: {result.n_pre} "
        f"before, {result.n_post} from {result.first_post_month:%Y-%m} (first post month)",
        f"  seasonality {s.seasonality}{pairs}; impact {s.impact}; "
        f"offset {'log population' if s.offset else 'none'}",
        f"  errors: {result.fit.cov_label}; {d.get('robust_reason', '')}",
        "",
        f"Effects ({level} intervals; 'interval' says for what):",
    ]
    for name, row in result.effects.iterrows():
        if np.isnan(row["estimate"]):
            lines.append(f"  {name:<24} {row['description']}")
            continue
        lines.append(
            f"  {name:<24} {row['estimate']:>9.3f}  [{row['lower']:.3f}, {row['upper']:.3f}]"
            f"  p={row['p_value']:.3g}  {row['scale']}, {row['interval']}"
        )
    lines += [
        "",
        "Diagnostics:",
        f"  dispersion (Pearson chi2/df) {d['dispersion']:.2f}",
        f"  Ljung-Box lag {d['ljung_box']['lag']}: p={d['ljung_box']['p_value']:.3f}; "
        f"Breusch-Godfrey lag {d['breusch_godfrey']['lag']}: "
        f"p={d['breusch_godfrey']['p_value']:.3f}; Durbin-Watson {d['durbin_watson']:.2f}",
    ]
    if s.family == "negbin":
        lines.append(f"  negative binomial alpha {result.fit.nb_alpha:.4f}")
    if result.fit.warnings:
        lines.append("  fit warnings: " + "; ".join(result.fit.warnings))
    return "\n".join(lines)


def effect_sentence(result: ITSResult) -> str:
    """One sentence saying the primary effect in words."""
    rr = result.rate_ratio
    pct = (rr["estimate"] - 1) * 100
    direction = "fewer" if pct < 0 else "more"
    cum = result.effects.loc["cumulative_difference"]
    months = "month" if result.n_post == 1 else "months"
    return (
        f"Over {result.n_post} {months} from {result.first_post_month:%B %Y}, homicides were "
        f"{abs(pct):.0f}% {direction} than the pre-period trend predicts "
        f"({result.spec.confidence_level:.0%} {rr['interval']} interval "
        f"{(rr['lower'] - 1) * 100:+.0f}% to {(rr['upper'] - 1) * 100:+.0f}%), "
        f"{abs(cum['estimate']):.0f} {direction} homicides in total."
    )


def result_dict(result: ITSResult) -> dict:
    """Everything machine-readable: spec, sample, effects, diagnostics, series."""
    eff = result.effects.reset_index()
    plot = result.get_plot_data()
    plot["month"] = plot["month"].dt.strftime("%Y-%m")
    return jsonable(
        {
            "spec": asdict(result.spec),
            "sample": {
                "first_month": f"{result.months[0]:%Y-%m}",
                "last_month": f"{result.months[-1]:%Y-%m}",
                "first_post_month": f"{result.first_post_month:%Y-%m}",
                "n_pre": result.n_pre,
                "n_post": result.n_post,
                "observed_post_total": float(result.observed[result.t0 :].sum()),
            },
            "confidence_level": result.spec.confidence_level,
            "covariance": result.fit.cov_label,
            "parameters": {k: float(v) for k, v in result.fit.params.items()},
            "effects": eff.to_dict(orient="records"),
            "rate_ratio": result.rate_ratio,
            "diagnostics": result.diagnostics,
            "fit_warnings": list(result.fit.warnings),
            "series": plot.to_dict(orient="list"),
        }
    )
