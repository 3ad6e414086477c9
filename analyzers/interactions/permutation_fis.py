"""Permutation feature interaction score (FIS) of one model: the FISC definition, reused.

FIS_I = φ_I - sum_{i in I} φ_i, with φ_S the mean loss increase when the groups of S are
replaced by permuted (or, with the exact estimator, marginal) values; see docs/fisc.md. This is
the reference-model FIS of ``analyzers.rashomon``: the same ``SubsetLossKernel`` at the unit
mask, so both analyses give identical numbers for the same settings.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from analyzers.fis import subset_effects
from analyzers.interaction_result import InteractionResult
from analyzers.interactions import frames
from workbench.deprecation import renamed_parameters
from workbench.kernels.subset_losses import SubsetLossKernel


@renamed_parameters(seed="random_state", order="max_order", estimator="approximator")
def permutation_fis(
    adapter,
    dataset,
    *,
    max_order: int,
    model_name: str,
    approximator: str = "auto",
    n_permutations: int = 30,
    permutation: str = "independent",
    max_batch_rows: int | None = None,
    random_state: int = 0,
) -> InteractionResult:
    """Global FIS of every pair (and triple) of groups, with the main effects φ_i.

    Parameters
    ----------
    adapter : ModelAdapter
    dataset : Dataset
        The explained rows, with a target (FIS is defined on the loss).
    max_order : {2, 3}
        Highest order scored (3: pairs and triples).
    model_name : str
    approximator, n_permutations, permutation, max_batch_rows, random_state
        As ``estimator``, ``n_permutations``, ``permutation``, ``max_batch_rows`` and ``seed``
        of ``SubsetLossKernel``.

    Returns
    -------
    InteractionResult
        Global signed FIS per interaction; main effects φ_i (loss increase).
    """
    start = time.perf_counter()
    kernel = SubsetLossKernel(
        adapter,
        dataset,
        estimator=approximator,
        n_permutations=n_permutations,
        permutation=permutation,
        max_batch_rows=max_batch_rows,
        seed=random_state,
    )
    names = dataset.group_names
    p = len(names)
    singles = kernel.subset_losses(
        torch.ones((p, p)), torch.arange(p, dtype=torch.int64).unsqueeze(1)
    )  # (p, 2): loss, loss with the group replaced
    mains = (singles[:, 1] - singles[:, 0]).numpy()
    fis = []
    for size in range(2, max_order + 1):
        combos = list(itertools.combinations(range(p), size))
        losses = kernel.subset_losses(
            torch.ones((len(combos), p)), torch.tensor(combos, dtype=torch.int64)
        )
        fis.append(subset_effects(losses, size).fis)
    labels = frames.pair_labels(names, range(2, max_order + 1))
    settings = {
        "estimator": kernel.estimator,
        "loss": adapter.loss.name,
        "n_permutations": kernel.n_permutations,
        "permutation": permutation,
        "order": max_order,
        "n_rows": dataset.n_rows,
        "seed": random_state,
        "reference_loss": float(singles[0, 0]),
        "main_effect": "loss_increase",
    }
    return InteractionResult(
        model_names=(model_name,),
        index="fis",
        group_names=names,
        scores=frames.global_scores(model_name, "fis", labels, np.concatenate(fis)),
        main_effects=frames.main_effect_frame(model_name, "fis", names, mains),
        settings=settings,
        seconds=time.perf_counter() - start,
    )
