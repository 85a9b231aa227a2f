"""Honest repeated looks: an alpha-spending boundary for monthly reruns.

A scheduled rerun looks at the data every month. Declaring "significant" whenever this
month's 95% interval excludes no change inflates false alarms (on simulated data with no
effect, looks from 12 to 48 months give 11-36% instead of 5%). Monitoring mode spends the
error rate over a declared **monitoring horizon** with the Lan-DeMets spending function of
O'Brien-Fleming type, spent symmetrically on each side (alpha/2 a side, as ``ldbounds`` and
``gsDesign``'s ``sfLDOF`` do)::

    alpha_side(t) = 2 - 2 * Phi(z_{1 - alpha/4} / sqrt(t)),   t = information fraction in (0, 1]

The looks are the months from the first one the verdict allows (``min_post_months``) to the
horizon; information is measured in calendar time (post months / horizon months), which
Lan and DeMets allow and a monthly schedule makes natural. The boundary ``c_k`` of look ``k``
is found by recursive numerical integration of the Brownian-motion B-value process
(Armitage, McPherson and Rowe 1969): the probability of crossing first at look ``k`` under
no effect equals ``alpha(t_k) - alpha(t_{k-1})``. Early looks demand very strong evidence,
the last look almost the fixed-sample 1.96. The tests check the boundaries against the
published Lan-DeMets O'Brien-Fleming values for five equally spaced looks (4.877, 3.357,
2.680, 2.290, 2.031) and, by simulation, that the chance of any false crossing stays at
alpha.

A boundary controls the error rate only if each look's z is standard normal under no
effect. With autocorrelated extra-Poisson noise it is not: the model-based (and the
Newey-West) errors of a post-period mean understate its variance, and on simulated series
with AR(1) noise of sd 0.15 on the log rate the z has a standard deviation of about 1.2 (an
11% false-alarm rate at a single look). So the looks' z are **empirically calibrated** on
the city's own history (as in Schuemie et al., Stat Med 2014, with negative controls): the
primary model is fitted at every placebo start date in the pre-period, and the z of every
look is divided by ``inflation = max(1, root mean square of the placebo z)``. A history
whose fake dates show "changes" as large as the real one raises the bar accordingly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, stats

#: Points of the Simpson grid over each look's continuation region (odd).
GRID_POINTS = 401


def obf_spending(t, alpha: float):
    """Two-sided alpha spent by information fraction ``t``: twice the Lan-DeMets
    O'Brien-Fleming-type function at alpha/2 a side (``alpha`` in all at ``t = 1``)."""
    t = np.asarray(t, dtype=float)
    z = stats.norm.ppf(1 - alpha / 4)
    side = 2 - 2 * stats.norm.cdf(z / np.sqrt(np.maximum(t, 1e-300)))
    return np.where(t > 0, 2 * side, 0.0)


def _simpson(lo: float, hi: float, n: int = GRID_POINTS) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(lo, hi, n)
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (hi - lo) / (n - 1) / 3.0


