"""Stage 7b, robustness: the checks a statistician makes before signing a verdict.

* :mod:`~analysis.robustness.periods`: the intervention as a window (during, first year,
  later) and the segments that estimate the periods;
* :mod:`~analysis.robustness.fits`: count models with step terms on calendar time, and
  rate ratios over any set of months;
* :mod:`~analysis.robustness.controls`: control eligibility for every city in the data;
* :mod:`~analysis.robustness.comparative`: difference-in-differences count model and
  event study;
* :mod:`~analysis.robustness.synthetic`: synthetic control with placebo-in-space inference;
* :mod:`~analysis.robustness.placebo`: placebo dates in time;
* :mod:`~analysis.robustness.sensitivity`: one-choice-at-a-time variants;
* :mod:`~analysis.robustness.checks`: the checks an unqualified verdict must pass;
* :mod:`~analysis.robustness.assess`: all of it for one analysis (:func:`assess`).
"""

from analysis.robustness.assess import Robustness, assess
from analysis.robustness.checks import CHECKS, direction, evaluate, unqualified
from analysis.robustness.controls import ComparisonSetup, eligibility
from analysis.robustness.periods import Period, named_periods

__all__ = [
    "CHECKS",
    "ComparisonSetup",
    "Period",
    "Robustness",
    "assess",
    "direction",
    "eligibility",
    "evaluate",
    "named_periods",
    "unqualified",
]
