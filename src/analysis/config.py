"""One place for paths and defaults.

Every statistical default of the project lives here: the confidence level (and so
alpha), the intervention date, the minimum post-intervention period and the size
of change that matters. Modules take these as default arguments and never
repeat the numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

# --- paths -----------------------------------------------------------------


def source_root() -> Path:
    """The source checkout: its notebooks and its reviewed data files (the registry)."""
    return Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """Where data and outputs live: ``ANALYSIS_PROJECT_ROOT`` if set, else the checkout."""
    env = os.environ.get("ANALYSIS_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    return source_root()


class Paths:
    """Folders of the project, built from one root (never from relative strings)."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root).resolve() if root is not None else project_root()

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def incoming(self) -> Path:
        """Scratch folder for downloads in flight (same filesystem as data/raw)."""
        return self.root / "data" / ".incoming"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"


def scratch_root() -> Path:
    """Where notebooks run by hand (JupyterLab) write: never the official outputs."""
    return project_root() / "runs" / "scratch"


def registry_path() -> Path:
    """The intervention registry of this checkout (a reviewed data file, see its header)."""
    return source_root() / "data" / "interventions.yaml"


MIRROR_ENV = "ANALYSIS_DATA_MIRROR"

# --- the question ------------------------------------------------------------

#: The date of the question, for a city with no intervention of its own in the registry
#: (data/interventions.yaml names and dates every intervention).
INTERVENTION_DATE = "2012-11-01"
#: The month containing the intervention date counts as the first post month.
INTERVENTION_MONTH_IS_POST = True

# --- inference: set once, used everywhere --------------------------------------

#: Confidence level of every interval the project reports (effects, bands, power tests).
CONFIDENCE_LEVEL = 0.95

# --- data completeness --------------------------------------------------------

#: Days after a month ends before its records count as complete.
REPORTING_LAG_DAYS = 0
#: A city's population for a year that departs by more than this factor from every
#: neighbouring year is implausible; a run refuses it unless told to allow it.
POPULATION_JUMP_FACTOR = 1.5

# --- models ---------------------------------------------------------------------

DEFAULT_FAMILY = "quasipoisson"
DEFAULT_SEASONALITY = "harmonic"
DEFAULT_HARMONICS = 1
DEFAULT_ESTIMATOR = "segmented"
#: Step change (the final model of Lopez Bernal et al. 2017). "level_and_slope" is offered,
#: but its post-period average leans on extrapolating an uncertain slope change, so its
#: power falls as the post period grows.
DEFAULT_IMPACT = "level"
#: Robust errors: "auto" switches to Newey-West (HAC) when residual autocorrelation is found
#: and the HAC interval of the intervention terms is wider (it never narrows an interval).
DEFAULT_ROBUST = "auto"
#: Seasonal lag at which residual autocorrelation is tested.
AUTOCORRELATION_LAGS = 12
#: Level of that pre-test (its own setting: changing the reporting level leaves it alone).
AUTOCORRELATION_TEST_ALPHA = 0.05

# --- the verdict ------------------------------------------------------------------

#: Fewer complete post-intervention months than this: "still really early to tell".
MIN_POST_MONTHS = 12
#: The change in homicides that matters (relative), for power and "when will we know".
EFFECT_THAT_MATTERS = 0.20
#: Power needed before "no detectable change" may be said.
TARGET_POWER = 0.80
#: How power is computed: "analytic" (the Wald test at the expected information; count
#: families) or "simulation" (refitting simulated series; always for the gaussian family).
POWER_METHOD = "analytic"
#: Simulated series per power evaluation (method "simulation").
POWER_SIMULATIONS = 200
#: Longest post-intervention period (months) considered by "when will we know".
POWER_MAX_POST_MONTHS = 60
#: Seed of every simulation the project runs, so reruns give the same numbers.
SEED = 20121101

# --- robustness: the checks behind a verdict ----------------------------------------

#: The pre-declared evaluation window: the verdict's primary estimate covers the first
#: this-many post-intervention months (later months are reported as their own period).
EVALUATION_WINDOW_MONTHS = 12
#: A comparison city needs at least this many complete months before the intervention.
CONTROL_MIN_PRE_MONTHS = 36
#: A programme in a comparison city that starts within this many months of the
#: intervention disqualifies it as a control.
CONTROL_CONCURRENT_MONTHS = 12
#: Placebo dates in time need at least this many months of data before them.
PLACEBO_MIN_PRE_MONTHS = 24
#: Event-study bins (months) and how many pre-intervention bins get their own estimate
#: (earlier months are the reference).
EVENT_STUDY_BIN_MONTHS = 3
EVENT_STUDY_PRE_BINS = 8
#: Projection over the last pre-period year beyond this ratio (either way) counts as a
#: heavy extrapolation of the trend.
EXTRAPOLATION_RATIO = 1.25
