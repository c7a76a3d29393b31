"""User-facing errors. The CLI prints any `GanfleetError` as one line and exits 2."""


class GanfleetError(Exception):
    """Base class for errors caused by input, not by a bug: bad data, config or files."""


class DataError(GanfleetError):
    """A data source is missing, malformed or inconsistent (names the file and what was expected)."""


class ConfigError(GanfleetError):
    """A configuration value or file is invalid (names the key and the valid choices)."""


class CheckpointError(GanfleetError):
    """A run directory or checkpoint is missing, corrupt or incompatible."""


class EvaluationError(GanfleetError):
    """An evaluation input (classifier, Inception weights, run, samples) is missing or does not match the data."""


class ClusterError(GanfleetError):
    """A multi-process launch is misconfigured, or another rank of the job failed or vanished."""
