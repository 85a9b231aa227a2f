"""Numbers and words for a reader without statistics: one place formats them all.

Every figure, briefing and sentence formats its numbers here, so a p-value, a percentage
or a count of months reads the same everywhere.
"""

from __future__ import annotations

import math

import pandas as pd


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """'1 month', '3 months', '1 homicide', '0 homicides'."""
    n_int = int(round(n))
    return f"{n_int} {word if n_int == 1 else (many or word + 's')}"


def p_value(p: float | None) -> str:
    """'p < 0.001', 'p = 0.04', 'p = 0.31'; 'p unknown' when not computed."""
    if p is None or not math.isfinite(p):
        return "p unknown"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def percent(x: float, *, signed: bool = False) -> str:
    """A share as a rounded percentage: 0.583 -> '58%' ('+58%' / '-58%' when signed)."""
    value = round(100 * x)
    if signed:
        return f"{value:+d}%" if value else "0%"
    return f"{value}%"


def level(confidence_level: float) -> str:
    """0.95 -> '95%' (never 0.950000000004)."""
    return f"{round(confidence_level * 100, 1):g}%"


def count(x: float) -> str:
    """A count of homicides, rounded: 261.2 -> '261', 1234 -> '1,234'."""
    return f"{round(x):,d}"


def month(when) -> str:
    """'December 2016'."""
    return f"{pd.Timestamp(when):%B %Y}"


def day(when) -> str:
    """'1 November 2012'."""
    stamp = pd.Timestamp(when)
    return f"{stamp.day} {stamp:%B %Y}"


def data_through(last_month) -> str:
    """'data through December 2016': the data period, distinct from the run date."""
    return f"data through {month(last_month)}"


def clause(sentence: str) -> str:
    """A sentence as a clause inside another: no final full stop, and a first word that is
    not a name (its second letter is lower case) in lower case."""
    text = sentence.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text
