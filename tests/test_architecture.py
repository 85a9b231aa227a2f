"""ARCHITECTURE.md's layers, enforced: every import inside the package points down.

A module may import from its own layer's package (a module of ``models`` from another
module of ``models``) and from lower layers, never from a higher one. Imports made only for
type annotations (under ``if TYPE_CHECKING:``) are not counted. Plotting libraries may be
imported only by the rendering layers.
"""

import ast
import re
from pathlib import Path

import pytest

import analysis

PACKAGE = Path(analysis.__file__).parent
ARCHITECTURE = PACKAGE.parents[1] / "ARCHITECTURE.md"

#: Lower number = lower layer. Kept in step with the table in ARCHITECTURE.md (tested).
LAYERS = {
    "analysis": 0,
    "errors": 0,
    "config": 1,
    "jsonable": 1,
    "dates": 1,
    "wording": 1,
    "clock": 1,
    "provenance": 2,
    "sources": 3,
    "cleaning": 4,
    "series": 5,
    "interventions": 5,
    "diagnostics": 5,
    "models": 6,
    "power": 7,
    "monitoring": 7,
    "robustness": 8,
    "verdict": 9,
    "core": 10,
    "replay": 11,
    "results": 11,
    "layout": 11,
    "figures": 12,
    "briefing": 13,
    "pipeline": 14,
    "batch": 15,
    "cli": 16,
}
RENDERING = {"figures", "briefing", "pipeline", "cli"}
PLOTTING = {"matplotlib", "seaborn", "IPython", "papermill", "nbconvert", "nbformat"}
#: Only the batch module may use the distributed engine.
ENGINE = {"dask", "distributed"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = rel.parts
        top = "analysis" if parts == ("__init__",) else parts[0]
        yield path, top


def _imports(path: Path):
    """(module name, line) of every import outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "analysis":
                for alias in node.names:
                    yield f"analysis.{alias.name}", node.lineno
            else:
                yield node.module, node.lineno


def test_every_module_has_a_layer():
    tops = {top for _, top in _modules()}
    assert tops <= set(LAYERS), f"add {sorted(tops - set(LAYERS))} to LAYERS and ARCHITECTURE.md"


@pytest.mark.parametrize(("path", "top"), list(_modules()), ids=lambda v: str(v)[-40:])
def test_imports_point_down(path, top):
    bad = []
    for name, line in _imports(path):
        parts = name.split(".")
        if parts[0] == "analysis" and len(parts) > 1:
            target = parts[1]
            if target == "__version__" or target == top:
                continue
            if target not in LAYERS:
                continue  # e.g. analysis.analyse through the lazy package attribute
            if LAYERS[target] >= LAYERS[top] and top != "analysis":
                bad.append(f"line {line}: {name} (layer {LAYERS[target]} >= {LAYERS[top]})")
        elif parts[0] in PLOTTING and top not in RENDERING:
            bad.append(f"line {line}: {name} (plotting/notebook library outside rendering)")
        elif parts[0] in ENGINE and top != "batch":
            bad.append(f"line {line}: {name} (only the batch module knows about Dask)")
    assert not bad, f"{path.relative_to(PACKAGE)} imports against ARCHITECTURE.md: {bad}"


def test_architecture_document_lists_the_same_layers():
    text = ARCHITECTURE.read_text()
    rows = re.findall(r"^\|\s*(\d+)\s*\|([^|]+)\|", text, flags=re.M)
    documented = {}
    for layer, names in rows:
        for name in re.findall(r"`([a-z_]+)`", names):
            documented[name] = int(layer)
    assert documented == LAYERS


def test_the_check_can_fail(tmp_path, monkeypatch):
    """A module of a low layer importing a high one is reported."""
    bad = tmp_path / "series.py"
    bad.write_text("from analysis.figures import export\nimport matplotlib.pyplot\n")
    monkeypatch.setattr("test_architecture.PACKAGE", tmp_path, raising=True)  # so relative_to works
    with pytest.raises(AssertionError, match="analysis.figures.*plotting"):
        test_imports_point_down(bad, "series")


def test_the_pipeline_names_resolve_and_the_runner_starts_light():
    """``analysis.pipeline`` imports its names on first use: each resolves, and the runner's
    process has not imported the modelling or plotting libraries when it starts the
    notebooks' kernel (analysis.pipeline.kernel)."""
    import subprocess
    import sys

    import analysis.pipeline as pipeline

    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name
    code = (
        "import sys, analysis.pipeline.runner\n"
        "print(sorted(m for m in ('statsmodels', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
