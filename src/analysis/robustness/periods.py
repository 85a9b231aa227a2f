"""The intervention as a window in time: named periods and the segments that estimate them.

* **during**: the intervention's active months, from the first post month to the month of
  its end (``end_earliest`` when the end is uncertain; the later end is a sensitivity
  variant). A month counts when the programme ran for at least half of it.
* **first_year** (or the declared window): the first ``window`` post months.
* **later**: every month after the window.

The periods overlap (the first year holds the active months), so a model estimates them
through mutually exclusive *segments*, one step term each; a period's rate ratio is the
ratio of fitted to counterfactual sums over its months (:mod:`analysis.robustness.fits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.interventions import Intervention


@dataclass(frozen=True)
class Period:
    """A named stretch of post-intervention months (``end`` inclusive; None: open)."""

    key: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    note: str = ""

    def mask(self, months: pd.DatetimeIndex):
        inside = months >= self.start
        if self.end is not None:
            inside &= months <= self.end
        return inside

    def span(self, months: pd.DatetimeIndex) -> str:
        """'November 2012 to January 2013' over the months present."""
        got = months[self.mask(months)]
        if len(got) == 0:
            return "no month in the data yet"
        first, last = got[0], got[-1]
        if first == last:
            return f"{first:%B %Y}"
        return f"{first:%B %Y} to {last:%B %Y}"

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "start": f"{self.start:%Y-%m}",
            "end": None if self.end is None else f"{self.end:%Y-%m}",
            "note": self.note,
        }


def end_month(day: str) -> pd.Timestamp:
    """The last month a programme ending on ``day`` ran for at least half of."""
    d = pd.Timestamp(day)
    month = d.to_period("M")
    if d.day < 15:
        month -= 1
    return month.to_timestamp()


def _add(month: pd.Timestamp, n: int) -> pd.Timestamp:
    return (month.to_period("M") + n).to_timestamp()


def named_periods(
    intervention: Intervention, first_post: pd.Timestamp, window: int, *, end: str | None = None
) -> list[Period]:
    """During (when the intervention has an end), the first ``window`` months, later.

    ``end`` overrides the intervention's end (a sensitivity variant).
    """
    out = []
    end = end or intervention.end_earliest or intervention.end_latest
    window_end = _add(first_post, window - 1)
    if end is not None and end_month(end) >= first_post:
        last = min(end_month(end), window_end)
        note = ""
        if (
            intervention.end_earliest
            and intervention.end_latest
            and intervention.end_earliest != intervention.end_latest
        ):
            note = (
                f"the end is uncertain ({intervention.end_earliest} to "
                f"{intervention.end_latest}); this period ends with {last:%B %Y}"
            )
        out.append(Period("during", intervention.during, first_post, last, note))
    first_label = "the first year" if window == 12 else f"the first {window} months"
    out.append(Period("first_year", first_label, first_post, window_end))
    out.append(
        Period("later", f"later (from {_add(window_end, 1):%B %Y})", _add(window_end, 1), None)
    )
    return out


def segments(periods: list[Period]) -> list[tuple[pd.Timestamp, pd.Timestamp | None]]:
    """Mutually exclusive (start, end) month ranges whose unions are the periods."""
    cuts = sorted({p.start for p in periods} | {_add(p.end, 1) for p in periods if p.end})
    out = []
    for i, start in enumerate(cuts):
        stop = _add(cuts[i + 1], -1) if i + 1 < len(cuts) else None
        out.append((start, stop))
    return out


def segment_columns(months: pd.DatetimeIndex, periods: list[Period]) -> dict[str, object]:
    """One 0/1 step column per segment that has a month in ``months``."""
    cols = {}
    for i, (start, stop) in enumerate(segments(periods)):
        inside = months >= start
        if stop is not None:
            inside &= months <= stop
        if inside.any():
            cols[f"step{i}"] = inside.astype(float)
    return cols