@lru_cache(maxsize=64)
def boundaries(times: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    """Two-sided z boundaries at the information fractions ``times`` (increasing, last 1).

    Jennison and Turnbull's recursion (Group Sequential Methods, 2000, ch. 19): the
    sub-density of the B-value of paths not yet stopped is kept on a Simpson grid over the
    continuation region; the chance of first crossing at the next look is integrated in
    closed form (normal tails), and the boundary is the root that spends the increment."""
    t = np.asarray(times, dtype=float)
    if not (np.all(np.diff(t) > 0) and t[0] > 0 and t[-1] <= 1 + 1e-12):
        raise ValueError(f"information fractions must increase within (0, 1]: {times}")
    spend = np.diff(np.r_[0.0, obf_spending(t, alpha)])
    out: list[float] = []
    x = wx = fx = None  # grid, weights and sub-density at the previous look
    previous = 0.0
    for tk, spent in zip(t, spend, strict=True):
        dt, sk = tk - previous, np.sqrt(tk)

        def crossing(c, x=x, wx=wx, fx=fx, dt=dt, sk=sk):
            if x is None:
                return 2 * stats.norm.sf(c)
            s = np.sqrt(dt)
            tail = stats.norm.sf((c * sk - x) / s) + stats.norm.cdf((-c * sk - x) / s)
            return float(np.sum(wx * fx * tail))

        if spent <= 1e-15:
            c = np.inf
        else:
            c = optimize.brentq(lambda c, s=spent: crossing(c) - s, 0.0, 40.0, xtol=1e-10)
        out.append(float(c))
        if not np.isfinite(c):
            c = 40.0
        grid, w = _simpson(-c * sk, c * sk)
        if x is None:
            f = stats.norm.pdf(grid, scale=sk)
        else:
            s = np.sqrt(dt)
            f = (stats.norm.pdf((grid[:, None] - x[None, :]) / s) / s) @ (wx * fx)
        x, wx, fx, previous = grid, w, f, tk
    return tuple(out)


@dataclass(frozen=True)
class Look:
    """Where a rerun stands in the monitoring plan."""

    horizon_months: int
    first_look_months: int
    look: int  # 1-based; 0: before the first look
    looks: int
    boundary_z: float | None  # this look's boundary (None before the first look)
    nominal_alpha: float | None  # the two-sided level this look tests at

    def to_dict(self) -> dict:
        return asdict(self)


def look_plan(horizon: int, first: int, alpha: float) -> list[tuple[int, float]]:
    """(post months, boundary z) of every monthly look from ``first`` to ``horizon``."""
    if not 1 <= first <= horizon:
        raise ValueError(f"first look {first} must be within the horizon {horizon}")
    months = list(range(first, horizon + 1))
    z = boundaries(tuple(m / horizon for m in months), alpha)
    return list(zip(months, z, strict=True))


def look_at(n_post: int, horizon: int, first: int, alpha: float) -> Look:
    plan = look_plan(horizon, first, alpha)
    if n_post < first:
        return Look(horizon, first, 0, len(plan), None, None)
    k = min(n_post, horizon) - first
    z = plan[k][1]
    return Look(horizon, first, k + 1, len(plan), z, float(2 * stats.norm.sf(z)))


def inflation(placebo_z) -> float:
    """The empirical null's spread: root mean square of the placebo z, never below 1."""
    z = np.asarray([x for x in placebo_z if np.isfinite(x)], dtype=float)
    if len(z) == 0:
        return 1.0
    return float(max(1.0, np.sqrt(np.mean(z**2))))


@dataclass(frozen=True)
class Monitor:
    """The monitoring state at this run: this look, and every look's z so far."""

    look: Look
    z_now: float | None
    #: Post months at the first look whose |z| reached its boundary (None: not crossed).
    crossed_at: int | None
    #: -1 (drop) or +1 (rise) at the crossing; 0 when not crossed.
    direction: int
    history: tuple[tuple[int, float, float], ...]  # (post months, z, boundary) per look
    #: The calibration: every look's z was divided by this (1: none needed).
    inflation: float = 1.0
    placebo_dates: int = 0

    @property
    def crossed(self) -> bool:
        return self.crossed_at is not None

    def to_dict(self) -> dict:
        return {
            **self.look.to_dict(),
            "z_now": self.z_now,
            "crossed_at_post_months": self.crossed_at,
            "direction": self.direction,
            "inflation": self.inflation,
            "placebo_dates": self.placebo_dates,
            "history": [{"post_months": n, "z": z, "boundary_z": c} for n, z, c in self.history],
        }


def track(
    looks: list[tuple[int, float]],
    horizon: int,
    first: int,
    alpha: float,
    *,
    placebo_z: list[float] | None = None,
) -> Monitor:
    """The monitoring state from the z statistic of every look so far (post months, z),
    calibrated by the placebo z of the pre-period (none given: no calibration)."""
    plan = dict(look_plan(horizon, first, alpha))
    k = inflation(placebo_z or [])
    history = tuple((n, float(z) / k, plan[n]) for n, z in looks if n in plan)
    crossed_at, direction = None, 0
    for n, z, c in history:
        if abs(z) >= c:
            crossed_at, direction = n, (-1 if z < 0 else 1)
            break
    n_now = max((n for n, _ in looks), default=0)
    return Monitor(
        look=look_at(n_now, horizon, first, alpha),
        z_now=history[-1][1] if history else None,
        crossed_at=crossed_at,
        direction=direction,
        history=history,
        inflation=k,
        placebo_dates=len(placebo_z or []),
    )
