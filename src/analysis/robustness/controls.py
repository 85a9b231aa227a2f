"""Which cities may serve as comparisons: control eligibility for every city in the data.

A city is an eligible control when it is not the city analysed, the registry does not mark
it treated or excluded, the run's configuration does not exclude it, no programme of its
own starts within ``concurrent_months`` of the intervention (state-wide events touch every
city alike and do not count), and it has at least ``min_pre_months`` complete months with a
population before the first post month. A city the registry does not list is a candidate
control by default, and the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import config
from analysis.errors import ModelSpecError
from analysis.series import STATUS_COMPLETE


@dataclass(frozen=True)
class ComparisonSetup:
    """What the registry and the configuration say about other cities, as plain values.

    ``roles``: (city, role, reason) for each city the registry lists; ``events``: (city,
    name, start) of every programme the registry dates in a city; ``exclude``: (city,
    reason) excluded by configuration. ``enabled=False`` skips every robustness check;
    ``extras=False`` keeps the checks the verdict uses (comparative estimate, placebo dates,
    trend) and skips the rest (event study, per-city trends, synthetic control, sensitivity
    analyses), for simulations that need only the verdict.
    """

    roles: tuple[tuple[str, str, str], ...] = ()
    events: tuple[tuple[str, str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    min_pre_months: int = config.CONTROL_MIN_PRE_MONTHS
    concurrent_months: int = config.CONTROL_CONCURRENT_MONTHS
    enabled: bool = True
    extras: bool = True

    def __post_init__(self):
        for name in ("min_pre_months", "concurrent_months"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ModelSpecError(f"{name}={v!r}: give a whole number of months")
        for row in self.exclude:
            if len(row) != 2 or not all(isinstance(x, str) and x for x in row):
                raise ModelSpecError(
                    f"exclude_controls entry {row!r}: give a city and the reason, e.g. "
                    "{'Fresno': 'its own programme in 2012'}"
                )

    @classmethod
    def from_registry(cls, registry, exclude: dict | None = None, **kw) -> ComparisonSetup:
        roles = tuple((c, e.role, e.reason) for c, e in registry.cities.items())
        events = tuple(
            (c, ev.name, ev.start) for c, e in registry.cities.items() for ev in e.events
        )
        return cls(roles, events, tuple((exclude or {}).items()), **kw)


def _lookup(rows, city):
    return [r for r in rows if r[0].casefold() == city.casefold()]


def eligibility(
    panel: pd.DataFrame, treated: str, first_post: pd.Timestamp, setup: ComparisonSetup
) -> pd.DataFrame:
    """One row per city in ``panel``: role, where the role comes from, complete months
    before and after ``first_post``, eligible or not, and why."""
    first_post = pd.Timestamp(first_post)
    rows = []
    for city in sorted(panel["city"].unique()):
        months = panel[(panel["city"] == city) & (panel["status"] == STATUS_COMPLETE)]
        usable = months[months["population"].notna() & (months["population"] > 0)]
        pre = int((usable["month"] < first_post).sum())
        post = int((usable["month"] >= first_post).sum())
        known = _lookup(setup.roles, city)
        role, source, reason = ("control", "default", "")
        if known:
            role, source, reason = known[0][1], "registry", known[0][2]
        eligible, why = True, ""
        if city.casefold() == treated.casefold():
            role, eligible, why = "analysed", False, "the city analysed"
        elif role == "treated":
            eligible, why = False, reason or "treated, in the intervention registry"
        elif role == "excluded":
            eligible, why = False, reason or "excluded in the intervention registry"
        elif _lookup(setup.exclude, city):
            eligible, why = (
                False,
                f"excluded by configuration: {_lookup(setup.exclude, city)[0][1]}",
            )
        else:
            near = [
                (name, start)
                for _, name, start in _lookup(setup.events, city)
                if abs((pd.Timestamp(start) - first_post).days) <= setup.concurrent_months * 30.5
            ]
            if near:
                name, start = near[0]
                eligible, why = (
                    False,
                    (
                        f"{name} began on {start}, within {setup.concurrent_months} months of the "
                        "intervention"
                    ),
                )
            elif pre < setup.min_pre_months:
                eligible, why = (
                    False,
                    (
                        f"only {pre} complete months before {first_post:%B %Y} (needs "
                        f"{setup.min_pre_months})"
                    ),
                )
            elif post == 0:
                eligible, why = False, f"no complete month from {first_post:%B %Y} on"
            else:
                why = (
                    "a control in the intervention registry"
                    if source == "registry"
                    else "not in the intervention registry: a candidate control by default"
                )
        rows.append(
            {
                "city": city,
                "role": role,
                "role_source": source,
                "pre_months": pre,
                "post_months": post,
                "eligible": eligible,
                "reason": why,
            }
        )
    return pd.DataFrame(rows)
