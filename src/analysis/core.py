"""The pure core: :func:`analyse` takes a request and in-memory data and returns an outcome.

It reads no file, no clock and no environment variable, draws nothing and writes nothing:
the notebooks, the papermill runner and every batch or replay are shells around it. The
same request and data give the same outcome, bit for bit (the seed travels in the request).

* :class:`AnalysisRequest`: frozen and picklable; city, as-of date, intervention, model
  specification, verdict criteria, measure, reporting lag and seed.
* :class:`AnalysisData`: the cleaned input, either incidents and populations (the monthly
  panel is then built here, as of the request's date) or the monthly panel itself.
* :class:`Outcome`: the city's monthly table, the fitted model, power and verdict: all
  that the figures, the briefing and ``results.json`` need.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from analysis import config
from analysis.dates import parse_day
from analysis.errors import ModelSpecError
from analysis.interventions import Intervention
from analysis.jsonable import jsonable
from analysis.models import ITSResult, ITSSpec, fit_its
from analysis.monitoring import Monitor, track
from analysis.power import PowerAnalysis, power_analysis
from analysis.robustness import ComparisonSetup, Robustness, assess
from analysis.robustness.placebo import placebo_z
from analysis.series import MEASURES, city_table, model_frame, monthly_counts
from analysis.verdict import Verdict, decide


@dataclass(frozen=True)
class VerdictCriteria:
    """What the verdict rule needs (defaults from :mod:`analysis.config`)."""

    min_post_months: int = config.MIN_POST_MONTHS
    effect_that_matters: float = config.EFFECT_THAT_MATTERS
    target_power: float = config.TARGET_POWER
    n_simulations: int = config.POWER_SIMULATIONS
    max_post_months: int = config.POWER_MAX_POST_MONTHS
    power_method: str = config.POWER_METHOD
    #: The pre-declared evaluation window (months); None: every post month up to as_of.
    window_months: int | None = config.EVALUATION_WINDOW_MONTHS
    #: Monitoring mode for scheduled reruns (:mod:`analysis.monitoring`): the horizon of
    #: monthly looks (months) over which the error rate is spent; None: off. In monitoring
    #: mode the evaluation window is the horizon.
    monitoring_horizon_months: int | None = None

    @property
    def effective_window(self) -> int | None:
        return self.monitoring_horizon_months or self.window_months

    def __post_init__(self):
        def whole(v, low):
            return isinstance(v, int) and not isinstance(v, bool) and v >= low

        def share(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1

        checks = (
            (
                "min_post_months",
                whole(self.min_post_months, 1),
                "a whole number of months, e.g. 12",
            ),
            ("effect_that_matters", share(self.effect_that_matters), "a relative change, e.g. 0.2"),
            ("target_power", share(self.target_power), "a probability, e.g. 0.8"),
            ("n_simulations", whole(self.n_simulations, 1), "a whole number, e.g. 200"),
            ("max_post_months", whole(self.max_post_months, 1), "a whole number, e.g. 60"),
        )
        checks += (
            (
                "power_method",
                self.power_method in ("analytic", "simulation"),
                "'analytic' or 'simulation'",
            ),
        )
        # the first failing check is reported; a bad minimum must not break the next ones
        minimum = self.min_post_months if whole(self.min_post_months, 1) else 1
        checks += (
            (
                "window_months",
                self.window_months is None
                or (whole(self.window_months, 1) and self.window_months >= minimum),
                f"a whole number of months, at least min_post_months ({self.min_post_months}), "
                "or None for every post month",
            ),
        )
        horizon = self.monitoring_horizon_months
        checks += (
            (
                "monitoring_horizon_months",
                horizon is None or (whole(horizon, 1) and horizon >= minimum),
                f"a whole number of months, at least min_post_months ({self.min_post_months}), "
                "or None (no monitoring)",
            ),
        )
        for name, ok, hint in checks:
            if not ok:
                raise ModelSpecError(f"{name}={getattr(self, name)!r}: give {hint}")


@dataclass(frozen=True)
class AnalysisRequest:
    """One analysis, fully described: hashable, picklable, no defaults read at run time.

    The model's intervention date is the intervention's start (``spec.intervention`` is
    set from it).
    """

    city: str
    as_of: str
    intervention: Intervention
    spec: ITSSpec = field(default_factory=ITSSpec)
    criteria: VerdictCriteria = field(default_factory=VerdictCriteria)
    measure: str = "victims"
    reporting_lag_days: int = config.REPORTING_LAG_DAYS
    seed: int = config.SEED
    #: The other cities: roles and programmes from the registry, exclusions; checks on/off.
    comparison: ComparisonSetup = field(default_factory=ComparisonSetup)

    def __post_init__(self):
        if not isinstance(self.city, str) or not self.city.strip():
            raise ModelSpecError(f"city={self.city!r}: give a city name as in the data")
        object.__setattr__(self, "as_of", parse_day(self.as_of, "as_of"))
        if self.measure not in MEASURES:
            raise ModelSpecError(f"measure={self.measure!r}: use 'victims' or 'incidents'")
        lag = self.reporting_lag_days
        if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
            raise ModelSpecError(f"reporting_lag_days={lag!r}: give a whole number, 0 or more")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ModelSpecError(f"seed={self.seed!r}: give a whole number")
        if self.spec.intervention != self.intervention.start:
            object.__setattr__(
                self, "spec", replace(self.spec, intervention=self.intervention.start)
            )

    def to_dict(self) -> dict:
        """The request as plain JSON (for results.json and run manifests)."""
        return jsonable(
            {
                "city": self.city,
                "as_of": self.as_of,
                "intervention": self.intervention.to_dict(),
                "spec": asdict(self.spec),
                "criteria": asdict(self.criteria),
                "measure": self.measure,
                "reporting_lag_days": self.reporting_lag_days,
                "seed": self.seed,
                "comparison": asdict(self.comparison),
            }
        )


@dataclass(frozen=True)
class AnalysisData:
    """The cleaned input, in memory: ``incidents`` and ``population`` (the monthly panel is
    built as of the request's date), or the long monthly ``panel`` itself
    (:data:`analysis.series.SERIES_COLUMNS`). ``input_sha256`` names the raw input."""

    incidents: pd.DataFrame | None = None
    population: pd.DataFrame | None = None
    panel: pd.DataFrame | None = None
    input_sha256: str = ""

    def __post_init__(self):
        if self.panel is None and self.incidents is None:
            raise ModelSpecError("AnalysisData needs the incidents (and population) or a panel")

    def monthly_panel(self, request: AnalysisRequest) -> pd.DataFrame:
        if self.panel is not None:
            return self.panel
        return monthly_counts(
            self.incidents,
            as_of=request.as_of,
            reporting_lag_days=request.reporting_lag_days,
            population=self.population,
        ).frame


@dataclass
class Outcome:
    """Everything one analysis produced; figures, the briefing and results.json read it."""

    request: AnalysisRequest
    monthly: pd.DataFrame  # the city's months, every status
    result: ITSResult
    power: PowerAnalysis
    verdict: Verdict
    input_sha256: str = ""
    #: The robustness checks (None when switched off); see :mod:`analysis.robustness`.
    robustness: Robustness | None = None

    @property
    def city(self) -> str:
        return self.request.city

    @property
    def intervention(self) -> Intervention:
        return self.request.intervention

    @property
    def after_window(self) -> pd.Series:
        """Observed counts of the complete months after the evaluation window (empty when
        the window holds every month): shown apart, never part of the primary estimate."""
        done = self.monthly[self.monthly["status"] == "complete"]
        later = done[done["month"] > self.result.months[-1]]
        return pd.Series(
            later[self.request.measure].astype(float).to_numpy(),
            index=pd.DatetimeIndex(later["month"]),
            name=self.request.measure,
        )

    @property
    def data_through(self) -> pd.Timestamp:
        """The last complete month of the city's data (the window may end earlier)."""
        done = self.monthly[self.monthly["status"] == "complete"]["month"]
        return pd.Timestamp(done.max()) if len(done) else self.result.months[-1]


def _window(series: pd.DataFrame, spec, window: int | None) -> pd.DataFrame:
    """The series cut at the end of the evaluation window (all of it without a window)."""
    if window is None:
        return series
    end = (spec.first_post_month().to_period("M") + window - 1).to_timestamp()
    return series[series.index <= end]


def look_z(result: ITSResult) -> float:
    """The primary estimate's Wald z (log rate ratio over its standard error)."""
    rr = result.rate_ratio
    sd = np.log(rr["upper"] / rr["lower"]) / (2 * result.spec.z)
    return float(np.log(rr["estimate"]) / sd) if sd > 0 else float("nan")


def _monitor(series: pd.DataFrame, result: ITSResult, request: AnalysisRequest) -> Monitor:
    """Every monthly look from the first the verdict allows to now, refitted on the data of
    that look (as a rerun on that day would have seen the months), calibrated by the placebo
    looks of the pre-period (each ``min_post_months`` long), and the boundary's say."""
    c = request.criteria
    horizon, first = c.monitoring_horizon_months, c.min_post_months
    pre = series[series.index < result.first_post_month]
    null_z = placebo_z(pre, request.spec, first, config.PLACEBO_MIN_PRE_MONTHS)
    looks = []
    for n in range(first, min(result.n_post, horizon) + 1):
        r = (
            result
            if n == result.n_post
            else fit_its(_window(series, request.spec, n), request.spec, seed=request.seed)
        )
        looks.append((n, look_z(r)))
    return track(looks, horizon, first, request.spec.alpha, placebo_z=null_z)


def analyse(request: AnalysisRequest, data: AnalysisData) -> Outcome:
    """Fit, power, robustness checks and verdict for one request: the one entry point of
    every shell. The primary fit covers the evaluation window; the robustness checks see
    every complete month up to the as-of date."""
    panel = data.monthly_panel(request)
    monthly = city_table(panel, request.city)
    series = model_frame(panel, request.city, measure=request.measure, as_of=request.as_of)
    c = request.criteria
    window = c.effective_window
    result = fit_its(_window(series, request.spec, window), request.spec, seed=request.seed)
    power = power_analysis(
        result,
        effect_that_matters=c.effect_that_matters,
        target_power=c.target_power,
        n_simulations=c.n_simulations,
        max_post_months=c.max_post_months,
        seed=request.seed,
        method=c.power_method,
        also=() if window is None else (window,),
    )
    robustness = None
    if request.comparison.enabled:
        other = next(m for m in MEASURES if m != request.measure)
        robustness = assess(
            primary=result,
            series=series,
            panel=panel,
            city=request.city,
            intervention=request.intervention,
            spec=request.spec,
            measure=request.measure,
            window=window or result.n_post,
            setup=request.comparison,
            other_measure=(other, model_frame(panel, request.city, measure=other)),
        )
    verdict = decide(
        result,
        power,
        place=request.city,
        intervention=request.intervention,
        min_post_months=c.min_post_months,
        target_power=c.target_power,
        as_of=request.as_of,
        window_months=window,
        robustness=robustness,
        monitor=_monitor(series, result, request) if c.monitoring_horizon_months else None,
        data_through=series.index[-1],
    )
    return Outcome(request, monthly, result, power, verdict, data.input_sha256, robustness)
