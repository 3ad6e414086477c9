"""Field-pair interaction scores of a CTR model, shown beside its gates.

Uses the interactions analyzer (``analyzers.interactions.score_interactions``, index "fis")
when it is installed. Until that lands on this branch the same quantity is computed here with
the same kernel: FIS_ij = φ_ij − φ_i − φ_j, with φ_S the mean log-loss increase when the fields
of S are permuted (``SubsetLossKernel`` at the unit mask, as the reference FIS of
``analyzers.rashomon``). Fields are the data set's groups (one coded column each).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch

from analyzers.rashomon_frames import effects_from_subset_losses
from analyzers.rashomon_result import INTERACTION_SEPARATOR
from workbench.kernels.subset_losses import SubsetLossKernel

__all__ = ["field_interactions"]

COLUMNS = ["field_1", "field_2", "fis", "main_effect_1", "main_effect_2", "source"]


def field_interactions(
    adapter,
    dataset,
    *,
    n_permutations: int = 10,
    seed: int = 0,
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
    seed : int
    max_batch_rows : int or None

    Returns
    -------
    DataFrame
        field_1, field_2, fis, main_effect_1, main_effect_2, source.
    """
    try:
        frame, mains = _from_interactions_analyzer(
            adapter, dataset, n_permutations, seed, max_batch_rows
        )
        source = "analyzers.interactions.score_interactions(index='fis')"
    except ImportError:  # the interactions analyzer (issue 5) is not installed beside this one
        frame, mains = _permutation_fis(adapter, dataset, n_permutations, seed, max_batch_rows)
        source = "SubsetLossKernel permutation FIS"
    frame["main_effect_1"] = frame["field_1"].map(mains).astype(float)
    frame["main_effect_2"] = frame["field_2"].map(mains).astype(float)
    frame["source"] = source
    order = np.argsort(-frame["fis"].abs().to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)[COLUMNS]


def _from_interactions_analyzer(adapter, dataset, n_permutations, seed, max_batch_rows):
    from analyzers.interactions import score_interactions

    result = score_interactions(
        adapter,
        dataset,
        index="fis",
        order=2,
        estimator="permutation",
        n_permutations=n_permutations,
        seed=seed,
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


def _permutation_fis(adapter, dataset, n_permutations, seed, max_batch_rows):
    kernel = SubsetLossKernel(
        adapter,
        dataset,
        estimator="permutation",
        n_permutations=n_permutations,
        max_batch_rows=max_batch_rows,
        seed=seed,
    )
    names = dataset.group_names
    p = len(names)
    singles = kernel.subset_losses(torch.ones((p, p)), torch.arange(p).unsqueeze(1))  # (p, 2)
    mains = dict(zip(names, (singles[:, 1] - singles[:, 0]).tolist(), strict=True))
    combos = list(itertools.combinations(range(p), 2))
    losses = kernel.subset_losses(
        torch.ones((len(combos), p)), torch.tensor(combos, dtype=torch.int64)
    )  # (pairs, 4)
    _, joint, combo_mains = effects_from_subset_losses(losses, 2)
    frame = pd.DataFrame(
        {
            "field_1": [names[a] for a, _ in combos],
            "field_2": [names[b] for _, b in combos],
            "fis": joint - combo_mains.sum(axis=1),
        }
    )
    return frame, mains
