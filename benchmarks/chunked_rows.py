"""FISC exact on Parquet data loaded whole vs read in chunks: wall time and peak memory.

The data: ``--rows`` synthetic rows (10⁵ and 10⁶ by default) × 50 binary features, each row one
of 2,000 seeded 50-bit patterns (data with repeated rows, as binary and categorical data have),
a 0/1 label with a planted x0·x1 term; written to a temporary Parquet file in row groups, so
the writer never holds the rows either. The model: a logistic regression fitted on 20,000 other
rows of the same source. The analysis: ``explore_rashomon(approximator="exact")`` over the
pairs of 6 groups (15 interactions), once on ``Dataset.from_parquet`` (every row in memory)
and once on ``DistinctRows.from_parquet(chunk_rows=...)`` (distinct rows and counts only).

Each run is a fresh process; its peak resident memory is sampled with psutil every 20 ms
(``ru_maxrss`` would inherit the parent's high-water mark). Printed per row count: wall and
process seconds, peak RSS above the process's RSS after imports, distinct rows, and whether the
two results are identical (to_dict minus seconds). With ``--workers N`` the joint models run on a
local cluster of N worker processes (started outside the clock), which receive the data set the
driver holds, whole or as distinct rows; their peak RSS (whole, MiB) is printed too.

    PYTHONPATH=. .venv/bin/python benchmarks/chunked_rows.py --rows 100000 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

N_FEATURES, N_PATTERNS, GROUPS = 50, 2_000, [f"x{j}" for j in range(6)]


def patterns(seed: int = 0) -> np.ndarray:
    """(2000, 50) the seeded binary patterns every row is drawn from."""
    return np.random.default_rng(seed).integers(0, 2, (N_PATTERNS, N_FEATURES)).astype(np.float32)


def draw(n_rows: int, rng: np.random.Generator, table: np.ndarray):
    X = table[rng.integers(0, N_PATTERNS, n_rows)]
    logit = 2.5 * X[:, 0] * X[:, 1] - 1.0 + 0.5 * X[:, 2] - 0.5 * X[:, 3]
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return X, y


def write_parquet(path: Path, n_rows: int, block: int = 100_000) -> None:
    """The rows written a row group at a time (seeded by the row count)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng, table, writer = np.random.default_rng(n_rows), patterns(), None
    for start in range(0, n_rows, block):
        X, y = draw(min(block, n_rows - start), rng, table)
        columns = {f"x{j}": X[:, j] for j in range(N_FEATURES)} | {"label": y}
        batch = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, batch.schema)
        writer.write_table(batch)
    writer.close()


def fit_model(path: Path) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    X, y = draw(20_000, np.random.default_rng(12345), patterns())
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), path)


class PeakRss:
    """Peak resident memory of this process, sampled every 20 ms in a thread."""

    def __init__(self) -> None:
        import psutil

        self.process, self.peak, self.running = psutil.Process(), 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return max(self.peak, self.process.memory_info().rss)


def measure(mode: str, data: str, model_path: str, chunk_rows: int, workers: int) -> dict:
    """One run in this process (the child): FISC on the file, loaded whole or in chunks; with
    ``workers``, the joint models on a local cluster, whose worker memory is sampled too."""
    import joblib
    import torch

    from analyzers.rashomon import explore_rashomon
    from benchmarks.timing import timed_with_process
    from workbench import Dataset, wrap_model
    from workbench.chunk_runs import DASK_HTTP_ADDRESS
    from workbench.data.chunked import DistinctRows

    torch.set_num_threads(1)
    model = wrap_model(joblib.load(model_path))
    cluster = client = None
    options: dict = {}
    if workers:
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=DASK_HTTP_ADDRESS,
        )
        client = distributed.Client(cluster)
        client.run(lambda: __import__("analyzers.rashomon_chunks"))  # imports outside the clock
        options = {"executor": client, "chunk_size": 3}
    sampler = PeakRss()
    baseline = sampler.process.memory_info().rss

    def run():
        if mode == "whole":
            rows = Dataset.from_parquet(data, "label")
        else:
            rows = DistinctRows.from_parquet(data, "label", chunk_rows=chunk_rows)
        return explore_rashomon(
            model, rows, approximator="exact", groups=GROUPS, delta=0.25, **options
        )

    worker_peaks: list[float] = []
    if client is None:
        result, wall, cpu = timed_with_process(run, torch.device("cpu"))
    else:
        from benchmarks.dask_batch import RssSampler

        with RssSampler(list(client.run(os.getpid).values())) as workers_rss:
            result, wall, cpu = timed_with_process(run, torch.device("cpu"))
        worker_peaks = [peak / 2**20 for peak in workers_rss.peaks]
        client.close()
        cluster.close()
    peak = sampler.stop()
    content = result.to_dict()
    content.pop("seconds")
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode())
    return {
        "wall_s": wall,
        "process_s": cpu,
        "peak_rss_above_imports_mib": (peak - baseline) / 2**20,
        "distinct_rows": result.settings["n_distinct_rows"],
        "worker_peak_rss_mib": worker_peaks,
        "result_sha256": digest.hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--chunk-rows", type=int, default=65_536)
    parser.add_argument(
        "--workers", type=int, default=0, help="joint models on a local cluster of N workers"
    )
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.model, args.chunk_rows, args.workers)))
        return
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.joblib"
        fit_model(model_path)
        print(f"FISC exact, 15 pairs of 6 groups, 50 binary features, chunks of {args.chunk_rows}")
        workers = "".join(f" {f'worker{i}':>8}" for i in range(args.workers))
        print(
            f"{'rows':>9} {'mode':>8} {'wall s':>7} {'cpu s':>7} {'peak MiB':>9} {'distinct':>8}"
            f"{workers}"
        )
        for n_rows in args.rows:
            data = Path(folder) / f"rows_{n_rows}.parquet"
            write_parquet(data, n_rows)
            runs = {}
            for mode in ("whole", "chunked"):
                command = [sys.executable, __file__, "--measure", mode, str(data)]
                command += ["--model", str(model_path), "--chunk-rows", str(args.chunk_rows)]
                command += ["--workers", str(args.workers)]
                output = subprocess.run(command, check=True, capture_output=True, text=True)
                runs[mode] = run = json.loads(output.stdout.strip().splitlines()[-1])
                print(
                    f"{n_rows:>9} {mode:>8} {run['wall_s']:>7.1f} {run['process_s']:>7.1f} "
                    f"{run['peak_rss_above_imports_mib']:>9.0f} {run['distinct_rows']:>8}"
                    + "".join(f" {peak:>8.0f}" for peak in run["worker_peak_rss_mib"])
                )
            same = runs["whole"]["result_sha256"] == runs["chunked"]["result_sha256"]
            ratio = runs["whole"]["peak_rss_above_imports_mib"] / max(
                runs["chunked"]["peak_rss_above_imports_mib"], 1e-9
            )
            print(f"{n_rows:>9} identical results: {same}; whole/chunked peak memory {ratio:.1f}x")


if __name__ == "__main__":
    main()
