"""Type checks every public entry point shares, each a one-line error naming the argument.

Without them a wrong type fails deep inside torch or numpy (``'DataFrame' object has no attribute
'n_features'``, ``ufunc 'isfinite' not supported``, ``invalid literal for int()``), far from the
argument the user has to change.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from workbench.errors import ParameterError

#: numpy seeds are unsigned 32-bit integers
MAX_SEED = 2**32 - 1


def check_adapter(model: Any, argument: str = "model") -> None:
    """``model`` must be a ModelAdapter (what ``wrap_model`` / ``load_model_file`` return)."""
    from workbench.models.adapter import ModelAdapter

    if not isinstance(model, ModelAdapter):
        raise ParameterError(
            f"{argument}: expected a wrapped model, got {type(model).__name__}; "
            f"wrap it first: workbench.wrap_model({argument})"
        )


def check_dataset(dataset: Any, argument: str = "dataset", distinct_rows: bool = False) -> None:
    """``dataset`` must be a workbench Dataset (not a DataFrame or an array); where
    ``distinct_rows``, also the DistinctRows of data read in chunks."""
    from workbench.data import Dataset
    from workbench.data.chunked import DistinctRows

    if isinstance(dataset, DistinctRows):
        if distinct_rows:
            return
        raise ParameterError(
            f"{argument}: data read in chunks (DistinctRows) holds distinct rows only, which "
            "FISC's exact estimator uses (explore_rashomon); this analysis needs every row: "
            "load the data whole with Dataset.from_parquet"
        )
    if not isinstance(dataset, Dataset):
        raise ParameterError(
            f"{argument}: expected a workbench Dataset, got {type(dataset).__name__}; "
            "build one with Dataset.from_frame(frame, target=...)"
        )


def check_seed(value: Any, argument: str = "random_state") -> int:
    """An integer seed in [0, 2**32 - 1] (bools and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value <= MAX_SEED:
        raise ParameterError(f"{argument} must be an integer in [0, 2**32 - 1], got {value!r}")
    return int(value)


def check_positive_real(value: Any, argument: str) -> float:
    """A finite real number > 0 (a string such as "0.1" is refused, not parsed)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ParameterError(f"{argument} must be a positive number, got {value!r}")
    if value <= 0:
        raise ParameterError(f"{argument} must be a positive number, got {value!r}")
    return float(value)
