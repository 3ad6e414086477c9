"""Errors a user can act on: one line that names the argument and what is wrong.

Every error raised at a boundary of the workbench (data, models, parameters) derives from
``WorkbenchError``, a ``ValueError``, so callers can catch one type and the CLI can print the
message without a traceback.
"""


class WorkbenchError(ValueError):
    """Base class: the message is a single line meant for the user."""


class DataError(WorkbenchError):
    """The data set is unusable as given (shape, dtype, NaN, unknown column, ...)."""


class ModelError(WorkbenchError):
    """The model could not be wrapped, loaded or evaluated."""


class ParameterError(WorkbenchError):
    """An analysis parameter is out of range or inconsistent with the data."""


class SiteOutputError(ParameterError):
    """A site's output is not a tensor with an axis ``rows_axis``: callers that look for the
    axis holding the rows (attention read with rows on any axis) try the next one on this."""
