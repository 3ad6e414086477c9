"""Wall time of one call, with the GPU's queued work included (shared by the benchmark scripts)."""

from __future__ import annotations

import time

import torch


def timed(function, device: torch.device):
    """``(function(), seconds)``; on CUDA the clock starts and stops on an idle device."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    value = function()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return value, time.perf_counter() - start
