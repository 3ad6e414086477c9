"""Field-pair interaction scores of a CTR model, shown beside its gates.

The permutation FIS of the interactions analyzer (``score_interactions(index="fis")``):
FIS_ij = φ_ij − φ_i − φ_j, with φ_S the mean log-loss increase when the fields of S are
permuted. Fields are the data set's groups (one coded column each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.rashomon_result import INTERACTION_SEPARATOR
from workbench.deprecation import renamed_parameters

__all__ = ["field_interactions"]

COLUMNS = ["field_1", "field_2", "fis", "main_effect_1", "main_effect_2", "source"]


@renamed_parameters(seed="random_state")
def field_interactions(
    adapter,
    dataset,
    *,
    n_permutations: int = 10,
    random_state: int = 0,
    max_batch_rows: int | None = None,
) -> pd.DataFrame:
    """Permutation FIS of every field pair on the loss, largest |fis| first.

    Parameters
    ----------
    adapter : ModelAdapter
    dataset : Dataset
        Coded rows with a target.
    n_permutations : int
        Permutations per field.
    random_state : int
        Seed of the permutations (formerly ``seed``).
    max_batch_rows : int or None

    Returns
    -------
    DataFrame
        field_1, field_2, fis, main_effect_1, main_effect_2, source.
    """
    frame, mains = _from_interactions_analyzer(
        adapter, dataset, n_permutations, random_state, max_batch_rows
    )
    source = "analyzers.interactions.score_interactions(index='fis')"
    frame["main_effect_1"] = frame["field_1"].map(mains).astype(float)
    frame["main_effect_2"] = frame["field_2"].map(mains).astype(float)
    frame["source"] = source
    order = np.argsort(-frame["fis"].abs().to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)[COLUMNS]


def _from_interactions_analyzer(adapter, dataset, n_permutations, random_state, max_batch_rows):
    from analyzers.interactions import score_interactions

    result = score_interactions(
        adapter,
        dataset,
        index="fis",
        max_order=2,
        approximator="permutation",
        n_permutations=n_permutations,
        random_state=random_state,
        max_batch_rows=max_batch_rows,
    )
    mains = dict(zip(result.main_effects["group"], result.main_effects["value"], strict=True))
    pairs = [label.split(INTERACTION_SEPARATOR) for label in result.scores["pair"]]
    frame = pd.DataFrame(
        {
            "field_1": [p[0] for p in pairs],
            "field_2": [p[1] for p in pairs],
            "fis": result.scores["value"].to_numpy(dtype=float),
        }
    )
    return frame, mains
