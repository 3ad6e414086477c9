"""Exact Shapley interaction indices in chunks of explained rows, on an Executor, checkpointed.

Local values are independent across explained rows: each row's game v_x is evaluated and
transformed on its own. A work unit rebuilds the ``CoalitionValueKernel`` (model, groups,
background, output scale) on the worker and computes the exact indices of its rows by the
method the driver chose for all rows (per-pair games or all 2**p coalitions), so the values are
those of a single-process run, whatever the chunking. The count of model rows evaluated can be
larger in chunks: the pair games reuse the outputs of rows repeated across explained rows only
within a chunk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from analyzers.interactions.shapley_exact import exact_indices, exact_indices_from_pair_games
from workbench.chunk_runs import (
    ChunkCheckpoint,
    decode_array,
    encode_array,
    run_chunks,
)
from workbench.kernels.coalition_values import CoalitionValueKernel, all_coalitions
from workbench.progress import ProgressCallback

DEFAULT_CHUNK_ROWS = 256


def chunked_exact_values(
    kernel: CoalitionValueKernel,
    group_columns: list,
    explained: torch.Tensor,
    *,
    options: dict[str, Any],
    game: dict[str, Any],
    chunk_size: int,
    executor: Any,
    checkpoint: ChunkCheckpoint | None,
    progress: ProgressCallback | None,
) -> tuple[dict[int, torch.Tensor], int]:
    """Order s -> (rows, C(p, s)) exact values of every explained row, and the model rows.

    ``options`` are the kernel's keyword arguments (output, class_index, max_batch_rows,
    probability_clip); ``game`` holds n_groups, index, max_order and pair_games (the method).
    """
    columns = [[int(c) for c in group] for group in group_columns]
    chunks = [
        (
            f"{start}:{min(start + chunk_size, explained.shape[0])}",
            (explained[start : start + chunk_size],),
        )
        for start in range(0, explained.shape[0], chunk_size)
    ]
    outputs = run_chunks(
        exact_values_of_rows,
        chunks,
        executor=executor,
        checkpoint=checkpoint,
        progress=progress,
        shared=(kernel.adapter, columns, kernel.background.cpu(), options, game),
    )
    values = {
        s: torch.from_numpy(np.concatenate([decode_array(o["values"][str(s)]) for o in outputs]))
        for s in range(1, game["max_order"] + 1)
    }
    return values, sum(int(o["rows_evaluated"]) for o in outputs)


def exact_values_of_rows(
    adapter, columns: list, background: torch.Tensor, options: dict, game: dict, rows: torch.Tensor
) -> dict:
    """Work unit: exact indices of (rows, features) explained rows on this worker's device."""
    kernel = CoalitionValueKernel(adapter, columns, background, **options)
    p, index, order = game["n_groups"], game["index"], game["max_order"]
    if game["pair_games"]:
        values = exact_indices_from_pair_games(kernel, rows, p, index, order)
    else:
        values = exact_indices(kernel.values(rows, all_coalitions(p)), p, index, order)
    return {
        "values": {str(s): encode_array(v.numpy()) for s, v in values.items()},
        "rows_evaluated": kernel.rows_evaluated,
    }
