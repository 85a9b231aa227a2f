"""Interrupted time-series analysis of homicides around the Stockton PD / CHP partnership.

The package is a one-way pipeline; each module imports only from the stages before it::

    config, errors, provenance          (shared foundations)
    sources -> cleaning -> series -> models -> diagnostics -> power -> verdict
            -> figures -> briefing -> pipeline / cli
"""

__version__ = "0.1.0"
