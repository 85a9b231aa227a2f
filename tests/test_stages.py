"""The notebooks' stages: the model is fitted once per run, and the briefing renders it."""

import json

import pytest

from analysis import core, pipeline
from analysis.layout import RunLayout
from analysis.models import engine

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def staged(tmp_path_factory, mirror):
    root = tmp_path_factory.mktemp("stages")
    pipeline.stage_clean("Stockton", "2014-01-01", output_root=root, raw_dir=mirror)
    model = pipeline.stage_model("Stockton", "2014-01-01", output_root=root, n_simulations=10)
    return root, model


def _no_fit(*_args, **_kwargs):
    raise AssertionError("the briefing stage refitted the model")


def test_briefing_renders_the_model_stage_outcome_without_refitting(staged, monkeypatch):
    root, model = staged
    for target, name in ((core, "analyse"), (engine, "fit_model"), (engine, "fit_once")):
        monkeypatch.setattr(target, name, _no_fit)
    briefing = pipeline.stage_briefing("Stockton", "2014-01-01", output_root=root)
    doc = json.loads(RunLayout.under(root, "Stockton", "2014-01-01").results.read_text())
    assert doc["verdict"]["numbers"]["rate_ratio"] == model.outcome.result.rate_ratio["estimate"]
    assert doc["verdict"]["label"] == briefing.verdict.label == model.outcome.verdict.label
    assert doc["intervention"]["id"] == "stockton-chp-partnership"
    assert "CHP partnership" in doc["verdict"]["title"]


def test_briefing_without_the_model_stage_says_what_to_run(tmp_path):
    with pytest.raises(Exception, match="run notebooks/20_model.ipynb"):
        pipeline.stage_briefing("Stockton", "2014-01-01", output_root=tmp_path)


def test_a_city_without_an_intervention_speaks_of_the_date(tmp_path, mirror):
    pipeline.stage_clean("Fresno", "2014-01-01", output_root=tmp_path, raw_dir=mirror)
    model = pipeline.stage_model("Fresno", "2014-01-01", output_root=tmp_path, n_simulations=5)
    verdict = model.outcome.verdict
    text = " ".join([verdict.title, verdict.headline, verdict.supporting, verdict.caveat])
    assert "partnership" not in text.lower() and "CHP" not in text
    assert "November 2012" in text


def test_notebooks_run_by_hand_write_to_a_scratch_folder(tmp_path, mirror, monkeypatch):
    """A notebook run in place in JupyterLab (empty output_root) never writes the official
    outputs: everything lands under runs/scratch."""
    monkeypatch.setenv("ANALYSIS_PROJECT_ROOT", str(tmp_path))
    stage = pipeline.stage_clean("Stockton", "2014-01-01", raw_dir=mirror)
    assert stage.written and all(
        p.is_relative_to(tmp_path / "runs" / "scratch") for p in stage.written
    )
    for official in ("data/processed", "figures", "reports"):
        assert not (tmp_path / official).exists()
