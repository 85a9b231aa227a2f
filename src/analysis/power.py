"""Stage 5, power: could this study have detected a change that matters, and when will it?

Two methods, one data model. ``analytic`` (the default for the count families): the power
of the analysis' own Wald test computed at the expected information of the true means, in
microseconds per horizon, so power can be evaluated over the whole planning horizon and the
minimum detectable effect found exactly, with no Monte Carlo error. ``simulation`` (used for
the gaussian family, and to check the analytic method in the tests): the steps below.

Power is estimated by simulation from the fitted **pre-period model** (the model
without intervention terms fitted to the months before the intervention: its trend,
seasonality, population offset and dispersion). For a post period of ``h`` months:

1. the pre-period model's means are extended ``h`` months past the intervention (the
   population offset stays at its last known value beyond the data);
2. post-period means are multiplied by ``1 + effect`` (for example 0.8 for a 20% drop);
3. ``n_simulations`` series are drawn from the family (Poisson; quasi-Poisson as a
   negative binomial with variance ``phi * mu``; NB2 with its alpha; gaussian);
4. each is refitted with the analysis' own specification, and the change counts as
   detected when the interval of the primary effect (the post-period rate ratio)
   excludes 1 in the direction of the simulated effect.

Power is the detected share, with its Monte Carlo standard error
``sqrt(p (1 - p) / n_simulations)``. The minimum detectable effect (MDE) at the current
post length is the smallest drop detected with ``target_power``, found by bisection.
"When will we know" is the number of further complete months after which a change of
the size that matters, and one of the size currently estimated, would be detected with
``target_power`` (interpolated between evaluated post lengths).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis import config
from analysis.models import (
    ITSResult,
    ITSSpec,
    design,
    fit_arrays,
    fit_pre_period,
    simulate_counts,
)

POWER_METHODS = ("analytic", "simulation")


@dataclass(frozen=True)
class PreModel:
    """The fitted pre-period model that simulations draw from."""

    spec: ITSSpec
    months: pd.DatetimeIndex  # pre-period months
    beta: np.ndarray
    scale: float
    nb_alpha: float
    population: np.ndarray | None  # per pre month, for the offset
    #: Designs and means for the longest post period asked so far (shorter ones are slices).
    _arrays: dict = field(default_factory=dict, compare=False, repr=False)

    def arrays(self, n_post: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Xc_aligned, Xc, mu0)`` for the pre period plus ``n_post`` months: the design
        with and without the intervention terms (the latter also aligned to the former's
        columns) and the expected counts without a change. Built once for the longest
        period asked and sliced (the rows of a design do not depend on its length)."""
        t0 = len(self.months)
        if self._arrays.get("n_post", -1) < n_post:
            months, mu0, _ = self.means(n_post)
            full = design(months, t0, self.spec, intervention=True)
            cf = design(months, t0, self.spec, intervention=False)
            self._arrays.update(
                n_post=n_post,
                X=full.to_numpy(),
                Xc_aligned=cf.reindex(columns=full.columns, fill_value=0.0).to_numpy(),
                Xc=cf.to_numpy(),
                mu0=mu0,
            )
        rows = slice(0, t0 + n_post)
        a = self._arrays
        return a["X"][rows], a["Xc_aligned"][rows], a["Xc"][rows], a["mu0"][rows]

    def means(self, n_post: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray | None]:
        """Months, expected counts and offsets for the pre period plus ``n_post`` months."""
        months = pd.date_range(self.months[0], periods=len(self.months) + n_post, freq="MS")
        X = design(months, len(self.months), self.spec, intervention=False).to_numpy()
        offset = None
        if self.population is not None:
            pop = np.concatenate([self.population, np.repeat(self.population[-1], n_post)])
            offset = np.log(pop)
        eta = X @ self.beta + (0.0 if offset is None else offset)
        mu = np.exp(eta) if self.spec.family != "gaussian" else eta
        return months, mu, offset


def pre_period_model(result: ITSResult) -> PreModel:
    """Fit the model without intervention terms to the pre-period months of ``result``."""
    spec, t0 = result.spec, result.t0
    fit = fit_pre_period(result.observed, result.X_cf, result.offset, t0, spec, errors="model")
    population = None if result.offset is None else np.exp(result.offset[:t0])
    return PreModel(spec, result.months[:t0], fit.beta, fit.scale, fit.nb_alpha, population)


def _detected(spec: ITSSpec, months, y, offset, t0, effect: float) -> bool:
    rr = fit_arrays(months, y, offset, t0, spec).rate_ratio
    if not np.isfinite(rr["lower"]) or not np.isfinite(rr["upper"]):
        return False
    return bool(rr["upper"] < 1.0) if effect < 0 else bool(rr["lower"] > 1.0)


