"""The clock, in one place. Only shells (the pipeline, the CLI) ask it; the analysis core
never does: its dates come in the request."""

from __future__ import annotations

from datetime import date


def today() -> date:
    return date.today()
