"""The intervention registry: names and dates of interventions and concurrent events.

The registry is a reviewed data file (``data/interventions.yaml``, see its header); this
module parses it into plain objects and turns an intervention into the words a figure or
a briefing uses, so no name of a place or programme is written in code. A city without
an intervention of its own in the registry gets an unnamed :class:`Intervention` at the
run's date, and every sentence then speaks of that date, never of a programme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.dates import parse_day
from analysis.errors import ModelSpecError, SchemaError

ROLES = ("treated", "control", "excluded")
KINDS = ("intervention", "concurrent")


def _day(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    return parse_day(value, where, example="2012-11-01", error=SchemaError)


@dataclass(frozen=True)
class Intervention:
    """One intervention: a name (empty for an unnamed date) and its start and end."""

    start: str
    name: str = ""
    short_name: str = ""
    end_earliest: str | None = None
    end_latest: str | None = None
    review: str | None = None
    id: str = ""
    #: Dates worth marking on a timeline: (date, what was said or decided then).
    milestones: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "start", _day(self.start, "intervention start"))
        if self.start is None:
            raise ModelSpecError("an intervention needs a start date")

    @property
    def named(self) -> bool:
        return bool(self.short_name or self.name)

    @property
    def _what(self) -> str:
        return self.short_name or self.name

    @property
    def _month(self) -> str:
        return f"{pd.Timestamp(self.start):%B %Y}"

    # --- the words, for every place a text names the intervention
    @property
    def marker(self) -> str:
        """Label of the vertical line at the start."""
        return f"{self._what} begins" if self.named else f"{pd.Timestamp(self.start):%-d %B %Y}"

    @property
    def after(self) -> str:
        """'after ...': 'after the CHP partnership began' or 'after November 2012'."""
        return f"after the {self._what} began" if self.named else f"after {self._month}"

    @property
    def since(self) -> str:
        return f"since the {self._what} began" if self.named else f"since {self._month}"

    @property
    def before(self) -> str:
        """'before ...': 'before the CHP partnership' or 'before November 2012'."""
        return f"before the {self._what}" if self.named else f"before {self._month}"

    @property
    def without(self) -> str:
        """Legend of the counterfactual line."""
        return (
            f"projection without the {self._what}"
            if self.named
            else f"projection of the trend {self.before}"
        )

    @property
    def topic(self) -> str:
        """What a briefing is about: 'homicides and the CHP partnership'."""
        return f"homicides and the {self._what}" if self.named else f"homicides {self.around}"

    @property
    def during(self) -> str:
        """Label of its active months: 'during the CHP partnership'."""
        return f"during the {self._what}" if self.named else "while it was active"

    @property
    def around(self) -> str:
        return f"before and after {self._month}"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "short_name": self.short_name,
            "start": self.start,
            "end_earliest": self.end_earliest,
            "end_latest": self.end_latest,
            "review": self.review,
            "milestones": [{"date": d, "label": label} for d, label in self.milestones],
        }


@dataclass(frozen=True)
class Event:
    """An event of the registry (an intervention or a concurrent programme)."""

    id: str
    name: str
    kind: str
    start: str
    city: str | None
    short_name: str = ""
    primary: bool = False
    end_earliest: str | None = None
    end_latest: str | None = None
    review: str | None = None
    description: str = ""
    sources: tuple[str, ...] = ()
    milestones: tuple[tuple[str, str], ...] = ()

    def intervention(self) -> Intervention:
        return Intervention(
            start=self.start,
            name=self.name,
            short_name=self.short_name,
            end_earliest=self.end_earliest,
            end_latest=self.end_latest,
            review=self.review,
            id=self.id,
            milestones=self.milestones,
        )


@dataclass(frozen=True)
class CityEntry:
    city: str
    role: str
    reason: str = ""
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Registry:
    """Cities with their role and events, and the state-wide events."""

    cities: dict[str, CityEntry] = field(default_factory=dict)
    state_wide: tuple[Event, ...] = ()
    source: str = ""

    def entry(self, city: str) -> CityEntry | None:
        """The city's entry, matched without regard to letter case."""
        for name, entry in self.cities.items():
            if name.casefold() == city.casefold():
                return entry
        return None

    def primary(self, city: str) -> Event | None:
        entry = self.entry(city)
        if entry is None:
            return None
        return next((e for e in entry.events if e.kind == "intervention" and e.primary), None)

    def role(self, city: str) -> tuple[str, str]:
        """(role, reason); a city the registry does not list is a candidate control."""
        entry = self.entry(city)
        if entry is None:
            return "control", "not in the intervention registry: a candidate control by default"
        return entry.role, entry.reason

    def intervention_for(self, city: str, start: str | None = None) -> Intervention:
        """The city's primary intervention, or an unnamed one at ``start``.

        ``start`` given and different from the registry's date: an unnamed intervention at
        ``start`` (a sensitivity run must not borrow a programme's name for another date).
        """
        event = self.primary(city)
        if event is not None and (start in (None, "") or _day(start, "start") == event.start):
            return event.intervention()
        if start in (None, ""):
            from analysis import config

            start = config.INTERVENTION_DATE
        return Intervention(start=start)


