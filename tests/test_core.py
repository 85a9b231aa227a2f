"""The pure core: one request and in-memory data in, one outcome out; nothing else touched.

Also pins the numbers of three reference runs of Stockton (computed before the core was
split out of the notebooks' stages) so that a refactoring cannot move a number.
"""

import ast
import builtins
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import analysis
from analysis import AnalysisData, AnalysisRequest, VerdictCriteria, analyse, clock
from analysis.errors import ModelSpecError
from analysis.interventions import Intervention
from analysis.models import ITSSpec
from analysis.robustness import ComparisonSetup
from analysis.verdict import LABELS

from conftest import simulated_panel

FAST = VerdictCriteria(n_simulations=20, max_post_months=24)


@pytest.fixture(scope="module")
def simulated():
    panel, when = simulated_panel(rng=np.random.default_rng(7), n_post=18, effect=0.7)
    request = AnalysisRequest(
        city="Testville",
        as_of="2020-01-01",
        intervention=Intervention(start=when, name="Test programme", short_name="programme"),
        criteria=FAST,
    )
    return request, AnalysisData(panel=panel, input_sha256="0" * 64)


def _numbers(outcome) -> str:
    return json.dumps(
        {
            "verdict": outcome.verdict.to_dict(),
            "power": outcome.power.to_dict(),
            "model": outcome.result.to_dict(),
        },
        sort_keys=True,
        default=str,
    )


def test_analyse_returns_everything_the_outputs_need(simulated):
    request, data = simulated
    outcome = analyse(request, data)
    assert outcome.request is request
    # the primary fit covers the 12-month evaluation window; the checks see all 18 months
    assert outcome.result.n_post == 12 and outcome.power.current_post_months == 12
    assert outcome.data_through == outcome.monthly["month"].max()
    assert outcome.verdict.label in ("significant_drop", "too_early", "cannot_tell")
    # one city: nothing to compare with, so a significant verdict is qualified
    assert outcome.robustness.eligible_controls == []
    assert not outcome.verdict.robust
    assert "programme" in outcome.verdict.headline + outcome.verdict.title
    assert len(outcome.monthly) == 90 and outcome.input_sha256 == "0" * 64
    assert outcome.result.spec.intervention == request.intervention.start


def test_same_request_same_outcome_bit_for_bit(simulated):
    request, data = simulated
    assert _numbers(analyse(request, data)) == _numbers(analyse(request, data))
    # the seed travels in the request: it seeds the simulated prediction band (and power,
    # when simulated)
    other = analyse(replace(request, seed=request.seed + 1), data).result.get_plot_data()
    same = analyse(request, data).result.get_plot_data()
    assert not other["counterfactual_obs_upper"].equals(same["counterfactual_obs_upper"])


def test_request_is_frozen_hashable_and_picklable(simulated):
    request, _ = simulated
    assert pickle.loads(pickle.dumps(request)) == request
    assert hash(request) == hash(pickle.loads(pickle.dumps(request)))
    with pytest.raises(AttributeError):
        request.city = "Elsewhere"  # type: ignore[misc]
    assert json.loads(json.dumps(request.to_dict()))["spec"]["family"] == "quasipoisson"


def test_request_checks_its_fields():
    when = Intervention(start="2012-11-01")
    with pytest.raises(ModelSpecError, match="as_of='soon'"):
        AnalysisRequest(city="X", as_of="soon", intervention=when)
    with pytest.raises(ModelSpecError, match="measure='homicides'"):
        AnalysisRequest(city="X", as_of="2013-01-01", intervention=when, measure="homicides")
    with pytest.raises(ModelSpecError, match="n_simulations=0: give"):
        VerdictCriteria(n_simulations=0)
    # the model's intervention date is always the intervention's start
    r = AnalysisRequest(
        city="X", as_of="2013-01-01", intervention=when, spec=ITSSpec(intervention="2010-01-01")
    )
    assert r.spec.intervention == "2012-11-01"


class _Forbidden(Exception):
    pass


def _forbid(*_args, **_kwargs):
    raise _Forbidden("the pure core touched the outside world")


class _NoEnvironment(dict):
    def __getitem__(self, key):
        raise _Forbidden(f"read environment variable {key}")

    get = __getitem__


def test_analyse_reads_no_file_environment_or_clock(simulated, monkeypatch):
    """Files, the environment and the project's clock are made to fail; analyse still runs
    (after one warm-up call, so that lazy imports of third-party code are done)."""
    request, data = simulated
    expected = _numbers(analyse(request, data))
    for target, name in (
        (builtins, "open"),
        (io, "open"),
        (os, "open"),
        (os, "listdir"),
        (os, "scandir"),
        (os, "getenv"),
        (pathlib.Path, "open"),
        (pathlib.Path, "read_text"),
        (pathlib.Path, "read_bytes"),
        (pathlib.Path, "exists"),
        (clock, "today"),
    ):
        monkeypatch.setattr(target, name, _forbid)
    monkeypatch.setattr(os, "environ", _NoEnvironment())
    try:
        got = _numbers(analyse(request, data))
    finally:
        monkeypatch.undo()
    assert got == expected


