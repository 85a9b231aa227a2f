import copy
import json

import jsonschema
import numpy as np
import pytest

from analysis.models import fit_its
from analysis.power import power_analysis
from analysis.results import document_from_parts, schema, validate
from analysis.verdict import LABELS, decide

from conftest import simulate_series


@pytest.fixture(scope="module")
def document():
    series, when = simulate_series(rng=np.random.default_rng(41), n_post=6)
    result = fit_its(series, intervention=when)
    power = power_analysis(result, n_simulations=30, max_post_months=12, mde=False)
    verdict = decide(result, power, place="Testville")
    inputs = [{"path": "data/raw/x.csv", "sha256": "0" * 64, "bytes": 1}]
    return document_from_parts(
        result,
        power,
        verdict,
        city="Testville",
        as_of="2014-07-01",
        parameters={"n_simulations": 30},
        inputs=inputs,
        run_at="2026-12-02T00:00:00+00:00",
        code={"package": "analysis", "version": "0.1.0", "commit": None},
    )


def test_document_follows_the_schema_and_is_plain_json(document):
    validate(document)
    text = json.dumps(document, allow_nan=False)  # no NaN or infinity sneaks in
    # 6 post months < 12: too early, or (power short of the target) cannot tell
    assert json.loads(text)["verdict"]["label"] in ("too_early", "cannot_tell")
    assert document["power"]["current_post_months"] == 6
    assert document["provenance"]["code"]["version"]


def test_schema_rejects_an_unknown_label(document):
    bad = copy.deepcopy(document)
    bad["verdict"]["label"] = "probably_fine"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_schema_rejects_a_missing_checksum(document):
    bad = copy.deepcopy(document)
    bad["provenance"]["inputs"][0]["sha256"] = "abc"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_schema_documents_the_verdict_labels():
    labels = schema()["properties"]["verdict"]["properties"]["label"]["enum"]
    assert labels == list(LABELS)
