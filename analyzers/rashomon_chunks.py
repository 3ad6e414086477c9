"""FISC's joint models in chunks of interactions, run on an Executor and checkpointed.

The reference model, the boundary search and the main-effect cloud are sequential and cheap;
the joint models of the interactions are independent and are the bulk of the work (36 per pair
and ring, 288 per triple). So the driver builds each chunk's variants (masks and focus, exactly
as ``rashomon_clouds.order_variants`` does for one kernel call) and a work unit evaluates them
on its own ``SubsetLossKernel``. A focus's losses depend only on that focus's variants and
rows, not on the other foci of the call, so the losses of each interaction are the same for
any chunking, and the clouds are assembled from them by the same code as a single-process run.
"""

from __future__ import annotations

import threading
from typing import Any

import torch

from analyzers.rashomon_clouds import Boundaries, ExplorationContext, SubsetLosses, order_variants
from workbench.chunk_runs import ChunkCheckpoint, decode_array, encode_array, run_chunks
from workbench.kernels import SubsetLossKernel
from workbench.progress import ProgressCallback

DEFAULT_CHUNK_INTERACTIONS = 32  # as many as one in-process kernel call takes

# One kernel per worker thread (rows built once per run, never shared between threads, since a
# kernel's caches and counters are not thread-safe).
_WORKER_KERNELS = threading.local()


def kernel_settings(kernel: SubsetLossKernel, max_batch_rows: int | None) -> dict[str, Any]:
    """What a worker needs to build the same kernel (its batch size from its own device)."""
    return {
        "estimator": kernel.estimator,
        "n_permutations": kernel.n_permutations,
        "permutation": kernel.permutation,
        "max_exact_levels": kernel.max_exact_levels,
        "max_batch_rows": max_batch_rows,
        "seed": kernel.seed,
    }


def chunked_subset_losses(
    context: ExplorationContext,
    wanted: list[tuple[int, ...]],
    boundaries: Boundaries,
    *,
    model,
    dataset,
    settings: dict[str, Any],
    chunk_size: int,
    executor: Any,
    checkpoint: ChunkCheckpoint | None,
    progress: ProgressCallback | None,
) -> tuple[SubsetLosses, int]:
    """Losses of every interaction's variants, in chunks; and the model rows they took.

    Returns a ``SubsetLosses`` for ``interaction_clouds`` that looks the losses up instead of
    computing them.
    """
    chunks, layouts = [], []
    for start in range(0, len(wanted), chunk_size):
        block = wanted[start : start + chunk_size]
        calls, layout = [], []
        for k in (2, 3):
            items = [item for item in block if len(item) == k]
            if items:
                models, masks, focus = order_variants(context, items, k, boundaries)
                calls.append((masks, focus))
                layout.append((items, len(models) // len(items)))
        chunk_id = ";".join("-".join(str(g) for g in item) for item in block)
        chunks.append((chunk_id, (calls,)))
        layouts.append(layout)
    outputs = run_chunks(
        joint_model_losses,
        chunks,
        executor=executor,
        checkpoint=checkpoint,
        progress=progress,
        shared=(model, dataset, settings),
    )
    found: dict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor]] = {}
    for output, layout in zip(outputs, layouts, strict=True):
        for encoded, (items, per_item) in zip(output["losses"], layout, strict=True):
            losses = torch.from_numpy(decode_array(encoded))  # (variants, 2**k)
            joint = losses[len(items) :].reshape(len(items), per_item, -1)
            for i, item in enumerate(items):
                found[item] = (losses[i : i + 1], joint[i])

    def lookup(items: list, masks: torch.Tensor, focus: torch.Tensor) -> torch.Tensor:
        # The layout order_variants gives: every reference first, then each item's joint models.
        return torch.cat([found[item][0] for item in items] + [found[item][1] for item in items])

    return lookup, sum(int(output["rows_evaluated"]) for output in outputs)


def joint_model_losses(model, dataset, settings: dict[str, Any], calls: list) -> dict:
    """Work unit: subset losses of each (masks, focus) call on this worker's kernel."""
    kernel = _worker_kernel(model, dataset, settings)
    before = kernel.rows_evaluated
    losses = [
        encode_array(kernel.subset_losses(torch.from_numpy(m), torch.from_numpy(f)).numpy())
        for m, f in calls
    ]
    return {"losses": losses, "rows_evaluated": kernel.rows_evaluated - before}


def _worker_kernel(model, dataset, settings: dict[str, Any]) -> SubsetLossKernel:
    """The kernel of this model, data and settings, built once per thread (the last one kept)."""
    key = (model.fingerprint(), dataset.fingerprint(), tuple(sorted(settings.items())))
    if getattr(_WORKER_KERNELS, "key", None) != key:
        _WORKER_KERNELS.kernel = SubsetLossKernel(model, dataset, **settings)
        _WORKER_KERNELS.key = key
    return _WORKER_KERNELS.kernel
