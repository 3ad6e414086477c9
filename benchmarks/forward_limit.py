"""The forward-only limit of a run: the same model rows through the bare model forward.

A kernel that evaluates R model rows in batches b_1, b_2, … can at best cost what the model's
own forward pass costs for those batches; everything above that is overhead (building rows,
masks, merging, transfers, the loss). This module records every batch the model receives during
one of our runs (:func:`record_batches`) and replays the same batch sizes through
``adapter.forward`` on real data rows, tiled, on preallocated device tensors
(:func:`forward_only`), in the same process, so device and threads are the same. The ratio
ours / forward-only is then "how close to the limit"; only evaluating fewer rows (or a cheaper
forward) can go below 1.

Usage (from a script in this folder)::

    with record_batches() as log:
        _, ours = timed(lambda: run(adapter), adapter.device)
    limit = forward_only(adapter, log, data.X)
    print(limit.describe(ours))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from timing import timed_with_process  # benchmarks/timing.py, beside this module

from workbench.models.adapter import ModelAdapter


@dataclass
class BatchLog:
    """Rows of every model call recorded, in call order."""

    rows_per_call: list[int] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.rows_per_call)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_call)


@dataclass(frozen=True)
class ForwardLimit:
    """Seconds of the bare model forward for a recorded run's batches."""

    calls: int
    rows: int
    largest_batch: int
    seconds: float
    cpu_seconds: float

    def ratio(self, seconds: float) -> float:
        """``seconds`` / forward-only seconds (inf when the replay took no measurable time)."""
        return seconds / self.seconds if self.seconds > 0 else float("inf")

    def describe(self, ours_seconds: float) -> str:
        """One line: the forward-only time, the work it replays, and ours / forward-only."""
        return (
            f"forward-only {self.seconds:.3f} s wall ({self.cpu_seconds:.3f} s CPU) for "
            f"{self.rows:,} model rows in {self.calls:,} calls (largest {self.largest_batch:,}); "
            f"ours / forward-only {self.ratio(ours_seconds):.2f}×"
        )


@contextmanager
def record_batches(
    adapter_type: type = ModelAdapter, modules: tuple[torch.nn.Module, ...] = ()
) -> Iterator[BatchLog]:
    """Record the rows of every model call made inside the block.

    ``adapter_type.forward`` counts its rows; ``forward_scaled`` counts variants · rows, and the
    ``forward`` it may call inside is not counted again (a model that assembles the scaled rows
    without calling ``forward`` is counted the same). Kernels that call a module directly
    (``adapter.module(x)``) are seen by passing the module in ``modules`` (a forward pre-hook,
    also silent inside an adapter call). Everything is restored on exit.

    Parameters
    ----------
    adapter_type : type
        The adapter class whose methods are patched (a subclass of ``ModelAdapter`` to record
        an adapter that overrides them).
    modules : tuple of torch.nn.Module
        Modules whose direct calls are recorded too.

    Yields
    ------
    BatchLog
        Filled while the block runs.
    """
    log = BatchLog()
    depth = 0  # > 0 inside a recorded call: the calls it makes are part of it

    def counted(method, rows_of):
        def wrapper(self, *args, **kwargs):
            nonlocal depth
            if depth == 0:
                log.rows_per_call.append(rows_of(*args, **kwargs))
            depth += 1
            try:
                return method(self, *args, **kwargs)
            finally:
                depth -= 1

        return wrapper

    def module_call(_module, args):
        if depth == 0:
            log.rows_per_call.append(int(args[0].shape[0]))

    patches = {
        "forward": lambda X: int(X.shape[0]),
        "forward_scaled": lambda scale, inputs: int(scale.shape[0]) * int(inputs.shape[0]),
    }
    # Restore exactly what was there: a method of the class itself, or inheritance.
    own = {name: adapter_type.__dict__.get(name) for name in patches}
    for name, rows_of in patches.items():
        setattr(adapter_type, name, counted(getattr(adapter_type, name), rows_of))
    handles = [module.register_forward_pre_hook(module_call) for module in modules]
    try:
        yield log
    finally:
        for handle in handles:
            handle.remove()
        for name, method in own.items():
            if method is None:
                delattr(adapter_type, name)
            else:
                setattr(adapter_type, name, method)


def forward_only(
    adapter: ModelAdapter, log: BatchLog, data_rows: torch.Tensor, repeats: int = 1
) -> ForwardLimit:
    """Time ``adapter.forward`` on the recorded batches, filled with real data rows.

    Parameters
    ----------
    adapter : ModelAdapter
        The adapter of the recorded run (same device, same process threads).
    log : BatchLog
        From :func:`record_batches`.
    data_rows : torch.Tensor
        (rows, features) rows of the run's data, tiled to fill the largest batch.
    repeats : int
        Timed replays; the fastest is kept (as the benchmarks keep their best run).

    Returns
    -------
    ForwardLimit
    """
    if data_rows.ndim != 2 or data_rows.shape[0] == 0:
        raise ValueError(f"data_rows must be (rows > 0, features), got {tuple(data_rows.shape)}")
    largest = max(log.rows_per_call, default=0)
    copies = -(-largest // data_rows.shape[0])
    # One device tensor holds the largest batch; every call reads a prefix of it (a view), so
    # the timed loop makes no host copy and allocates only what the model itself allocates.
    pool = data_rows.to(adapter.device, adapter.dtype).repeat(max(copies, 1), 1)[:largest]
    pool = pool.contiguous()  # (largest batch, features)
    batches = [pool[:rows] for rows in log.rows_per_call]

    def replay() -> None:
        for batch in batches:
            adapter.forward(batch)

    if batches:
        adapter.forward(batches[0])  # warm-up: the run being compared was warm too
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        _, seconds, cpu_seconds = timed_with_process(replay, adapter.device)
        best_cpu = min(best_cpu, cpu_seconds)
        best_wall = min(best_wall, seconds)
    return ForwardLimit(log.calls, log.rows, largest, best_wall, best_cpu)
