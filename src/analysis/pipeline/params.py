"""A run's parameters, checked and turned into an :class:`~analysis.core.AnalysisRequest`.

Notebook parameters arrive as plain values (``None``: the project default from
:mod:`analysis.config`). Everything is checked here, before any notebook starts, so a
bad parameter is one clear message naming it.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path

from analysis import clock, config
from analysis.core import AnalysisRequest, VerdictCriteria
from analysis.dates import parse_day
from analysis.errors import ModelSpecError
from analysis.interventions import Registry, load_registry
from analysis.models import ITSSpec
from analysis.robustness import ComparisonSetup

#: Model parameters a run may set (the intervention date comes from the registry or
#: ``intervention_date``).
SPEC_PARAMETERS = tuple(f.name for f in fields(ITSSpec) if f.name != "intervention")
CRITERIA_PARAMETERS = tuple(f.name for f in fields(VerdictCriteria))


def resolve_as_of(value: str | date | None) -> str:
    """``"today"`` (or None) is the run date; otherwise a YYYY-MM-DD date."""
    if value in (None, "", "today"):
        return clock.today().isoformat()
    return parse_day(value, "as_of", example="2013-02-01 (or 'today')")


def make_spec(**params) -> ITSSpec:
    """An ITSSpec from notebook parameters; None means the project default."""
    unknown = set(params) - set(SPEC_PARAMETERS) - {"intervention"}
    if unknown:
        raise ModelSpecError(f"unknown model parameter(s) {sorted(unknown)}")
    return ITSSpec(**{k: v for k, v in params.items() if v is not None})


def project_registry(path: Path | str | None = None) -> Registry:
    """The intervention registry of this checkout (or the file at ``path``)."""
    return load_registry(path or config.registry_path())


def default_city(registry: Registry) -> str:
    """The registry's first treated city with a primary intervention: the question's city."""
    for name, entry in registry.cities.items():
        if entry.role == "treated" and registry.primary(name) is not None:
            return name
    raise ModelSpecError(
        f"{registry.source}: no treated city with a primary intervention; give the city"
    )


def make_request(
    city: str | None,
    as_of: str | date | None,
    *,
    registry: Registry,
    intervention_date: str | None = None,
    measure: str = "victims",
    reporting_lag_days: int | None = None,
    seed: int | None = None,
    exclude_controls: dict | None = None,
    robustness_checks: bool = True,
    **params,
) -> AnalysisRequest:
    """The request of one run: model parameters (``family``, ...) and verdict criteria
    (``min_post_months``, ...) by name; None takes the project default.

    The other cities' roles and programmes come from ``registry``; ``exclude_controls``
    ({city: reason}) excludes more by configuration; ``robustness_checks=False`` skips the
    comparison, placebo and sensitivity checks (a significant verdict is then qualified)."""
    unknown = set(params) - set(SPEC_PARAMETERS) - set(CRITERIA_PARAMETERS)
    if unknown:
        raise ModelSpecError(
            f"unknown parameter(s) {sorted(unknown)}; model parameters are "
            f"{list(SPEC_PARAMETERS)}, verdict parameters {list(CRITERIA_PARAMETERS)}"
        )
    city = city or default_city(registry)
    if intervention_date not in (None, ""):
        intervention_date = parse_day(intervention_date, "intervention_date", example="2012-11-01")
    intervention = registry.intervention_for(city, intervention_date)
    spec = make_spec(
        intervention=intervention.start,
        **{k: v for k, v in params.items() if k in SPEC_PARAMETERS},
    )
    chosen = {k: v for k, v in params.items() if k in CRITERIA_PARAMETERS and v is not None}
    if chosen.get("window_months") == 0:  # 0: no window, every post month up to as_of
        chosen["window_months"] = None
    criteria = VerdictCriteria(**chosen)
    return AnalysisRequest(
        city=city,
        as_of=resolve_as_of(as_of),
        intervention=intervention,
        spec=spec,
        criteria=criteria,
        measure=measure,
        reporting_lag_days=(
            config.REPORTING_LAG_DAYS if reporting_lag_days is None else reporting_lag_days
        ),
        seed=config.SEED if seed is None else seed,
        comparison=ComparisonSetup.from_registry(
            registry, exclude_controls, enabled=bool(robustness_checks)
        ),
    )
