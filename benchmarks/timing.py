"""Wall time of one call, with the GPU's queued work included (shared by the benchmark scripts)."""

from __future__ import annotations

import time

import torch


def timed(function, device: torch.device):
    """``(function(), seconds)``; on CUDA the clock starts and stops on an idle device."""
    value, wall, _ = timed_with_process(function, device)
    return value, wall


def timed_with_process(function, device: torch.device):
    """``(function(), wall seconds, process CPU seconds)``, synchronised on CUDA as ``timed``.

    Process time beside wall time tells a slow run from a run that waited on a shared machine.
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return value, time.perf_counter() - wall, time.process_time() - cpu