def simulate_power(
    pre: PreModel,
    n_post: int,
    effect: float,
    *,
    n_simulations: int = config.POWER_SIMULATIONS,
    seed: int = config.SEED,
) -> float:
    """Share of simulated series in which ``effect`` (relative, e.g. -0.2) is detected."""
    if effect == 0:
        raise ValueError("effect=0: power is defined for a non-zero change")
    spec = pre.spec
    months, mu, offset = pre.means(n_post)
    t0 = len(pre.months)
    mu = mu.copy()
    mu[t0:] = mu[t0:] * (1.0 + effect)
    rng = np.random.default_rng([seed, n_post, int(round(abs(effect) * 1e6))])
    hits = 0
    for _ in range(n_simulations):
        if spec.family == "gaussian":
            y = mu + np.sqrt(pre.scale) * rng.standard_normal(len(mu))
        else:
            y = simulate_counts(rng, mu, spec.family, pre.scale, pre.nb_alpha).astype(float)
            if y.sum() == 0:
                continue  # an all-zero series cannot be modelled: counts as not detected
        try:
            hits += _detected(spec, months, y, offset, t0, effect)
        except (np.linalg.LinAlgError, ValueError):
            continue  # a degenerate draw (e.g. singular fit) counts as not detected
    return hits / n_simulations


# --- analytic power: the Wald test at the expected information -------------------------------


def _information_inverse(spec: ITSSpec, X: np.ndarray, mu: np.ndarray, pre: PreModel) -> np.ndarray:
    """The covariance of the estimates at the true means: (X' W X)^-1 times the dispersion."""
    if spec.family == "negbin":
        w = mu / (1.0 + pre.nb_alpha * mu)
        return np.linalg.inv(X.T @ (w[:, None] * X))
    phi = pre.scale if spec.family == "quasipoisson" else 1.0
    return phi * np.linalg.inv(X.T @ (mu[:, None] * X))


def _obs_variance(spec: ITSSpec, mu: np.ndarray, pre: PreModel) -> np.ndarray:
    if spec.family == "negbin":
        return mu + pre.nb_alpha * mu**2
    return (pre.scale if spec.family == "quasipoisson" else 1.0) * mu


def analytic_power(pre: PreModel, n_post: int, effect: float) -> float:
    """Power of the analysis' own test for ``effect`` after ``n_post`` months, computed, not
    simulated: the primary effect's estimate is normal around its true value with the
    standard error of the Wald test at the expected information (the true means of the
    pre-period model times ``1 + effect`` after the start). Count families; model-based
    errors (a Newey-West switch is not anticipated). Checked against
    :func:`simulate_power` in the tests."""
    if effect == 0:
        raise ValueError("effect=0: power is defined for a non-zero change")
    spec = pre.spec
    if spec.family == "gaussian":
        raise ValueError("analytic power is for the count families; use simulation")
    X, Xc_aligned, Xc, mu0 = pre.arrays(n_post)
    t0 = len(pre.months)
    beta = np.log1p(effect)
    post = slice(t0, None)
    mu = mu0.copy()
    mu[post] = mu[post] * (1.0 + effect)
    z = spec.z
    if spec.estimator == "segmented":
        V = _information_inverse(spec, X, mu, pre)
        fit, cf = mu[post], mu0[post]
        g = (fit @ X[post]) / fit.sum() - (cf @ Xc_aligned[post]) / cf.sum()
        se = float(np.sqrt(g @ V @ g))
    else:
        V = _information_inverse(spec, Xc[:t0], mu0[:t0], pre)
        cf = mu0[post]
        g = cf @ Xc[post]
        var = g @ V @ g + _obs_variance(spec, cf, pre).sum()
        se = float(np.sqrt(var) / cf.sum())
    if not np.isfinite(se) or se <= 0:
        return 0.0
    shift = -beta / se if effect < 0 else beta / se
    return float(stats.norm.cdf(shift - z))


