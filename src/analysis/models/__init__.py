"""Stage 4, models: interrupted time-series (ITS) regression, fitted with statsmodels.

The model, for month ``t = 0, 1, ...`` and the first post month ``t0``::

    g(E[y_t]) = b0 + b1 t + seasonality(month of year) [+ log population_t]
                + b2 post_t + b3 (t - t0) post_t

``post_t`` is 1 from the first post month on (by default the month holding the
intervention date). ``b2`` is the level change at the first post month and ``b3`` the
change of slope per month (the Stata ``itsa`` convention: ``t - t0`` is 0 in the first
post month). ``impact`` chooses ``"level"`` (the default), ``"slope"`` or
``"level_and_slope"``.

Two estimators answer two questions. ``segmented``: one regression on all months; the
effect is what the level/slope terms say and the counterfactual is the fit with them set
to zero (*confidence* intervals). ``forecast``: the model without intervention terms is
fitted to the pre-period alone and projected; observed post months are compared with the
projection (*prediction* intervals, which add the noise of new months).

The package, one job a module:

* :mod:`~analysis.models.spec`: :class:`ITSSpec`, the allowed values, months needed;
* :mod:`~analysis.models.design`: the design matrix;
* :mod:`~analysis.models.checks`: :func:`validate_series`;
* :mod:`~analysis.models.engine`: the statsmodels fits, the robust-error rule,
  :func:`fit_its` and :func:`fit_arrays`;
* :mod:`~analysis.models.inference`: Wald intervals and p-values;
* :mod:`~analysis.models.simulate`: drawing counts from a fitted family;
* :mod:`~analysis.models.result`: :class:`ITSResult`, the numbers;
* :mod:`~analysis.models.report`: the result in words and as a dictionary.
"""

from analysis.models.checks import validate_series
from analysis.models.design import design, seasonal_columns
from analysis.models.engine import (
    NB_ALPHA_BOUNDARY,
    Fit,
    fit_arrays,
    fit_its,
    fit_model,
    fit_once,
    fit_pre_period,
)
from analysis.models.inference import wald, wald_p
from analysis.models.result import BAND_DRAWS, ITSResult
from analysis.models.simulate import simulate_counts
from analysis.models.spec import (
    COUNT_FAMILIES,
    ESTIMATORS,
    FAMILIES,
    IMPACTS,
    MIN_PRE_MONTHS_SEASONAL,
    MIN_RESIDUAL_DF,
    ROBUST,
    SEASONALITIES,
    ITSSpec,
    required_months,
)

__all__ = [
    "BAND_DRAWS",
    "COUNT_FAMILIES",
    "ESTIMATORS",
    "FAMILIES",
    "IMPACTS",
    "MIN_PRE_MONTHS_SEASONAL",
    "MIN_RESIDUAL_DF",
    "NB_ALPHA_BOUNDARY",
    "ROBUST",
    "SEASONALITIES",
    "Fit",
    "ITSResult",
    "ITSSpec",
    "design",
    "fit_arrays",
    "fit_its",
    "fit_model",
    "fit_once",
    "fit_pre_period",
    "required_months",
    "seasonal_columns",
    "simulate_counts",
    "validate_series",
    "wald",
    "wald_p",
]
