"""Interrupted time-series analysis of homicides around an intervention: did it change
violent crime, or is it still too early to tell?

At the centre is one pure function, :func:`analysis.analyse` (a request and in-memory data
in, an outcome out); everything else is a stage before it (sources, cleaning, series) or
a shell around it (figures, briefing, pipeline, cli). ``ARCHITECTURE.md`` gives the layers
and the direction of imports.
"""

__version__ = "0.1.0"

_CORE = ("analyse", "AnalysisRequest", "AnalysisData", "Outcome", "VerdictCriteria")


def __getattr__(name: str):
    # the core is imported on first use, so `import analysis` stays light (the CLI)
    if name in _CORE:
        from analysis import core

        return getattr(core, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


__all__ = [*_CORE, "__version__"]
