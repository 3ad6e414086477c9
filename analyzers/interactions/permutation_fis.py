"""Permutation feature interaction score (FIS) of one model: the FISC definition, reused.

FIS_I = φ_I - sum_{i in I} φ_i, with φ_S the mean loss increase when the groups of S are
replaced by permuted (or, with the exact estimator, marginal) values; see docs/fisc.md. This is
the reference-model FIS of ``analyzers.rashomon``: the same ``SubsetLossKernel`` at the unit
mask, so both analyses give the same numbers for the same settings (to float rounding where
the permutation estimator runs, see below).

Interactions the kernel estimates by permutations go through its batched path
(``SubsetLossKernel.replaced_losses``): many foci per forward pass, and the loss with one group
replaced computed once per group, since the permutations depend only on (seed, group). The
per-focus path would build and decode every pair's rows on its own, which at hundreds of groups
costs far more than the model. ``interaction_fis`` is also what ``screen_and_refine`` refines
with, so a refined pair's value is the full computation's, bit for bit.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from analyzers.fis import SubsetEffects, subset_effects
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
    reference, mains = main_effects(kernel)
    fis = [
        interaction_fis(kernel, list(itertools.combinations(range(p), size)))
        for size in range(2, max_order + 1)
    ]
    labels = frames.pair_labels(names, range(2, max_order + 1))
    settings = {
        "estimator": kernel.estimator,
        "loss": adapter.loss.name,
        "n_permutations": kernel.n_permutations,
        "permutation": permutation,
        "order": max_order,
        "n_rows": dataset.n_rows,
        "seed": random_state,
        "reference_loss": reference,
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


def main_effects(kernel: SubsetLossKernel) -> tuple[float, np.ndarray]:
    """The loss of the model itself and φ_i (loss increase with group i replaced), (groups,)."""
    p = kernel.coding.n_groups
    singles = [(g,) for g in range(p)]
    if _batched(kernel, singles).all():
        reference = kernel.reference_loss()
        replaced = kernel.replaced_losses(torch.arange(p, dtype=torch.int64).unsqueeze(1))
        return reference, replaced.numpy() - reference
    losses = kernel.subset_losses(torch.ones((p, p)), torch.tensor(singles, dtype=torch.int64))
    return float(losses[0, 0]), (losses[:, 1] - losses[:, 0]).numpy()


def interaction_fis(kernel: SubsetLossKernel, combos: list[tuple[int, ...]]) -> np.ndarray:
    """FIS of the model itself for each interaction of ``combos`` (all of one order), (combos,).

    Interactions the kernel estimates by permutations take the batched path: φ_I from the
    joint rows of I and φ_i from the loss with i alone replaced, one number per group (the same
    draws the per-focus path uses); the others (exact) take ``subset_losses``.
    """
    fis = np.empty(len(combos))
    if not combos:
        return fis
    size = len(combos[0])
    batched = _batched(kernel, combos)
    if (~batched).any():
        focus = torch.tensor([c for c, b in zip(combos, batched, strict=True) if not b])
        losses = kernel.subset_losses(torch.ones((focus.shape[0], kernel.coding.n_groups)), focus)
        fis[~batched] = subset_effects(losses, size).fis
    if batched.any():
        focus = torch.tensor([c for c, b in zip(combos, batched, strict=True) if b])
        groups = torch.unique(focus)  # (groups,)
        singles = torch.zeros(kernel.coding.n_groups, dtype=torch.float64)
        singles[groups] = kernel.replaced_losses(groups.unsqueeze(1))
        reference = kernel.reference_loss()
        effects = SubsetEffects(
            loss=np.full(focus.shape[0], reference),
            joint=kernel.replaced_losses(focus).numpy() - reference,
            mains=singles[focus].numpy() - reference,  # (combos, size)
        )
        fis[batched] = effects.fis
    return fis


def _batched(kernel: SubsetLossKernel, combos: list[tuple[int, ...]]) -> np.ndarray:
    """(combos,) bool: which interactions the kernel estimates by permutations."""
    if kernel.estimator == "permutation":
        return np.ones(len(combos), dtype=bool)
    return np.array([kernel.estimator_for(c) == "permutation" for c in combos], dtype=bool)
