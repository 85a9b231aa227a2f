"""The intervention registry: parsed and checked, and the words it gives every text."""

import pytest

from analysis.config import registry_path
from analysis.errors import SchemaError
from analysis.interventions import Intervention, load_registry, registry_from_dict


@pytest.fixture(scope="module")
def registry():
    return load_registry(registry_path())


def test_the_project_registry_holds_the_known_events(registry):
    chp = registry.primary("Stockton")
    assert (chp.start, chp.end_earliest, chp.end_latest, chp.review) == (
        "2012-11-01",
        "2013-01-28",
        "2013-03-01",
        "2013-02-01",
    )
    ids = {e.id for e in registry.entry("Stockton").events}
    assert {"stockton-chp-partnership", "stockton-ceasefire"} <= ids
    assert registry.role("Oakland")[0] == "excluded" and "CHP" in registry.role("Oakland")[1]
    assert registry.role("Fresno")[0] == "control"  # not listed: a candidate by default
    every = [e for c in registry.cities.values() for e in c.events] + list(registry.state_wide)
    assert all(e.sources for e in every)


def test_an_unnamed_intervention_speaks_of_its_date(registry):
    fresno = registry.intervention_for("Fresno", "2012-11-01")
    assert not fresno.named
    assert fresno.after == "after November 2012" and "partnership" not in fresno.without
    stockton = registry.intervention_for("STOCKTON")
    assert stockton.named and stockton.after == "after the CHP partnership began"
    # another date than the registry's is not the programme: no borrowed name
    moved = registry.intervention_for("Stockton", "2012-09-01")
    assert not moved.named and moved.start == "2012-09-01"


def test_registry_errors_name_the_problem():
    with pytest.raises(SchemaError, match="every event needs a source"):
        registry_from_dict(
            {
                "cities": {
                    "X": {
                        "role": "treated",
                        "events": [
                            {"id": "x", "name": "X", "kind": "intervention", "start": "2012-01-01"}
                        ],
                    }
                }
            }
        )
    with pytest.raises(SchemaError, match="role 'maybe'"):
        registry_from_dict({"cities": {"X": {"role": "maybe"}}})
    with pytest.raises(SchemaError, match="excluded: give the reason"):
        registry_from_dict({"cities": {"X": {"role": "excluded"}}})
    with pytest.raises(SchemaError, match="start='2012-13-01': give a date"):
        registry_from_dict(
            {
                "cities": {
                    "X": {
                        "role": "treated",
                        "events": [
                            {
                                "id": "x",
                                "name": "X",
                                "kind": "intervention",
                                "start": "2012-13-01",
                                "sources": ["s"],
                            }
                        ],
                    }
                }
            }
        )


def test_intervention_start_must_be_a_date():
    with pytest.raises(SchemaError):
        Intervention(start="someday")
