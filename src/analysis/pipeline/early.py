"""A run with no complete month since the start: the "too early" verdict, results.json and
a one-page briefing (PDF and HTML) from the data as they are; no model is fitted."""

from __future__ import annotations

import json

from analysis.layout import RunLayout
from analysis.provenance import (
    code_version,
    write_json_atomic,
    write_text_atomic,
)


def complete_months(staged: RunLayout):
    """The city's complete months in notebook 10's monthly table (datetimes)."""
    import pandas as pd

    table = pd.read_csv(staged.monthly)
    return pd.to_datetime(table.loc[table["status"] == "complete", "month"])


def has_post_month(staged: RunLayout, request) -> bool:
    """Whether the city has a complete month from the first post month on."""
    return bool((complete_months(staged) >= request.spec.first_post_month()).any())


def early_outputs(request, params: dict, staged: RunLayout, run_at: str) -> dict:
    """No complete month since the start: the "too early" verdict, results.json and a
    one-page briefing (PDF and HTML) from the data as they are; no model is fitted."""
    from analysis.briefing import build_text_briefing, write_briefing_pdf
    from analysis.pipeline.html import early_html
    from analysis.pipeline.stages import run_info
    from analysis.results import early_document
    from analysis.verdict import early_verdict

    done = complete_months(staged)
    first_post = request.spec.first_post_month()
    last = done.max() if len(done) else None
    verdict = early_verdict(
        place=request.city,
        intervention=request.intervention,
        first_post=first_post,
        last_month=last,
        n_pre=int((done < first_post).sum()),
        min_post_months=request.criteria.min_post_months,
        confidence_level=request.spec.confidence_level,
    )
    inputs = json.loads(staged.inputs.read_text()) if staged.inputs.exists() else []
    doc = early_document(
        verdict,
        city=request.city,
        as_of=request.as_of,
        parameters=params,
        inputs=inputs,
        run_at=run_at,
        code=code_version(),
        intervention=request.intervention.to_dict(),
    )
    write_json_atomic(staged.results, doc)
    info = run_info(
        request.city, request.as_of, inputs[0]["sha256"] if inputs else "-", last, run_at
    )
    page = build_text_briefing(verdict, info, request.intervention)
    write_briefing_pdf(page, staged.briefing_pdf, verdict.title)
    title = f"{request.city}: {verdict.title}"
    html = early_html(
        title,
        verdict,
        staged.figure("descriptive"),
        f"Monthly homicides in {request.city}, before the start",
    )
    write_text_atomic(staged.briefing_html, html)
    return doc
