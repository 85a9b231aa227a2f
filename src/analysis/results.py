"""The run's ``results.json``: verdict, numbers, model, power and provenance in one file.

Its fields are documented by the JSON Schema ``results.schema.json`` beside this module
(checked by :func:`validate` before the document is returned, and in the tests). Building
the document is pure: the run time and the code version are given by the caller.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

from analysis.jsonable import jsonable
from analysis.models import ITSResult
from analysis.power import PowerAnalysis
from analysis.verdict import Verdict

if TYPE_CHECKING:
    from analysis.core import Outcome

SCHEMA_VERSION = "1.0"


def schema() -> dict:
    return json.loads(resources.files("analysis").joinpath("results.schema.json").read_text())


def document_from_parts(
    result: ITSResult | None,
    power: PowerAnalysis | None,
    verdict: Verdict,
    *,
    city: str,
    as_of: str,
    parameters: dict,
    inputs: list[dict],
    run_at: str,
    code: dict,
    intervention: dict | None = None,
    robustness: dict | None = None,
) -> dict:
    """The results document from its parts (see :func:`results_document`); ``result``
    None: no model was fitted (no complete month since the start)."""
    model = None
    if result is not None:
        model = result.to_dict()
        model.pop("series")  # the series is in the CSV beside the main figure
    doc = {
        "schema_version": SCHEMA_VERSION,
        "city": city,
        "as_of": as_of,
        "run_at": run_at,
        "parameters": parameters,
        "intervention": intervention,
        "verdict": verdict.to_dict(),
        "model": model,
        "power": power.to_dict() if power is not None else None,
        "robustness": robustness,
        "provenance": {"inputs": inputs, "code": code},
    }
    if intervention is None:
        doc.pop("intervention")
    doc = jsonable(doc)
    validate(doc)
    return doc


def results_document(
    outcome: Outcome, *, inputs: list[dict], run_at: str, code: dict, parameters: dict | None = None
) -> dict:
    """The results document of an outcome; ``parameters`` default to the request's."""
    request = outcome.request
    return document_from_parts(
        outcome.result,
        outcome.power,
        outcome.verdict,
        city=request.city,
        as_of=request.as_of,
        parameters=parameters if parameters is not None else request.to_dict(),
        inputs=inputs,
        run_at=run_at,
        code=code,
        intervention=request.intervention.to_dict(),
        robustness=outcome.robustness.to_dict() if outcome.robustness is not None else None,
    )


def early_document(verdict: Verdict, **parts) -> dict:
    """The results document of a run with no complete post-intervention month: the
    "too early" verdict, no model, no power, no robustness checks."""
    return document_from_parts(None, None, verdict, **parts)


def validate(doc: dict) -> None:
    """Raise jsonschema.ValidationError if ``doc`` does not follow the schema."""
    import jsonschema  # imported here: it takes seconds, and only writing results needs it

    jsonschema.validate(doc, schema())
