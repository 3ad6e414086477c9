"""The FISC-27 forward workload through the plain module, the fused forward and forward_scaled.

FISC exact on COMPAS-27 sends 33.7 M model rows through the reference MLP in ~694 calls of
~48k rows (``benchmarks/profile_fisc.py``): each call is ``v`` variants of one set of rows, each
variant scaling one or two columns away from 1. This script rebuilds that workload from the
COMPAS test rows (``--batches`` calls of ``--variants`` x rows = 48k rows, a fixed fraction of
the 33.7 M, scaled up in the table) and times, in one process and interleaved:

- ``plain``: today's path: scale the rows, then the converted ``nn.Sequential``;
- ``fused``: scale the rows, then ``FastForward`` (addmm into reused buffers, in-place ReLU);
- ``scaled``: ``ModelAdapter.forward_scaled`` (rows whose moved columns are zero run once, up
  to ``fast_forward.SKIP_MAX_THREADS`` torch threads; above it, the fused forward).

All three include the adapter's output checks (shape, finiteness), as the kernel's calls do.

at one thread and at torch's default thread count, with wall and process (CPU) seconds. The
reference model is trained as in ``benchmarks/fisc_compas.py`` (about 2 minutes).

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/forward.py [--batches 24] [--repeats 3]

The report is also written to ``benchmarks/results/forward.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fisc_compas import SEED, TARGET, find_data, train_reference_model
from sklearn.model_selection import train_test_split
from timing import timed_with_process

from workbench import wrap_model
from workbench.models.fast_forward import FastForward

FISC27_ROWS = 33_700_000
CALL_ROWS = 48_000
RESULTS = Path(__file__).resolve().parent / "results" / "forward.txt"
SCALE_VALUES = (0.0, 0.5, 1.5, -1.0)  # zero (a removed group) and boundary-search factors


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=24, help="calls timed per repeat")
    parser.add_argument("--variants", type=int, default=8, help="variants per call")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    return parser.parse_args()


def workload(X_test: np.ndarray, n_batches: int, n_variants: int, moved: int, seed: int):
    """(scale, inputs) pairs: ``n_variants`` x rows = CALL_ROWS rows per call."""
    generator = np.random.default_rng(seed)
    n_rows = CALL_ROWS // n_variants
    calls = []
    for _ in range(n_batches):
        inputs = torch.from_numpy(X_test[generator.integers(0, len(X_test), n_rows)])
        scale = np.ones((n_variants, X_test.shape[1]), dtype=np.float32)
        for v in range(n_variants):
            columns = generator.choice(X_test.shape[1], size=moved, replace=False)
            scale[v, columns] = generator.choice(SCALE_VALUES, size=moved)
        calls.append((torch.from_numpy(scale), inputs.contiguous()))
    return calls


def methods(adapter):
    module, fast = adapter.module, FastForward(adapter.module, torch.float32)

    def scaled_rows(scale, inputs):
        return (scale[:, None, :] * inputs[None, :, :]).reshape(-1, inputs.shape[1])

    def checked(run):  # the adapter's output checks, which forward_scaled also pays
        return lambda scale, inputs: adapter._checked_outputs(
            run(scaled_rows(scale, inputs)), scale.shape[0] * inputs.shape[0]
        )

    return {"plain": checked(module), "fused": checked(fast), "scaled": adapter.forward_scaled}


def timed(function, calls) -> tuple[float, float]:
    """(wall, process) seconds of ``function`` over every (scale, inputs) call."""

    def run_all() -> None:
        with torch.no_grad():
            for scale, inputs in calls:
                function(scale, inputs)

    _, wall, cpu = timed_with_process(run_all, torch.device("cpu"))
    return wall, cpu


def largest_difference(runs, calls) -> float:
    with torch.no_grad():
        return max(
            float((runs[name](*call) - runs["plain"](*call)).abs().max())
            for call in calls[:3]
            for name in runs
        )


def measure(runs, workloads, threads: int, repeats: int) -> list[str]:
    torch.set_num_threads(threads)
    lines = []
    for label, calls in workloads.items():
        totals = {name: [0.0, 0.0] for name in runs}
        for function in runs.values():  # warm-up: buffers, BLAS packing
            timed(function, calls[:1])
        for _ in range(repeats):
            for name, function in runs.items():  # interleaved: load changes hit all alike
                wall, cpu = timed(function, calls)
                totals[name][0] += wall
                totals[name][1] += cpu
        rows = repeats * sum(s.shape[0] * x.shape[0] for s, x in calls)
        plain_wall, plain_cpu = totals["plain"]
        for name, (wall, cpu) in totals.items():
            lines.append(
                f"| {threads} | {label} | {name} | {wall:.2f} | {cpu:.2f} | "
                f"{rows / wall / 1e6:.2f} | {wall / plain_wall:.2f} | {cpu / plain_cpu:.2f} | "
                f"{cpu * FISC27_ROWS / rows:.1f} |"
            )
    return lines


def main() -> None:
    args = parse_args()
    default_threads = torch.get_num_threads()
    frame = pd.read_csv(find_data())
    X, y = frame.drop(columns=[TARGET]), frame[TARGET]
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=SEED)
    model, train_seconds, state = train_reference_model(X_train.to_numpy(float), y_train.to_numpy())
    adapter = wrap_model(model, task="classification", device="cpu")
    test_rows = X_test.to_numpy(np.float32)
    workloads = {
        f"{moved} col": workload(test_rows, args.batches, args.variants, moved, SEED + moved)
        for moved in (1, 2)
    }
    runs = methods(adapter)
    timed_rows = args.batches * CALL_ROWS
    lines = [
        f"Forward workload of FISC exact, COMPAS-27: MLPClassifier((64, 64)) ({state}, "
        f"trained in {train_seconds:.0f} s), {args.batches} calls x {args.variants} variants x "
        f"{CALL_ROWS // args.variants} rows per repeat ({timed_rows / FISC27_ROWS:.1%} of the "
        f"33.7 M rows), {args.repeats} interleaved repeats",
        f"{platform.platform()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"load {os.getloadavg()[0]:.2f} at start; default threads {default_threads}",
        f"largest |output - plain| over 3 calls: "
        f"{max(largest_difference(runs, calls) for calls in workloads.values()):.2e}",
        "",
        "| threads | scales | path | wall s | CPU s | M rows/s (wall) | wall / plain | "
        "CPU / plain | CPU s for 33.7 M rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for threads in sorted({1, default_threads}):
        lines += measure(runs, workloads, threads, args.repeats)
    report = "\n".join(lines)
    print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report + "\n")


if __name__ == "__main__":
    main()
