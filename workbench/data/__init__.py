"""Data sets as the analyses see them: a float32 feature matrix, a target and feature groups.

One job per module:

- ``dataset``: the :class:`Dataset` (accessors, fingerprint, subsets, splits, regrouping);
- ``readers``: DataFrames, CSV / Parquet files and arrays turned into its parts (one-hot
  blocks, category codes, class codes of the target);
- ``validation``: the checks every Dataset passes, with one-line messages naming the culprit;
- ``chunked``: :class:`DistinctRows`, data too large to load read from Parquet or Dask in chunks
  as distinct rows with counts (what FISC's exact estimator needs).

Groups themselves (``FeatureGroup`` and the grouping rules) live in ``workbench.grouping``.
"""

from workbench.data.chunked import DistinctRows
from workbench.data.dataset import Dataset
from workbench.data.readers import CATEGORICAL_MODES
from workbench.grouping import FeatureGroup

__all__ = ["CATEGORICAL_MODES", "Dataset", "DistinctRows", "FeatureGroup"]
