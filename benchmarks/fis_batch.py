"""Permutation FIS of every pair: the batched kernel path against the per-focus one, same run.

Data: ``planted_interactions`` (standard normal features, 5 planted products, seed 0); the
model is the known function itself, MSE loss. Arm "per focus" is FIS as ``permutation_fis``
computed it before the batched path: every pair one ``SubsetLossKernel.subset_losses`` focus
(its rows built, merged and decoded on their own, then one small forward pass). Arm "batched"
is ``score_interactions(index="fis", approximator="permutation")`` today: the joint rows of many
pairs per forward pass, each group's single-replacement loss once. Both use the same rows,
permutations and seed; the printout gives the largest difference between them.

Usage::

    PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/fis_batch.py [--features 14 60]
        [--rows 256] [--n-permutations 10] [--threads 1] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch
from timing import timed_with_process

from analyzers.fis import subset_effects
from analyzers.interactions import score_interactions
from workbench.data.planted import planted_interactions
from workbench.kernels import SubsetLossKernel
from workbench.models import wrap_model


def per_focus_fis(adapter, dataset, n_permutations: int) -> np.ndarray:
    """Every pair as one ``subset_losses`` focus (the path before the batched one)."""
    kernel = SubsetLossKernel(
        adapter, dataset, estimator="permutation", n_permutations=n_permutations, seed=0
    )
    p = dataset.n_groups
    combos = torch.tensor(list(itertools.combinations(range(p), 2)))  # (pairs, 2)
    return subset_effects(kernel.subset_losses(torch.ones((len(combos), p)), combos), 2).fis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, nargs="+", default=[14, 60])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--n-permutations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"{args.rows} rows, {args.n_permutations} permutations, {args.threads} thread(s), "
        f"device {args.device}"
    )
    print(
        "| features | pairs | per focus wall s (process s) | batched wall s (process s) "
        "| ratio wall (process) | max abs diff / loss |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n_features in args.features:
        print(_measure(n_features, args))


def _measure(n_features: int, args) -> str:
    """One table row: both arms on the same data, timed in this process."""
    planted = planted_interactions(n_rows=args.rows, n_features=n_features, seed=0)
    adapter = wrap_model(planted.model, task="regression", device=args.device)
    old, old_wall, old_cpu = timed_with_process(
        lambda: per_focus_fis(adapter, planted.dataset, args.n_permutations), adapter.device
    )
    result, new_wall, new_cpu = timed_with_process(
        lambda: score_interactions(
            adapter,
            planted.dataset,
            index="fis",
            approximator="permutation",
            n_permutations=args.n_permutations,
            random_state=0,
        ),
        adapter.device,
    )
    new = result.scores["value"].to_numpy(dtype=float)
    difference = np.abs(new - old).max() / result.settings["reference_loss"]
    return (
        f"| {n_features} | {len(new)} | {old_wall:.2f} ({old_cpu:.2f}) | {new_wall:.2f} "
        f"({new_cpu:.2f}) | {old_wall / new_wall:.1f}x ({old_cpu / new_cpu:.1f}x) "
        f"| {difference:.1e} |"
    )


if __name__ == "__main__":
    main()