def test_analyse_imports_no_plotting_library():
    code = (
        "import sys\n"
        "import numpy as np\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from conftest import simulated_panel\n"
        "from analysis import AnalysisData, AnalysisRequest, VerdictCriteria, analyse\n"
        "from analysis.interventions import Intervention\n"
        "panel, when = simulated_panel(rng=np.random.default_rng(1), n_post=13)\n"
        "r = AnalysisRequest('Testville', '2020-01-01', Intervention(start=when),\n"
        "                    criteria=VerdictCriteria(n_simulations=5, max_post_months=13))\n"
        "o = analyse(r, AnalysisData(panel=panel))\n"
        "print(o.verdict.label)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('matplotlib', 'seaborn', 'papermill', 'IPython')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    label, modules = out.stdout.strip().splitlines()
    assert label in LABELS
    assert modules == "[]"


#: Names whose use inside the core's modules would read a clock, a file or the environment.
IMPURE = {"today", "now", "utcnow", "environ", "getenv", "open", "read_text", "read_bytes"}
CORE_MODULES = [
    "core.py",
    "series.py",
    "interventions.py",
    "jsonable.py",
    "power.py",
    *[f"verdict/{p.name}" for p in (Path(analysis.__file__).parent / "verdict").glob("*.py")],
    "diagnostics.py",
    *[f"models/{p.name}" for p in (Path(analysis.__file__).parent / "models").glob("*.py")],
    *[f"robustness/{p.name}" for p in (Path(analysis.__file__).parent / "robustness").glob("*.py")],
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_call_no_clock_file_or_environment(module):
    """A static check beside the runtime one: the modules :func:`analyse` runs never name a
    clock, file or environment call. (``series.read_panel``/``load_population`` and
    ``interventions.load_registry`` are shell helpers the core does not call; they are
    allowed by name.)"""
    allowed_functions = {"read_panel", "load_population", "load_registry"}
    tree = ast.parse((Path(analysis.__file__).parent / module).read_text())
    offenders = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or func.name in allowed_functions:
            continue
        for node in ast.walk(func):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Name):
                name = node.id
            if name in IMPURE:
                offenders.append(f"{func.name}: {name} (line {node.lineno})")
    assert not offenders, f"{module}: {offenders}"


# --- the reference runs: this refactoring moves no number ------------------------------------

REFERENCE = json.loads(
    (Path(__file__).parent / "reference/stockton_reference_runs.json").read_text()
)
#: Today's specification, pinned, so later deliberate changes of the defaults do not break it.
PINNED_SPEC = ITSSpec(
    intervention="2012-11-01",
    family="quasipoisson",
    seasonality="harmonic",
    harmonics=1,
    estimator="segmented",
    impact="level",
    offset=True,
    robust="auto",
    hac_maxlags=None,
    autocorrelation_lags=12,
    autocorrelation_alpha=0.05,
    intervention_month_is_post=True,
    confidence_level=0.95,
)
PINNED_CRITERIA = VerdictCriteria(
    min_post_months=12,
    effect_that_matters=0.20,
    target_power=0.80,
    n_simulations=50,
    max_post_months=60,
    power_method="simulation",
    window_months=None,  # every post month, as when the reference was made
)


def _close(expected, got, path=""):
    if isinstance(expected, dict):
        for key, value in expected.items():
            _close(value, got[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(expected) == len(got), path
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            _close(a, b, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), path
    elif expected is None:
        assert got is None or (isinstance(got, float) and np.isnan(got)), path
    else:
        assert got == expected, path


@pytest.mark.realdata
@pytest.mark.parametrize("as_of", sorted(REFERENCE["runs"]))
@pytest.mark.slow
def test_reference_runs_keep_their_numbers(as_of, real_cleaning, real_population):
    request = AnalysisRequest(
        city="Stockton",
        as_of=as_of,
        intervention=Intervention(start="2012-11-01", name="reference intervention"),
        spec=PINNED_SPEC,
        criteria=PINNED_CRITERIA,
        seed=20121101,
        comparison=ComparisonSetup(enabled=False),  # the reference pins the ITS core
    )
    data = AnalysisData(incidents=real_cleaning.incidents, population=real_population)
    outcome = analyse(request, data)
    ref = REFERENCE["runs"][as_of]
    assert outcome.verdict.label == ref["label"]
    _close(ref["numbers"], outcome.verdict.numbers, "numbers")
    effects = outcome.result.effects
    for name, row in ref["effects"].items():
        _close(row, {k: float(effects.loc[name, k]) for k in row}, name)
    _close(ref["parameters"], {k: float(v) for k, v in outcome.result.fit.params.items()})
    _close(ref["dispersion"], outcome.result.diagnostics["dispersion"])
    assert outcome.result.diagnostics["robust_errors"] == ref["robust_errors"]
    _close(ref["power"], outcome.power.to_dict(), "power")