@dataclass
class PowerAnalysis:
    """Power now, the minimum detectable effect, and when we will know."""

    effect_that_matters: float
    target_power: float
    n_simulations: int
    current_post_months: int
    #: "analytic" or "simulation" (the gaussian family is always simulated).
    method: str
    power_now: float
    mde_now: float | None
    horizons: list[int] = field(default_factory=list)
    power_matters: list[float] = field(default_factory=list)
    months_to_know_matters: int | None = None
    max_post_months: int = config.POWER_MAX_POST_MONTHS

    def at(self, months: int) -> float:
        """Power for the change that matters after ``months`` post months (a horizon)."""
        if months not in self.horizons:
            raise ValueError(f"power was not evaluated at {months} post months")
        return self.power_matters[self.horizons.index(months)]

    @property
    def mc_se_now(self) -> float:
        """Monte Carlo standard error of ``power_now``: 0 when computed analytically."""
        if not self.n_simulations:
            return 0.0
        p = self.power_now
        return float(np.sqrt(p * (1 - p) / self.n_simulations))

    def frame(self) -> pd.DataFrame:
        """Power against post-period length: the data behind the "when will we know" figure."""
        matters = np.asarray(self.power_matters, dtype=float)
        return pd.DataFrame(
            {
                "post_months": self.horizons,
                "power_effect_that_matters": matters,
                "power_effect_that_matters_mc_se": (
                    np.sqrt(matters * (1 - matters) / self.n_simulations)
                    if self.n_simulations
                    else np.zeros_like(matters)
                ),
                "effect_that_matters": self.effect_that_matters,
                "target_power": self.target_power,
                "n_simulations": self.n_simulations,
                "method": self.method,
            }
        )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["mc_se_now"] = self.mc_se_now
        return out


def _first_crossing(horizons, powers, target, current) -> int | None:
    """Further months until power first reaches ``target`` (linear interpolation); only the
    horizons from ``current`` on count (the curve before it is drawn, not forecast)."""
    pairs = [(h, p) for h, p in zip(horizons, powers, strict=True) if h >= current]
    horizons, powers = [h for h, _ in pairs], [p for _, p in pairs]
    for i, (h, p) in enumerate(zip(horizons, powers, strict=True)):
        if p >= target:
            if i == 0:
                return max(0, h - current)
            h0, p0 = horizons[i - 1], powers[i - 1]
            frac = (target - p0) / (p - p0) if p > p0 else 1.0
            return max(0, int(np.ceil(h0 + frac * (h - h0))) - current)
    return None


def default_horizons(current: int, max_post: int, also: tuple[int, ...] = ()) -> list[int]:
    """Post lengths at which power is evaluated: a grid over the whole planning horizon
    (so the curve shows where we came from too), the current length and ``also``."""
    grid = [3, 6, 9, 12, 18, 24, 30, 36, 48, 60, 72, 96, 120]
    return sorted({current, *also, *[h for h in grid if h <= max_post]})


def power_analysis(
    result: ITSResult,
    *,
    effect_that_matters: float = config.EFFECT_THAT_MATTERS,
    target_power: float = config.TARGET_POWER,
    n_simulations: int = config.POWER_SIMULATIONS,
    max_post_months: int = config.POWER_MAX_POST_MONTHS,
    seed: int = config.SEED,
    mde: bool = True,
    method: str = config.POWER_METHOD,
    also: tuple[int, ...] = (),
) -> PowerAnalysis:
    """Power for a drop of ``effect_that_matters``, evaluated over the planning horizon up
    to ``max_post_months``, at the current post length and at the lengths in ``also`` (the
    evaluation window). ``method``: ``analytic`` or ``simulation`` (the gaussian family is
    simulated). Power at the *estimated* effect ("observed power") is not computed: it is a
    function of the p-value and says nothing the interval does not."""
    if method not in POWER_METHODS:
        raise ValueError(f"method={method!r}: choose one of {POWER_METHODS}")
    if not 0 < effect_that_matters < 1:
        raise ValueError(
            f"effect_that_matters={effect_that_matters}: give a relative change, e.g. 0.2"
        )
    pre = pre_period_model(result)
    current = result.n_post
    horizons = default_horizons(current, max(max_post_months, current), also)
    if result.spec.family == "gaussian":
        method = "simulation"
    if method == "analytic":

        def power_at(h, e):
            return analytic_power(pre, h, e)

        steps = 14  # cheap: the MDE to 0.0001
    else:

        def power_at(h, e):
            return simulate_power(pre, h, e, n_simulations=n_simulations, seed=seed)

        steps = 6
    matters = [power_at(h, -effect_that_matters) for h in horizons]
    power_now = matters[horizons.index(current)]
    mde_now = _mde(power_at, current, target_power, steps) if mde else None
    return PowerAnalysis(
        effect_that_matters=effect_that_matters,
        target_power=target_power,
        n_simulations=n_simulations if method == "simulation" else 0,
        current_post_months=current,
        method=method,
        power_now=power_now,
        mde_now=mde_now,
        horizons=horizons,
        power_matters=matters,
        months_to_know_matters=_first_crossing(horizons, matters, target_power, current),
        max_post_months=max_post_months,
    )


def _mde(power_at, n_post: int, target: float, steps: int = 6) -> float | None:
    """Smallest drop (relative) detected with ``target`` power, by bisection on (0, 0.95]."""
    lo, hi = 0.0, 0.95
    if power_at(n_post, -hi) < target:
        return None  # not even a 95% drop would be detected
    for _ in range(steps):
        mid = (lo + hi) / 2
        if power_at(n_post, -mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi
