"""SII, STII and k-SII of one model with the interventional value function, per row.

The game of an explained row x is v_x(S) = mean_b f(x_S, b_{-S}) over a background sample
(``workbench.kernels.CoalitionValueKernel``). Up to ``max_exact_groups`` groups the indices are
exact: each (row, background row) pair's game is evaluated on all coalitions of the groups where
the two rows differ (2**d model rows, batched by the kernel), transformed, and averaged over
the background; where rows differ from the background in nearly every group (continuous
data) the kernel evaluates v_x on all 2**p coalitions of all rows instead (``shapley_exact``).
Beyond ``max_exact_groups``, coalitions are sampled with the index's own weighting and the
standard error of each global (signed mean) score is reported (``shapley_sampling``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from analyzers.interaction_result import InteractionResult
from analyzers.interactions import frames
from analyzers.interactions.shapley_chunks import DEFAULT_CHUNK_ROWS, chunked_exact_values
from analyzers.interactions.shapley_exact import exact_indices, exact_indices_from_pair_games
from analyzers.interactions.shapley_sampling import sampled_indices
from workbench.chunk_runs import array_digest, check_chunk_size, checkpoint_for
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.kernels.coalition_values import (
    DEFAULT_PROBABILITY_CLIP,
    CoalitionValueKernel,
    all_coalitions,
)
from workbench.progress import ProgressCallback
from workbench.store import ResultStore

SHAPLEY_APPROXIMATORS = ("auto", "exact", "sampling")
# 2**22 coalitions of one row in float64 is 32 MiB per row: past this "exact" is not sensible.
_MAX_EXACT_GROUPS_HARD = 22
# Pair games transform one 2**d game per (row, background row) instead of one 2**p game per
# row: worth it only when they also save most of the model rows.
_PAIR_GAME_SHARE = 0.5


@renamed_parameters(seed="random_state", order="max_order", estimator="approximator")
def shapley_interactions(
    adapter,
    dataset,
    rows: np.ndarray,
    background: torch.Tensor,
    *,
    index: str,
    max_order: int,
    model_name: str,
    approximator: str = "auto",
    max_exact_groups: int = 14,
    n_samples: int = 64,
    output: str | None = None,
    class_index: int | None = None,
    max_batch_rows: int | None = None,
    random_state: int = 0,
    probability_clip: float = DEFAULT_PROBABILITY_CLIP,
    progress: ProgressCallback | None = None,
    executor: Any = None,
    chunk_size: int | None = None,
    checkpoint: str | Path | ResultStore | None = None,
) -> InteractionResult:
    """Local SII/STII/k-SII scores of every pair (and triple) of groups.

    Parameters
    ----------
    adapter : ModelAdapter
    dataset : Dataset
        Supplies the groups and the explained rows.
    rows : ndarray
        Positions of the explained rows in ``dataset``.
    background : Tensor
        (background rows, features) rows absent groups are drawn from.
    index : {"sii", "stii", "ksii"}
    max_order : {2, 3}
        Highest order scored (3: pairs and triples).
    model_name : str
    approximator : {"auto", "exact", "sampling"}
        "auto": exact up to ``max_exact_groups`` groups, sampling beyond.
    max_exact_groups : int
    n_samples : int
        Coalitions drawn per interaction (sampling only).
    output, class_index, max_batch_rows, probability_clip
        See ``CoalitionValueKernel``.
    random_state : int
        Seed of the coalition draws.
    progress : callable(stage, done, total), optional
        Told as each batch of coalitions is evaluated (``CoalitionValueKernel``), or as each
        chunk of rows is done when run in chunks.
    executor, chunk_size, checkpoint
        Exact indices only: explained rows in chunks of ``chunk_size`` (None: 256) on the
        executor, each finished chunk stored in ``checkpoint`` (``shapley_chunks``). None and
        None: one run in this process. The values are the same either way.

    Returns
    -------
    InteractionResult
        Local scores (one row per explained row and interaction); main effects are the order-1
        terms of the index (Shapley values for SII), as mean |value| over rows.
    """
    start = time.perf_counter()
    names = dataset.group_names
    p = len(names)
    exact = _uses_exact(approximator, p, max_order, max_exact_groups, n_samples)
    kernel = CoalitionValueKernel(
        adapter,
        [g.columns for g in dataset.groups],
        background,
        output=output,
        class_index=class_index,
        max_batch_rows=max_batch_rows,
        probability_clip=probability_clip,
        progress=progress,
    )
    explained = dataset.X[torch.as_tensor(rows, dtype=torch.int64)]  # (rows, features)
    chunked_rows = None
    if exact and (executor is not None or checkpoint is not None):
        values, chunked_rows = _chunked_values(
            kernel,
            adapter,
            dataset,
            explained,
            {
                "output": output,
                "class_index": class_index,
                "max_batch_rows": max_batch_rows,
                "probability_clip": probability_clip,
            },
            {"index": index, "max_order": max_order},
            executor=executor,
            chunk_size=chunk_size,
            checkpoint=checkpoint,
            progress=progress,
        )
        errors = None
    elif exact:
        values, errors = _exact_values(kernel, explained, p, index, max_order), None
    else:
        values, errors = sampled_indices(
            kernel, explained, p, index, max_order, int(n_samples), random_state
        )
    settings = {
        "estimator": "exact" if exact else "sampling",
        "value_function": "interventional",
        "output": kernel.output,
        "class_index": kernel.class_index,
        **scale_settings(kernel, explained),
        "order": max_order,
        "n_rows": len(rows),
        "n_background": kernel.n_background,
        "n_samples": None if exact else int(n_samples),
        "seed": random_state,
        "model_rows_evaluated": kernel.rows_evaluated + (chunked_rows or 0),
        "main_effect_aggregate": "mean_abs",
    }
    return _result(model_name, index, names, rows, values, errors, settings, start)


def scale_settings(kernel: CoalitionValueKernel, explained: torch.Tensor) -> dict:
    """What the scores' scale is: the probability clip, the share of explained and background
    rows it changes, and the root-mean-square model output on the explained rows (the size
    the "no interaction" tolerance is relative to)."""
    rows = torch.cat([explained.to(torch.float32).cpu(), kernel.background.cpu()])
    outputs = kernel.outputs_on_scale(explained)  # (rows,)
    return {
        "probability_clip": kernel.probability_clip,
        "clipped_row_share": kernel.clipped_share(rows),
        "output_rms": float(outputs.square().mean().sqrt()) if outputs.numel() else 0.0,
    }


def _uses_exact(
    approximator: str, p: int, max_order: int, max_exact_groups: int, n_samples: int
) -> bool:
    """Whether the index is computed exactly (checks the arguments on the way)."""
    if approximator not in SHAPLEY_APPROXIMATORS:
        raise ParameterError(
            f"approximator must be one of {SHAPLEY_APPROXIMATORS}, got {approximator!r}"
        )
    if int(n_samples) < 2:
        raise ParameterError(f"n_samples must be >= 2, got {n_samples!r}")
    if max_order > p:
        raise ParameterError(
            f"max_order={max_order} needs at least {max_order} groups, the data has {p}"
        )
    exact = approximator == "exact" or (approximator == "auto" and p <= max_exact_groups)
    if exact and p > _MAX_EXACT_GROUPS_HARD:
        raise ParameterError(
            f"approximator='exact' with {p} groups needs 2**{p} coalitions per row; "
            "use approximator='sampling'"
        )
    return exact


def _chunked_values(
    kernel,
    adapter,
    dataset,
    explained,
    options,
    game,
    *,
    executor,
    chunk_size,
    checkpoint,
    progress,
) -> tuple[dict, int]:
    """Exact values in chunks of rows (``shapley_chunks``), by the method chosen for all rows."""
    p = len(dataset.group_names)
    game = {**game, "n_groups": p, "pair_games": _uses_pair_games(kernel, explained, p)}
    key_parameters = {
        **{k: v for k, v in options.items() if k != "max_batch_rows"},  # how, not what
        **game,
        "rows": array_digest(explained.numpy()),
        "background": array_digest(kernel.background.cpu().numpy()),
    }
    return chunked_exact_values(
        kernel,
        [g.columns for g in dataset.groups],
        explained,
        options=options,
        game=game,
        chunk_size=check_chunk_size(chunk_size, DEFAULT_CHUNK_ROWS),
        executor=executor,
        checkpoint=checkpoint_for(
            checkpoint, "interactions", adapter.fingerprint(), dataset.fingerprint(), key_parameters
        ),
        progress=progress,
    )


def _exact_values(kernel, explained: torch.Tensor, p: int, index: str, max_order: int) -> dict:
    """Order s -> (rows, C(p, s)) exact values, from pair games where they save model rows."""
    if _uses_pair_games(kernel, explained, p):
        return exact_indices_from_pair_games(kernel, explained, p, index, max_order)
    # Rows differ from the background in (nearly) every group: v_x on all 2**p coalitions.
    return exact_indices(kernel.values(explained, all_coalitions(p)), p, index, max_order)


def _uses_pair_games(kernel, explained: torch.Tensor, p: int) -> bool:
    """Whether per-pair games save most model rows over all 2**p coalitions of every row."""
    full_rows = explained.shape[0] * kernel.n_background << p
    return kernel.pair_game_rows(explained) < full_rows * _PAIR_GAME_SHARE


def _result(
    model_name: str,
    index: str,
    names: tuple[str, ...],
    rows: np.ndarray,
    values: dict[int, torch.Tensor],
    errors: dict[int, torch.Tensor] | None,
    settings: dict,
    start: float,
) -> InteractionResult:
    orders = range(2, settings["order"] + 1)
    numpy_values = {s: v.numpy() for s, v in values.items()}
    scores = frames.local_scores(model_name, index, names, numpy_values, rows, orders)
    mains = frames.main_effect_frame(model_name, index, names, np.abs(numpy_values[1]).mean(0))
    standard_errors = None
    if errors is not None:
        labels = frames.pair_labels(names, orders)
        standard_errors = frames.error_frame(
            labels, np.concatenate([errors[s].numpy() for s in orders])
        )
    return InteractionResult(
        model_names=(model_name,),
        index=index,
        group_names=names,
        scores=scores,
        main_effects=mains,
        settings=settings,
        seconds=time.perf_counter() - start,
        standard_errors=standard_errors,
    )
