"""Where the seconds of one FISC run go: model kernels against host work.

Runs ours (exact estimator) on COMPAS with the benchmark's reference MLP, three times on one
adapter: the first call warms up, the second is timed bare, the third runs under
``torch.profiler`` (device kernel time against wall time) and the fourth under ``cProfile``
(the Python functions that hold the host). On CUDA the split answers "is the run bound by the
GPU's arithmetic or by the host launching it?"; on the CPU, the share of ``aten::addmm`` and the
activations is the forward pass and the rest is overhead.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/profile_fisc.py --features 27 --device cuda
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fisc_compas import (
    EPSILON_RATE,
    SEED,
    TARGET,
    find_data,
    train_reference_model,
)
from timing import timed

FORWARD_OPS = ("aten::addmm", "aten::linear", "aten::relu", "aten::relu_", "aten::mm")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=27)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--approximator", default="exact")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--top", type=int, default=25, help="rows of each profile table")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    import torch

    from analyzers.rashomon import explore_rashomon
    from workbench import Dataset, wrap_model

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    path = find_data()
    frame = pd.read_csv(path)
    X, y = frame.drop(columns=[TARGET]), frame[TARGET]
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=SEED)
    model, _, _ = train_reference_model(X_train.to_numpy(float), y_train.to_numpy())
    _, test = Dataset.from_csv(path, target=TARGET).train_test_split(test_size=0.2, seed=SEED)
    groups = list(X.columns[: args.features]) if args.features < X.shape[1] else None
    adapter = wrap_model(model, task="classification", device=args.device)

    def explore():
        return explore_rashomon(
            adapter,
            test,
            epsilon_rate=EPSILON_RATE,
            order=2,
            approximator=args.approximator,
            groups=groups,
            random_state=SEED,
        )

    _, first = timed(explore, device)
    result, second = timed(explore, device)
    print(
        f"FISC {args.approximator}, COMPAS-{args.features}, device {device}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}"
    )
    print(f"1st call {first:.3f} s, 2nd call {second:.3f} s (bare)")
    print(
        f"{result.extra['search_steps']} search steps, {result.extra['rows_evaluated']:,} rows "
        f"evaluated"
    )

    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profile:
        _, profiled = timed(explore, device)
    averages = profile.key_averages()
    print(f"\n== torch.profiler (3rd call, {profiled:.3f} s wall under the profiler) ==")
    if device.type == "cuda":
        device_seconds = sum(_device_self_us(event) for event in averages) / 1e6
        print(
            f"device kernels busy {device_seconds:.3f} s of {profiled:.3f} s wall "
            f"({device_seconds / profiled:.0%}); the rest is host work and launch latency"
        )
        print(averages.table(sort_by="self_cuda_time_total", row_limit=args.top))
    forward_seconds = sum(e.self_cpu_time_total for e in averages if e.key in FORWARD_OPS) / 1e6
    print(
        f"host time in the forward's ops ({', '.join(FORWARD_OPS)}): {forward_seconds:.3f} s "
        f"of {profiled:.3f} s wall"
    )
    print(averages.table(sort_by="self_cpu_time_total", row_limit=args.top))

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    explore()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    profiler.disable()
    print(f"\n== cProfile (4th call, {time.perf_counter() - started:.3f} s under cProfile) ==")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(args.top)
    print(stream.getvalue())
    np.set_printoptions(precision=4)


def _device_self_us(event) -> float:
    """Self device time of one profiler row (the attribute was renamed across torch versions)."""
    for name in ("self_device_time_total", "self_cuda_time_total"):
        value = getattr(event, name, None)
        if value is not None:
            return float(value)
    return 0.0


if __name__ == "__main__":
    main()
