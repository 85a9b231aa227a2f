"""The project's own exceptions: each message says what is wrong and what to do."""


class AnalysisError(Exception):
    """Base class of every error the project raises on purpose."""


class DataUnavailableError(AnalysisError):
    """A data source is neither on disk, in the mirror, nor reachable."""


class SchemaError(AnalysisError):
    """A file does not have the columns the project expects."""


class RawFileConflictError(AnalysisError):
    """A raw file exists with different content; it is never overwritten silently."""


class CleaningInvariantError(AnalysisError):
    """Rows were lost or double counted between the input and clean + quarantine."""


class SeriesError(AnalysisError):
    """A monthly series cannot be built or does not suit a model."""


class InsufficientDataError(SeriesError):
    """Too few months before or after the intervention for the chosen model."""


class ModelSpecError(AnalysisError):
    """A model parameter is invalid or incompatible with the data."""


class PipelineError(AnalysisError):
    """A notebook of the pipeline failed; the previous outputs were left in place."""
