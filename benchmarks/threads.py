"""One thread policy for every benchmark, and a line saying what each side actually used.

Policy: threads are set once, at the start of a run, before any timing: torch's intra-op
threads (ours) and every BLAS and OpenMP pool loaded in the process (numpy, scipy and
scikit-learn: what the peers run on) get the same count, ``--threads N`` or by default every
core this process may use. Ours and the peer therefore start from the same number in one run.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from threadpoolctl import threadpool_info, threadpool_limits


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask), not the machine's total."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_threads(requested: int | None) -> int:
    """Set torch and BLAS/OpenMP threads to ``requested`` (None: every usable core); the count.

    Call it after numpy, scikit-learn and torch are imported: threadpoolctl limits only the
    pools already loaded (a library loaded later starts at its own default).
    """
    if requested is not None and requested < 1:
        raise SystemExit(f"--threads must be ≥ 1, got {requested}")
    count = requested or usable_cores()
    torch.set_num_threads(count)
    threadpool_limits(count)  # kept for the whole process, not a with-block
    return count


def _library(filepath: str, prefix: str) -> str:
    """The package a thread pool was loaded from (site-packages/<package>[.libs]/…)."""
    parts = Path(filepath).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".libs")
    return prefix


def thread_line(peer: str, peer_runs_torch: bool = False) -> str:
    """Who ran on how many threads: ours (torch) and the peer's numpy/scipy/sklearn pools.

    Parameters
    ----------
    peer : str
        The peer's name and what it runs on, e.g. "shapiq (numpy)".
    peer_runs_torch : bool
        The peer is a loop of torch forward passes: it runs on ours' torch threads.
    """
    ours, theirs = [], []
    for pool in threadpool_info():
        library = _library(pool["filepath"], pool["prefix"])
        entry = f"{pool['internal_api']} {pool['num_threads']} ({library})"
        (ours if library == "torch" else theirs).append(entry)
    torch_pools = f"; {', '.join(ours)}" if ours else ""
    if peer_runs_torch:
        theirs = [f"the same torch {torch.get_num_threads()} intra-op"]
    return (
        f"threads (set once at start; {usable_cores()} usable cores): ours torch "
        f"{torch.get_num_threads()} intra-op{torch_pools}; peer {peer}: "
        f"{', '.join(theirs) or 'no BLAS/OpenMP pool loaded'}"
    )
