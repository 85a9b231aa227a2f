"""The fitted ITS model as numbers: counterfactual, effects, bands and the frames behind the
figures. Text and JSON renderings of a result live in :mod:`analysis.models.report`.

Effects (all at ``spec.confidence_level``; each row names its interval)
    ``level_change``: rate ratio ``exp(b2)`` (counts: additive, per month).
    ``slope_change``: rate ratio per month ``exp(b3)`` (counts: additive).
    ``average_relative_effect``: post-period rate ratio minus 1 (the primary effect).
    Segmented: ``sum(fitted post) / sum(counterfactual post) - 1`` with a delta-method
    *confidence* interval on the log scale. Forecast: ``sum(observed post) /
    sum(forecast) - 1`` with a *prediction* interval (log-normal approximation of the sum).
    ``cumulative_difference``: observed minus counterfactual homicides over the post
    period; segmented: a confidence interval, forecast: a prediction interval.

Bands
    ``counterfactual_mean_lower/upper``: confidence interval for the counterfactual
    *mean* (delta method on the linear predictor). ``counterfactual_obs_lower/upper``:
    prediction interval for a *new observation* under the counterfactual (simulated from
    the family's distribution and the parameter uncertainty, seeded by ``seed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis import config
from analysis.models.inference import wald, wald_p
from analysis.models.simulate import simulate_counts
from analysis.models.spec import ITSSpec

if TYPE_CHECKING:
    from analysis.models.engine import Fit

#: Draws used for the simulated prediction band.
BAND_DRAWS = 4000


def _row(name, estimate, lower, upper, p, scale, interval, description):
    return {
        "effect": name,
        "estimate": float(estimate),
        "lower": float(lower),
        "upper": float(upper),
        "p_value": float(p),
        "scale": scale,
        "interval": interval,
        "description": description,
    }


@dataclass
class ITSResult:
    """A fitted ITS model: effects, counterfactual, diagnostics and their reports."""

    spec: ITSSpec
    months: pd.DatetimeIndex
    observed: np.ndarray
    offset: np.ndarray | None
    t0: int
    X_full: pd.DataFrame
    X_cf: pd.DataFrame
    fit: Fit
    seed: int = config.SEED
    _cache: dict = field(default_factory=dict, repr=False)

    # --- basic quantities
    @property
    def count_family(self) -> bool:
        return self.spec.count_family

    @property
    def n_pre(self) -> int:
        return self.t0

    @property
    def n_post(self) -> int:
        return len(self.months) - self.t0

    @property
    def first_post_month(self) -> pd.Timestamp:
        return self.months[self.t0]

    @property
    def diagnostics(self) -> dict:
        return self.fit.diagnostics

    def _positions(self, X: pd.DataFrame) -> list[int]:
        return [self.fit.names.index(c) for c in X.columns]

    def _eta(self, X: pd.DataFrame) -> np.ndarray:
        beta = self.fit.beta[self._positions(X)]
        eta = X.to_numpy() @ beta
        if self.offset is not None:
            eta = eta + self.offset
        return eta

    def _cov(self, X: pd.DataFrame) -> np.ndarray:
        pos = self._positions(X)
        return self.fit.vcov[np.ix_(pos, pos)]

    def _mean(self, eta: np.ndarray) -> np.ndarray:
        return np.exp(eta) if self.count_family else eta

    @cached_property
    def fitted(self) -> np.ndarray:
        X = self.X_full if self.spec.estimator == "segmented" else self.X_cf
        return self._mean(self._eta(X))

    @cached_property
    def counterfactual(self) -> np.ndarray:
        return self._mean(self._eta(self.X_cf))

    @cached_property
    def _cf_se_eta(self) -> np.ndarray:
        X = self.X_cf.to_numpy()
        V = self._cov(self.X_cf)
        return np.sqrt(np.einsum("ij,jk,ik->i", X, V, X))

    def _obs_variance(self, mu: np.ndarray) -> np.ndarray:
        """Variance of a new observation with mean ``mu`` under the fitted family."""
        fam = self.spec.family
        if fam == "poisson":
            return mu
        if fam == "quasipoisson":
            return self.fit.scale * mu
        if fam == "negbin":
            return mu + self.fit.nb_alpha * mu**2
        return np.full_like(mu, self.fit.scale)

    # --- effects
    @cached_property
    def effects(self) -> pd.DataFrame:
        """One row per effect with estimate, interval bounds, p-value and interval kind."""
        z, spec = self.spec.z, self.spec
        rows = []
        params, cov = self.fit.params, self.fit.cov
        ratio = self.count_family
        for name, label in (("level", "level_change"), ("slope", "slope_change")):
            if name in params.index:
                b, se = float(params[name]), float(np.sqrt(cov.loc[name, name]))
                lo, hi, p = wald(b, se, z)
                if ratio:
                    b, lo, hi = np.exp(b), np.exp(lo), np.exp(hi)
                desc = (
                    "rate ratio at the first post month"
                    if name == "level"
                    else "rate ratio per month of the post-period trend"
                )
                if not ratio:
                    desc = "change in monthly count" + (
                        " at the first post month" if name == "level" else " per month"
                    )
                rows.append(
                    _row(label, b, lo, hi, p, "ratio" if ratio else "count", "confidence", desc)
                )
            else:
                why = (
                    "not estimated by the forecast estimator"
                    if spec.estimator == "forecast"
                    else f"not in the model (impact={spec.impact!r})"
                )
                rows.append(_row(label, np.nan, np.nan, np.nan, np.nan, "", "", why))
        average = self._average_effect()
        rows.append(average)
        cum = self.effect_frame().iloc[-1]
        if self.count_family:
            p_cum = average["p_value"]  # the total is implied by the rate ratio's interval
        else:
            p_cum = wald_p(cum["cumulative"], (cum["cumulative_upper"] - cum["cumulative"]) / z)
        rows.append(
            _row(
                "cumulative_difference",
                cum["cumulative"],
                cum["cumulative_lower"],
                cum["cumulative_upper"],
                p_cum,
                "count",
                cum["interval"],
                "observed minus counterfactual homicides over the post period",
            )
        )
        return pd.DataFrame(rows).set_index("effect")

    def _average_effect(self) -> dict:
        if "average" in self._cache:
            return self._cache["average"]
        z = self.spec.z
        if self.count_family or self.spec.estimator == "forecast":
            ratio, spread = self._running_ratio()
            r, sd = float(ratio[-1]), float(spread[-1])
            with np.errstate(over="ignore"):  # a degenerate fit gives inf, not a crash
                est, lo, hi = r, r / np.exp(z * sd), r * np.exp(z * sd)
            p = wald_p(float(np.log(max(r, 1e-12))), sd)
        else:
            post = slice(self.t0, None)
            cf_post, fit_post = self.counterfactual[post], self.fitted[post]
            Xf = self.X_full.to_numpy()[post]
            Xc_full = self.X_cf.reindex(columns=self.X_full.columns, fill_value=0.0)
            Xc_full = Xc_full.to_numpy()[post]
            r = fit_post.sum() / cf_post.sum()
            g = Xf.sum(0) / cf_post.sum() - fit_post.sum() * Xc_full.sum(0) / cf_post.sum() ** 2
            se = float(np.sqrt(g @ self._cov(self.X_full) @ g))
            est = r
            lo, hi, p = wald(r, se, z, null=1.0)
        if self.spec.estimator == "segmented":
            interval = "confidence"
            desc = "post-period rate ratio minus 1: fitted over counterfactual"
        else:
            interval = "prediction"
            desc = "post-period rate ratio minus 1: observed over forecast counterfactual"
        name = "average_relative_effect"
        row = _row(name, est - 1, lo - 1, hi - 1, p, "relative", interval, desc)
        self._cache["average"] = row
        return row

    def _running_ratio(self) -> tuple[np.ndarray, np.ndarray]:
        """The post-period rate ratio over the first 1, 2, ... post months and the standard
        deviation of its log; the interval is ``ratio * exp(+-z sd)``. The last month's is
        the primary effect. For count families; the forecast estimator also for gaussian.

        Segmented: fitted over counterfactual sums, sd by the delta method (confidence).
        Forecast: observed over projected sums, sd of the log of the sum from the
        projection's uncertainty plus the noise of new months (prediction; a log-normal
        approximation)."""
        post = slice(self.t0, None)
        cf = self.counterfactual[post]
        C = np.cumsum(cf)
        if self.spec.estimator == "segmented":
            fit = self.fitted[post]
            Xf = self.X_full.to_numpy()[post]
            Xc = self.X_cf.reindex(columns=self.X_full.columns, fill_value=0.0).to_numpy()[post]
            F = np.cumsum(fit)
            g = np.cumsum(fit[:, None] * Xf, axis=0) / F[:, None]
            g = g - np.cumsum(cf[:, None] * Xc, axis=0) / C[:, None]
            return F / C, np.sqrt(np.einsum("ij,jk,ik->i", g, self._cov(self.X_full), g))
        X = self.X_cf.to_numpy()[post]
        G = np.cumsum(cf[:, None] * X if self.count_family else X, axis=0)
        var = np.einsum("ij,jk,ik->i", G, self._cov(self.X_cf), G)
        var = var + np.cumsum(self._obs_variance(cf))
        return np.cumsum(self.observed[post]) / C, np.sqrt(var) / C

    @property
    def rate_ratio(self) -> dict:
        """The primary effect as a post-period rate ratio with its interval."""
        row = self._average_effect()
        return {
            "estimate": row["estimate"] + 1,
            "lower": row["lower"] + 1,
            "upper": row["upper"] + 1,
            "p_value": row["p_value"],
            "interval": row["interval"],
        }

    # --- frames behind the figures
    def effect_frame(self) -> pd.DataFrame:
        """Post months: observed, counterfactual, monthly and cumulative differences.

        Monthly interval (``difference_interval``: prediction): the uncertainty of the
        counterfactual mean (delta method) plus the noise of the observed count (its
        variance under the fitted family, at the fitted post-period mean for the segmented
        estimator and at the projection for the forecast estimator).

        Cumulative interval (``interval``: the primary effect's kind): for count families,
        the running total implied by the rate ratio's interval over the same months,
        ``observed total x (1 - 1 / rate ratio bound)``, so the total never says "fewer
        homicides" when the rate ratio includes no change (before, at three post months, the
        total said p = 0.001 while the rate ratio said p = 0.057). For the gaussian family,
        and a month with no observed homicide yet, the additive interval of the monthly one.
        """
        if "effect_frame" in self._cache:
            return self._cache["effect_frame"].copy()
        z = self.spec.z
        post = slice(self.t0, None)
        y = self.observed[post]
        mu = self.counterfactual[post]
        X = self.X_cf.to_numpy()[post]
        V = self._cov(self.X_cf)
        G = np.cumsum(mu[:, None] * X if self.count_family else X, axis=0)
        var_cum = np.einsum("ij,jk,ik->i", G, V, G)
        var_month = self._cf_se_eta[post] ** 2 * (mu**2 if self.count_family else 1.0)
        at = mu if self.spec.estimator == "forecast" else self.fitted[post]
        obs_var = self._obs_variance(at)
        var_cum = var_cum + np.cumsum(obs_var)
        var_month = var_month + obs_var
        diff = y - mu
        cum = np.cumsum(diff)
        cum_lo, cum_hi = cum - z * np.sqrt(var_cum), cum + z * np.sqrt(var_cum)
        if self.count_family:
            ratio, spread = self._running_ratio()
            cum_obs = np.cumsum(y)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                implied_lo = cum_obs * (1 - np.exp(z * spread) / ratio)
                implied_hi = cum_obs * (1 - 1 / (ratio * np.exp(z * spread)))
            usable = (cum_obs > 0) & np.isfinite(implied_lo) & np.isfinite(implied_hi)
            cum_lo = np.where(usable, implied_lo, cum_lo)
            cum_hi = np.where(usable, implied_hi, cum_hi)
        segmented_count = self.spec.estimator == "segmented" and self.count_family
        kind = "confidence" if segmented_count else "prediction"
        frame = pd.DataFrame(
            {
                "month": self.months[post],
                "observed": y,
                "counterfactual": mu,
                "difference": diff,
                "difference_lower": diff - z * np.sqrt(var_month),
                "difference_upper": diff + z * np.sqrt(var_month),
                "cumulative": cum,
                "cumulative_lower": cum_lo,
                "cumulative_upper": cum_hi,
                "interval": kind,
                "difference_interval": "prediction",
                "confidence_level": self.spec.confidence_level,
            }
        )
        self._cache["effect_frame"] = frame
        return frame.copy()

    def get_plot_data(self) -> pd.DataFrame:
        """Every month: observed, fitted, counterfactual with its two bands, post flag."""
        if "plot" in self._cache:
            return self._cache["plot"].copy()
        z = self.spec.z
        eta_cf = self._eta(self.X_cf)
        se = self._cf_se_eta
        if self.count_family:
            lo, hi = np.exp(eta_cf - z * se), np.exp(eta_cf + z * se)
        else:
            lo, hi = eta_cf - z * se, eta_cf + z * se
        obs_lo, obs_hi = self._obs_band(eta_cf, se)
        fitted = self.fitted.copy()
        if self.spec.estimator == "forecast":
            fitted[self.t0 :] = np.nan  # the forecast model has no post-period fit
        frame = pd.DataFrame(
            {
                "month": self.months,
                "observed": self.observed,
                "fitted": fitted,
                "counterfactual": self.counterfactual,
                "counterfactual_mean_lower": lo,
                "counterfactual_mean_upper": hi,
                "counterfactual_obs_lower": obs_lo,
                "counterfactual_obs_upper": obs_hi,
                "post": np.arange(len(self.months)) >= self.t0,
                "confidence_level": self.spec.confidence_level,
            }
        )
        self._cache["plot"] = frame
        return frame.copy()

    def _obs_band(self, eta: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prediction interval of a new observation, by simulation (seeded)."""
        rng = np.random.default_rng(self.seed)
        draws = eta[None, :] + se[None, :] * rng.standard_normal((BAND_DRAWS, len(eta)))
        fam = self.spec.family
        if fam == "gaussian":
            sim = draws + np.sqrt(self.fit.scale) * rng.standard_normal(draws.shape)
        else:
            mu = np.exp(draws)
            sim = simulate_counts(rng, mu, fam, self.fit.scale, self.fit.nb_alpha)
        a = self.spec.alpha
        return np.quantile(sim, a / 2, axis=0), np.quantile(sim, 1 - a / 2, axis=0)

    # --- reports (rendered by analysis.models.report)
    def summary(self) -> str:
        """A plain-text report: specification, effects with intervals, diagnostics."""
        from analysis.models.report import summary_text

        return summary_text(self)

    def effect_summary(self) -> tuple[pd.DataFrame, str]:
        """The effects table and one sentence saying the primary effect in words."""
        from analysis.models.report import effect_sentence

        return self.effects.copy(), effect_sentence(self)

    def to_dict(self) -> dict:
        """Everything machine-readable: spec, sample, effects, diagnostics, series."""
        from analysis.models.report import result_dict

        return result_dict(self)
