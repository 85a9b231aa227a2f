"""Stage 2, cleaning: the Washington Post homicide file, row by row, into a clean table.

Every **physical line** of the input is accounted for: the header, a blank line, or a
data row that ends up in exactly one of two tables:

* ``incidents`` (one row per victim, **without names**), possibly with ``notes``
  saying what was repaired (for example an unknown age set to missing);
* ``quarantine``: the physical line number, uid, city, reported date, a ``reason`` code
  from :data:`QUARANTINE_REASONS` and a detail written by this module.

``1 + blank + clean + quarantined = physical lines`` is checked in code
(:class:`CleaningInvariantError` if not), and :func:`clean_homicides` returns a report of
counts per reason and per city.

**Lines, not records.** Each physical line is parsed on its own, so one stray quote can
damage only its own line, never swallow the lines after it (a CSV reader would read on to
the next quote). A line with an unbalanced quote is split on commas instead; it is kept,
with a note, when that gives the header's number of fields and no field the analysis uses
holds a quote; otherwise it is quarantined. A record that a CSV writer spread over several
lines (a quoted line break) is quarantined line by line. Control characters (NUL and the
like), over-long lines and CSV errors are quarantined with their reason.

**Names never leave.** Victim names are read only to recognise rows identical but for the
uid, and are dropped before anything leaves this module. The quarantine carries only
values validated as a uid, a date of digits, or a city from the clean rows; anything else
is written as ``[redacted]`` (a damaged line can hold a name in any position).

**Cities.** Letter case and white space do not make a new city: spellings are grouped
and the most common one is kept (a note says so). A city name seen on fewer than
``min_city_rows`` rows is a damaged row, not a city, and is quarantined; so is a row whose
state is not the city's usual state. The report lists the cities with their row counts.

**Incident rule.** Victims of the same city, reported date and coordinates (rounded
to ``incident_coordinate_decimals``, 4 decimals ~ 11 m) form one incident, named by
its smallest uid. A victim without coordinates is an incident of its own (the data
cannot tell). This makes the 14 San Bernardino victims of 2 December 2015 one incident.
"""

from __future__ import annotations

from analysis.cleaning.lines import REDACTED
from analysis.cleaning.options import (
    CLEAN_COLUMNS,
    DISPOSITIONS,
    NAME_COLUMNS,
    NOTES,
    QUARANTINE_COLUMNS,
    QUARANTINE_REASONS,
    CleaningOptions,
    CleaningResult,
)
from analysis.cleaning.rows import city_names, clean_homicides

__all__ = [
    "CLEAN_COLUMNS",
    "DISPOSITIONS",
    "NAME_COLUMNS",
    "NOTES",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_REASONS",
    "REDACTED",
    "CleaningOptions",
    "CleaningResult",
    "city_names",
    "clean_homicides",
]
