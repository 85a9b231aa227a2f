"""The project's own files: dependencies in sync, notebooks papermill-ready and reviewable."""

import json
import re
import tomllib

import papermill as pm
import pytest
import yaml

from analysis.config import project_root

ROOT = project_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _normalise(spec: str) -> str:
    return re.sub(r"\s+", "", spec).lower().replace("_", "-")


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = {_normalise(d) for d in project["dependencies"]}
    pip_deps |= {_normalise(d) for d in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_normalise(d) for d in env["dependencies"] if isinstance(d, str)}
    conda = {d for d in conda if not d.startswith(("python", "pip"))}
    assert conda == pip_deps
    assert "conda-forge" in env["channels"]


def test_the_lock_file_pins_every_declared_dependency_within_its_range():
    """requirements.lock (what make setup installs) pins each dependency of pyproject.toml
    (and so of environment.yml) at a version its range allows, and this environment has
    those versions installed."""
    from importlib import metadata

    from packaging.requirements import Requirement

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_canonical(name)] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        req = Requirement(spec)
        name = _canonical(req.name)
        assert name in pins, f"{req.name} is not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (spec, pins[name])
        assert metadata.version(req.name) == pins[name], f"{req.name}: installed differs"


def test_nothing_imported_by_every_notebook_process_builds_grammars_on_import():
    """rfc3987-syntax (brought by jsonschema>=4.25's format-nongpl extra) costs 1.4 s in
    every process that imports nbformat; the lock keeps jsonschema below it (see its
    header), and a regenerated lock must not bring it back."""
    import subprocess
    import sys

    pinned = {
        _canonical(line.partition("==")[0])
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert "rfc3987-syntax" not in pinned
    code = "import sys, papermill, analysis.results; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_notebooks_in_phase_order():
    assert [p.name for p in NOTEBOOKS] == [
        "10_clean.ipynb",
        "20_model.ipynb",
        "30_briefing.ipynb",
        "40_replay.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_parameters_cell_and_no_outputs(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert first_code is tagged[0]  # parameters come before any other code
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert nb["metadata"]["kernelspec"]["name"] == "analysis"
    # papermill can read every parameter (a comment it cannot parse hides the line)
    declared = [ln for ln in "".join(tagged[0]["source"]).splitlines() if "=" in ln]
    assert len(pm.inspect_notebook(str(path))) == len(declared)


@pytest.mark.parametrize(
    ("name", "needed"),
    [
        ("10_clean.ipynb", {"city", "as_of", "intervention_date", "output_root", "raw_dir"}),
        (
            "20_model.ipynb",
            {
                "city",
                "as_of",
                "intervention_date",
                "family",
                "seasonality",
                "estimator",
                "confidence_level",
                "min_post_months",
                "effect_that_matters",
                "target_power",
                "n_simulations",
                "seed",
                "output_root",
                "window_months",
                "monitoring_horizon_months",
                "run_at",
            },
        ),
        ("30_briefing.ipynb", {"city", "as_of", "output_root", "run_at"}),
        ("40_replay.ipynb", {"city", "start", "end", "monitoring_horizon_months", "raw_dir"}),
    ],
)
def test_notebook_parameters(name, needed):
    assert needed <= set(pm.inspect_notebook(str(ROOT / "notebooks" / name)))


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    for target in ("help:", "run:", "test:", "data:"):
        assert target in makefile
