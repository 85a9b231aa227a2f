"""The run's ``results.json``: verdict, numbers, model, power and provenance in one file.

Its fields are documented by the JSON Schema ``results.schema.json`` beside this module
(checked by :func:`validate` before the file is written, and in the tests).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import jsonschema

from analysis.models import ITSResult
from analysis.power import PowerAnalysis
from analysis.provenance import code_version, utc_now
from analysis.verdict import Verdict

SCHEMA_VERSION = "1.0"


def schema() -> dict:
    return json.loads(resources.files("analysis").joinpath("results.schema.json").read_text())


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null; numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def results_document(
    result: ITSResult,
    power: PowerAnalysis | None,
    verdict: Verdict,
    *,
    city: str,
    as_of: str,
    parameters: dict,
    inputs: list[dict],
) -> dict:
    model = result.to_dict()
    model.pop("series")  # the series is in the CSV beside the main figure
    doc = {
        "schema_version": SCHEMA_VERSION,
        "city": city,
        "as_of": as_of,
        "run_at": utc_now(),
        "parameters": parameters,
        "verdict": verdict.to_dict(),
        "model": model,
        "power": power.to_dict() if power is not None else None,
        "provenance": {"inputs": inputs, "code": code_version()},
    }
    doc = _clean(doc)
    validate(doc)
    return doc


def validate(doc: dict) -> None:
    """Raise jsonschema.ValidationError if ``doc`` does not follow the schema."""
    jsonschema.validate(doc, schema())
