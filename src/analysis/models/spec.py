"""What defines one ITS fit: :class:`ITSSpec`, its allowed values, and the months it needs.

Defaults come from :mod:`analysis.config` (one place for the confidence level and every
other default). ``offset=None`` means the project rule: a log-population offset for the
count families, none for the gaussian model; it is resolved here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats

from analysis import config
from analysis.errors import ModelSpecError

FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")
COUNT_FAMILIES = ("poisson", "quasipoisson", "negbin")
SEASONALITIES = ("harmonic", "months", "none")
ESTIMATORS = ("segmented", "forecast")
IMPACTS = ("level", "slope", "level_and_slope")
ROBUST = ("none", "hac", "auto")
#: Residual degrees of freedom a fit must keep beyond its parameters.
MIN_RESIDUAL_DF = 4
#: A seasonal model needs at least one full year before the intervention.
MIN_PRE_MONTHS_SEASONAL = 12


@dataclass(frozen=True)
class ITSSpec:
    """Everything that defines a fit. Defaults come from :mod:`analysis.config`.

    ``offset=None`` resolves to True for count families and False for gaussian.
    ``autocorrelation_alpha`` is the level of the residual-autocorrelation pre-test that
    ``robust="auto"`` uses; it is its own setting, independent of ``confidence_level``.
    """

    intervention: str = config.INTERVENTION_DATE
    family: str = config.DEFAULT_FAMILY
    seasonality: str = config.DEFAULT_SEASONALITY
    harmonics: int = config.DEFAULT_HARMONICS
    estimator: str = config.DEFAULT_ESTIMATOR
    impact: str = config.DEFAULT_IMPACT
    offset: bool | None = None
    robust: str = config.DEFAULT_ROBUST
    hac_maxlags: int | None = None
    autocorrelation_lags: int = config.AUTOCORRELATION_LAGS
    autocorrelation_alpha: float = config.AUTOCORRELATION_TEST_ALPHA
    intervention_month_is_post: bool = config.INTERVENTION_MONTH_IS_POST
    confidence_level: float = config.CONFIDENCE_LEVEL

    def __post_init__(self):
        for name, allowed in (
            ("family", FAMILIES),
            ("seasonality", SEASONALITIES),
            ("estimator", ESTIMATORS),
            ("impact", IMPACTS),
            ("robust", ROBUST),
        ):
            if getattr(self, name) not in allowed:
                raise ModelSpecError(f"{name}={getattr(self, name)!r}: choose one of {allowed}")
        if self.offset is None:
            object.__setattr__(self, "offset", self.family in COUNT_FAMILIES)
        for name in ("harmonics", "autocorrelation_lags"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ModelSpecError(f"{name}={value!r}: give a whole number, e.g. 1")
        if self.hac_maxlags is not None and (
            not isinstance(self.hac_maxlags, int) or self.hac_maxlags < 0
        ):
            raise ModelSpecError(f"hac_maxlags={self.hac_maxlags!r}: a whole number, 0 or more")
        if not isinstance(self.offset, bool):
            raise ModelSpecError(f"offset={self.offset!r}: give True or False")
        if self.seasonality == "harmonic" and not 1 <= self.harmonics <= 6:
            raise ModelSpecError(f"harmonics={self.harmonics}: use 1 to 6 pairs (period 12)")
        for name in ("confidence_level", "autocorrelation_alpha"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ModelSpecError(f"{name}={value!r}: give a number, e.g. 0.95")
        if not 0.5 < self.confidence_level < 1:
            raise ModelSpecError(f"confidence_level={self.confidence_level}: use e.g. 0.95")
        if not 0 < self.autocorrelation_alpha < 0.5:
            raise ModelSpecError(
                f"autocorrelation_alpha={self.autocorrelation_alpha}: use e.g. 0.05"
            )
        if self.family == "gaussian" and self.offset:
            raise ModelSpecError(
                "offset=True needs a count family (poisson, quasipoisson, negbin); the "
                "gaussian model is on counts: set offset=False"
            )
        try:
            pd.Timestamp(self.intervention)
        except (ValueError, TypeError) as exc:
            raise ModelSpecError(f"intervention={self.intervention!r} is not a date") from exc

    @property
    def alpha(self) -> float:
        """1 - confidence_level: the level of every reported interval and test."""
        return 1.0 - self.confidence_level

    @property
    def z(self) -> float:
        return float(stats.norm.ppf(1 - self.alpha / 2))

    @property
    def count_family(self) -> bool:
        return self.family in COUNT_FAMILIES

    def first_post_month(self) -> pd.Timestamp:
        month = pd.Timestamp(self.intervention).to_period("M")
        if not self.intervention_month_is_post:
            month = month + 1
        return month.to_timestamp()


def required_months(spec: ITSSpec) -> tuple[int, int]:
    """Months needed (before, after) the intervention for ``spec``."""
    from analysis.models.design import seasonal_columns

    n_season = len(seasonal_columns(pd.DatetimeIndex(["2000-01-01"]), spec))
    pre_params = 2 + n_season
    need_pre = pre_params + MIN_RESIDUAL_DF
    if spec.seasonality != "none":
        need_pre = max(need_pre, MIN_PRE_MONTHS_SEASONAL)
    # a slope change needs two post months; a level change or a forecast needs one
    need_post = 2 if spec.estimator == "segmented" and spec.impact != "level" else 1
    return need_pre, need_post