def _milestones(raw, at: str) -> tuple[tuple[str, str], ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise SchemaError(f"{at}: milestones must be a list of {{date, label}}")
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or not m.get("date") or not m.get("label"):
            raise SchemaError(f"{at}: milestone {i + 1} needs a date and a label")
        out.append((_day(m["date"], f"{at} milestone {i + 1}"), str(m["label"])))
    return tuple(out)


def registry_from_dict(doc: dict, source: str = "") -> Registry:
    """Parse and check the registry document (as read from YAML)."""
    where = source or "the intervention registry"
    if not isinstance(doc, dict) or not isinstance(doc.get("cities", {}), dict):
        raise SchemaError(f"{where}: expected a mapping with 'cities'")

    def event(raw: dict, city: str | None, i: int) -> Event:
        at = f"{where}: {city or 'state_wide'} event {i + 1}"
        if not isinstance(raw, dict):
            raise SchemaError(f"{at}: expected a mapping")
        for key in ("id", "name", "kind", "start"):
            if not raw.get(key):
                raise SchemaError(f"{at}: '{key}' is missing")
        if raw["kind"] not in KINDS:
            raise SchemaError(f"{at}: kind {raw['kind']!r} is not one of {KINDS}")
        if not raw.get("sources"):
            raise SchemaError(f"{at} ({raw['id']}): every event needs a source")
        return Event(
            id=str(raw["id"]),
            name=str(raw["name"]),
            kind=raw["kind"],
            start=_day(raw["start"], f"{at} start"),
            city=city,
            short_name=str(raw.get("short_name", "")),
            primary=bool(raw.get("primary", False)),
            end_earliest=_day(raw.get("end_earliest"), f"{at} end_earliest"),
            end_latest=_day(raw.get("end_latest"), f"{at} end_latest"),
            review=_day(raw.get("review"), f"{at} review"),
            milestones=_milestones(raw.get("milestones"), at),
            description=str(raw.get("description", "")).strip(),
            sources=tuple(str(s) for s in raw["sources"]),
        )

    cities = {}
    for city, raw in doc.get("cities", {}).items():
        if raw.get("role") not in ROLES:
            raise SchemaError(f"{where}: {city}: role {raw.get('role')!r} is not one of {ROLES}")
        if raw["role"] == "excluded" and not raw.get("reason"):
            raise SchemaError(f"{where}: {city} is excluded: give the reason")
        events = tuple(event(e, city, i) for i, e in enumerate(raw.get("events") or []))
        primaries = [e for e in events if e.primary]
        if len(primaries) > 1:
            raise SchemaError(f"{where}: {city} has {len(primaries)} primary interventions")
        cities[str(city)] = CityEntry(
            str(city), raw["role"], str(raw.get("reason", "")).strip(), events
        )
    state = tuple(event(e, None, i) for i, e in enumerate(doc.get("state_wide") or []))
    return Registry(cities=cities, state_wide=state, source=source)


def load_registry(path: Path | str) -> Registry:
    """Read the registry file (YAML)."""
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"{path}: the intervention registry is missing") from exc
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML: {exc}") from exc
    return registry_from_dict(doc or {}, str(path))
