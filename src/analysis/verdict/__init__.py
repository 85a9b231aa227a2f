"""Stage 8, verdict: from the primary fit, its power and the robustness checks to one
plain answer.

The primary estimate is the rate ratio over the pre-declared evaluation window (the first
``window_months`` post months, see :mod:`analysis.core`). The *planning horizon* is that
window (the whole ``max_post_months`` when no window is declared). The rule
(:func:`decide_label`), applied in this order:

1. fewer than ``min_post_months`` complete post-intervention months: **too_early** ("still
   really early to tell": more data will tell, and the report says about when) if power
   for the change that matters reaches ``target_power`` within the planning horizon, else
   **cannot_tell** ("this design cannot tell": waiting for more months of this city alone
   will not settle it; the report says what would help);
2. the interval of the primary effect excludes 1: **significant_drop** (upper bound below
   1) or **significant_rise** (lower bound above 1). Said without a qualifier only when the
   robustness checks agree (:mod:`analysis.robustness.checks`: the comparison cities, the
   placebo dates, the trend); otherwise the verdict carries a qualifier with its reasons;
3. the interval includes 1 (a bound equal to 1 counts as including it), and the study had
   at least ``target_power`` to detect a change of ``effect_that_matters``:
   **no_detectable_change**;
4. otherwise **too_early** while the planning horizon still holds enough power, else
   **cannot_tell**.

The package, one job a module:

* :mod:`~analysis.verdict.rule`: the labels, titles and :func:`decide_label`;
* :mod:`~analysis.verdict.record`: the :class:`Verdict`;
* :mod:`~analysis.verdict.decide`: :func:`decide` and :func:`early_verdict`;
* :mod:`~analysis.verdict.checks`: the robustness checks' qualifier and sentence;
* :mod:`~analysis.verdict.words`: numbers in words, when we will know, the data caveats.
"""

from analysis.verdict.decide import decide, early_verdict
from analysis.verdict.record import Verdict
from analysis.verdict.rule import LABELS, QUALIFIED_TITLES, TITLES, decide_label, months, title
from analysis.verdict.words import EXTRAPOLATION_WARNING_RATIO, data_caveats

__all__ = [
    "EXTRAPOLATION_WARNING_RATIO",
    "LABELS",
    "QUALIFIED_TITLES",
    "TITLES",
    "Verdict",
    "data_caveats",
    "decide",
    "decide_label",
    "early_verdict",
    "months",
    "title",
]
