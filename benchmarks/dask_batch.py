"""Exact SII on 10⁶ rows × 50 features: one process vs a local Dask cluster, same run.

The data: 10⁶ synthetic rows, 25 continuous and 25 binary features, in 10 groups of 5 (so the
exact index, 2**10 coalitions per explained row, is what runs); a torch MLP 50→64→64→1 fitted
briefly to a target with planted group products. The analysis: exact SII of all 45 group pairs
on ``--rows`` explained rows against ``--background`` background rows, split into chunks of
``--chunk-rows`` explained rows. Each work unit carries only its chunk, the background and the
model, never the 10⁶ rows, so a worker's memory does not grow with the data.

Printed: wall and process seconds of the single-process run and of the cluster run (cluster
start-up apart), their ratio, the largest difference between the two results (a float32 model's
matmul rounds by batch shape, so chunks agree to float32 rounding), and the peak resident
memory of the driver (``ru_maxrss``) and of each worker process (sampled with psutil).

    PYTHONPATH=. .venv/bin/python benchmarks/dask_batch.py --workers 2
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time

import numpy as np
import psutil
import torch

from analyzers.interactions import score_interactions
from benchmarks.threads import set_threads
from benchmarks.timing import timed_with_process
from workbench import Dataset, wrap_model
from workbench.chunk_runs import DASK_HTTP_ADDRESS

N_FEATURES, N_GROUPS = 50, 10


def synthetic(n_rows: int, seed: int = 0) -> tuple[Dataset, np.ndarray]:
    """(rows, 50) float32: 25 standard-normal, 25 binary columns; 10 groups of 5 columns."""
    rng = np.random.default_rng(seed)
    X = np.empty((n_rows, N_FEATURES), dtype=np.float32)
    X[:, :25] = rng.standard_normal((n_rows, 25), dtype=np.float32)
    X[:, 25:] = rng.integers(0, 2, size=(n_rows, 25)).astype(np.float32)
    y = X[:, 0] * X[:, 25] + X[:, 5] * X[:, 10] - X[:, 30] * X[:, 35] + 0.1 * X[:, 1]
    names = [f"x{j}" for j in range(N_FEATURES)]
    # group g holds columns g, g+10, ..., so every group mixes continuous and binary columns
    groups = {f"g{g}": [names[j] for j in range(g, N_FEATURES, N_GROUPS)] for g in range(10)}
    return Dataset.from_arrays(X, y, feature_names=names, groups=groups), y


def fitted_mlp(dataset: Dataset, y: np.ndarray, steps: int = 100):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-2)
    inputs, target = dataset.X[:20_000], torch.as_tensor(y[:20_000])
    for _ in range(steps):
        optimiser.zero_grad()
        ((net(inputs).squeeze(1) - target) ** 2).mean().backward()
        optimiser.step()
    return wrap_model(net.eval(), task="regression", device="cpu")


def peak_rss_mib() -> float:
    """Peak resident memory of the calling process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Peak resident memory of other processes (the workers), sampled every 0.1 s.

    ``ru_maxrss`` inside a worker would not do: a process started by fork and exec keeps its
    parent's high-water mark.
    """

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peaks = [0] * len(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            for i, process in enumerate(self.processes):
                self.peaks[i] = max(self.peaks[i], process.memory_info().rss)
            if self._stop.wait(0.1):
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-rows", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=512, help="explained rows")
    parser.add_argument("--background", type=int, default=16)
    parser.add_argument("--chunk-rows", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="single-process threads")
    args = parser.parse_args()
    threads = set_threads(args.threads)

    started = time.perf_counter()
    dataset, y = synthetic(args.n_rows)
    model = fitted_mlp(dataset, y)
    print(
        f"data: {args.n_rows} rows × {N_FEATURES} features (25 continuous, 25 binary) in "
        f"{N_GROUPS} groups; MLP 50-64-64-1; built in {time.perf_counter() - started:.1f} s"
    )
    game = {
        "index": "sii",
        "approximator": "exact",
        "rows": args.rows,
        "background": args.background,
    }
    print(f"SII exact: {args.rows} explained rows × {args.background} background × 2^10")
    cpu = torch.device("cpu")
    alone, alone_wall, alone_cpu = timed_with_process(
        lambda: score_interactions(model, dataset, **game), cpu
    )
    driver_peak = peak_rss_mib()
    print(
        f"one process ({threads} threads): {alone_wall:.2f} s wall, {alone_cpu:.2f} s process; "
        f"peak RSS {driver_peak:.0f} MiB (holds the {args.n_rows} rows)"
    )

    import distributed

    cluster_start = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=DASK_HTTP_ADDRESS,
    )
    client = distributed.Client(cluster)
    client.run(lambda: __import__("analyzers.interactions"))  # imports outside the clock
    start_seconds = time.perf_counter() - cluster_start
    try:
        pids = list(client.run(os.getpid).values())
        with RssSampler(pids) as sampler:
            batched, batch_wall, batch_cpu = timed_with_process(
                lambda: score_interactions(
                    model, dataset, executor=client, chunk_size=args.chunk_rows, **game
                ),
                cpu,
            )
        worker_peaks = [peak / 2**20 for peak in sampler.peaks]
    finally:
        client.close()
        cluster.close()
    difference = float((alone.scores["value"] - batched.scores["value"]).abs().max())
    scale = float(alone.scores["value"].abs().max())
    chunks = -(-args.rows // args.chunk_rows)
    print(
        f"local cluster ({args.workers} workers × 1 thread, {chunks} chunks of "
        f"{args.chunk_rows} rows): {batch_wall:.2f} s wall, {batch_cpu:.2f} s driver process; "
        f"start-up {start_seconds:.1f} s apart"
    )
    print(f"one process / cluster: {alone_wall / batch_wall:.2f}x")
    print(
        "peak RSS per worker: "
        + ", ".join(f"{peak:.0f} MiB" for peak in worker_peaks)
        + f"; driver {peak_rss_mib():.0f} MiB"
    )
    print(f"largest |SII difference|: {difference:.2e} (largest |SII| {scale:.3f})")


if __name__ == "__main__":
    main()
