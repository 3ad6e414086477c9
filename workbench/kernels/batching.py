"""How many model-input rows one forward pass may hold."""

from __future__ import annotations

import os

import torch

from workbench.errors import ParameterError

# On the CPU a batch is capped at 64k rows (and a share of free memory): enough rows that the
# per-call overhead of Python and torch is small beside the model's own work; more rows only
# hold more memory. On a GPU the budget comes from free device memory.
_CPU_DEFAULT_ROWS = 1 << 16
_GPU_MAX_ROWS = 1 << 23
_GPU_MEMORY_SHARE = 0.5
_CPU_MEMORY_SHARE = 0.25


def resolve_batch_rows(
    max_batch_rows: int | None, device: torch.device, bytes_per_row: int, adapter_limit: int | None
) -> int:
    """The row budget of one forward pass.

    Parameters
    ----------
    max_batch_rows : int or None
        User's budget; None sizes it from free memory (device memory on CUDA).
    device : torch.device
    bytes_per_row : int
        Rough memory held per input row during a forward pass (inputs, activations, losses).
    adapter_limit : int or None
        The adapter's own chunk size (CPU callables), never exceeded.
    """
    if max_batch_rows is not None:
        if int(max_batch_rows) < 1:
            raise ParameterError(f"max_batch_rows must be >= 1, got {max_batch_rows!r}")
        rows = int(max_batch_rows)
    elif device.type == "cuda":
        free_bytes, _ = torch.cuda.mem_get_info(device)
        rows = int(min(_GPU_MAX_ROWS, free_bytes * _GPU_MEMORY_SHARE // max(bytes_per_row, 1)))
    else:
        rows = min(_CPU_DEFAULT_ROWS, int(_free_host_bytes() * _CPU_MEMORY_SHARE // bytes_per_row))
    if adapter_limit is not None:
        rows = min(rows, int(adapter_limit))
    return max(rows, 1)


def _free_host_bytes() -> int:
    """Available host memory (Linux sysconf); a generous default where it cannot be read."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 33


def estimate_bytes_per_row(module: torch.nn.Module | None, n_features: int) -> int:
    """Input plus the widest activations of a torch module, float32, times a safety factor."""
    widths = [n_features]
    if module is not None:
        widths += [m.out_features for m in module.modules() if isinstance(m, torch.nn.Linear)]
    return 4 * (n_features + 3 * sum(widths)) + 64
