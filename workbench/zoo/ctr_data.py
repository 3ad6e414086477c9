"""CTR-style data sets: every field one column of integer codes, one group per field.

``adult_fields`` turns UCI Adult into 14 categorical fields (numeric ones bucketised by
quantiles); ``synthetic_ctr`` draws Zipf-distributed fields with planted pairwise and 3-way
field interactions. Both return a ``Dataset`` whose ``code_levels`` give each field's level labels,
so a model's vocabulary follows from the data (``field_vocab``).

Coding any table (``fields_from_frame``) lives in ``workbench.zoo.field_coding``, the synthetic
data in ``workbench.zoo.synthetic_ctr``; both are importable from here too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data import Dataset
from workbench.errors import DataError
from workbench.zoo.field_coding import fields_from_frame
from workbench.zoo.synthetic_ctr import PlantedInteractions, synthetic_ctr

__all__ = [
    "ADULT_CATEGORICAL",
    "ADULT_NUMERIC",
    "PlantedInteractions",
    "adult_fields",
    "field_levels",
    "field_vocab",
    "fields_from_frame",
    "synthetic_ctr",
]

ADULT_CATEGORICAL = (
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "gender",
    "native-country",
)
ADULT_NUMERIC = (
    "age",
    "fnlwgt",
    "educational-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
ADULT_TARGET = "income"
ADULT_FILE = "adult.csv.gz"


def field_vocab(dataset: Dataset) -> tuple[int, ...]:
    """Number of levels of each feature column of a codes data set (from ``code_levels``).

    Example
    -------
    >>> field_vocab(adult_fields())[:3]
    (10, 9, 9)
    """
    missing = [name for name in dataset.feature_names if name not in dataset.code_levels]
    if missing:
        raise DataError(
            f"column {missing[0]!r} has no code levels; build the data with adult_fields, "
            "synthetic_ctr or Dataset.from_frame(..., categorical='codes')"
        )
    return tuple(len(dataset.code_levels[name]) for name in dataset.feature_names)


def field_levels(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Level labels per field, in code order."""
    field_vocab(dataset)
    return {name: dataset.code_levels[name] for name in dataset.feature_names}


def adult_fields(path: str | Path | None = None, *, n_buckets: int = 10) -> Dataset:
    """UCI Adult as 14 coded fields: 8 categorical, 6 numeric bucketised by quantiles.

    Parameters
    ----------
    path : str or Path, optional
        The CSV (``adult.csv.gz`` layout); default the copy in ``sample_data/``.
    n_buckets : int
        Quantile buckets per numeric field; fewer when quantiles coincide (capital-gain is
        mostly 0).

    Returns
    -------
    Dataset
        Features in the file's column order, one group per field, codes as float32; "?" is a
        level of its own; target ``income`` with classes ("<=50K", ">50K").

    Example
    -------
    >>> data = adult_fields()
    >>> data.n_rows, data.n_groups, data.code_levels["workclass"][0]
    (48842, 14, '?')
    """
    from workbench.samples import sample_data_path

    source = sample_data_path(ADULT_FILE) if path is None else Path(path)
    if not source.is_file():
        raise DataError(f"path={str(source)!r} is not a file")
    frame = pd.read_csv(source)
    expected = (*ADULT_CATEGORICAL, *ADULT_NUMERIC, ADULT_TARGET)
    absent = [c for c in expected if c not in frame.columns]
    if absent:
        raise DataError(f"{source.name}: missing Adult columns {absent}")
    # The Adult test file writes ">50K." for ">50K".
    frame[ADULT_TARGET] = frame[ADULT_TARGET].astype(str).str.strip().str.rstrip(".")
    features = [c for c in frame.columns if c in expected and c != ADULT_TARGET]
    return fields_from_frame(
        frame[[*features, ADULT_TARGET]],
        ADULT_TARGET,
        positive=">50K",
        numeric=ADULT_NUMERIC,
        n_buckets=n_buckets,
    )
