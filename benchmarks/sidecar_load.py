"""Loading a large stored result: plain JSON against Parquet sidecars (rows and frames paths).

The result: local SII of ``--rows`` explained rows × ``--pairs`` pairs (2,000 × 45 by default:
90,000 score rows × 5 columns, seeded normal values with a NaN), as ``InteractionResult``. It is
stored three ways in one temporary folder and each load, ``store.get`` then ``from_dict``, is
timed ``--repeats`` times (median, wall and process seconds):

- ``json``: every frame in the JSON (a store whose sidecar threshold is never reached);
- ``sidecar rows``: the scores in Parquet, turned back into row lists (``get()``, the JSON
  payload; what the app and the CLI did before ``frames=True``);
- ``sidecar frames``: the same files read as DataFrames (``get(frames=True)``, what they do now).

Ratios are against ``json`` in the same run. The loaded frames are checked identical to the
JSON path's (values, NaN bits, dtypes, order, index). The machine's load average (``uptime``) is
printed: on a shared machine, process seconds tell a slow load from one that waited.

    PYTHONPATH=. .venv/bin/python benchmarks/sidecar_load.py --rows 2000 --pairs 45
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def local_result(n_rows: int, n_pairs: int):
    from analyzers.interaction_result import InteractionResult

    rng = np.random.default_rng(0)
    pairs = [f"x{i} × x{i + 1}" for i in range(n_pairs)]
    values = rng.normal(size=n_rows * n_pairs)
    values[0] = np.nan
    scores = pd.DataFrame(
        {
            "model": "mlp",
            "index": "sii",
            "pair": np.tile(pairs, n_rows),
            "value": values,
            "row": np.repeat(np.arange(n_rows), n_pairs),
        }
    )
    groups = tuple(f"x{i}" for i in range(n_pairs + 1))
    mains = pd.DataFrame({"model": "mlp", "index": "sii", "group": list(groups), "value": 0.5})
    return InteractionResult("mlp", "sii", groups, scores, mains, {"n_rows": n_rows}, 1.0)


def same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return a["value"].to_numpy().tobytes() == b["value"].to_numpy().tobytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="explained rows (default 2000)")
    parser.add_argument("--pairs", type=int, default=45, help="pairs (default 45)")
    parser.add_argument("--repeats", type=int, default=5, help="loads per way (default 5)")
    args = parser.parse_args(argv)

    import torch

    from analyzers.interaction_result import InteractionResult
    from benchmarks.timing import timed_with_process
    from workbench.store import ResultKey, ResultStore

    result = local_result(args.rows, args.pairs)
    key = ResultKey("interactions", "model-fp", "data-fp", {"index": "sii"})
    folder = Path(tempfile.mkdtemp(prefix="sidecar-load-"))
    json_only = ResultStore(folder / "json", sidecar_min_cells=10**15)
    sidecars = ResultStore(folder / "sidecars")
    json_only.put(key, result.to_dict())
    sidecars.put(key, result.to_dict())
    ways = {
        "json": lambda: InteractionResult.from_dict(json_only.get(key)),
        "sidecar rows": lambda: InteractionResult.from_dict(sidecars.get(key)),
        "sidecar frames": lambda: InteractionResult.from_dict(sidecars.get(key, frames=True)),
    }
    cpu = torch.device("cpu")
    for load in ways.values():
        load()  # imports (pyarrow) and the page cache outside the clock
    print(f"result: {args.rows} rows x {args.pairs} pairs = {len(result.scores):,} score rows")
    for name, store in (("json", json_only), ("sidecars", sidecars)):
        sizes = {p.name.split(".", 1)[1]: p.stat().st_size for p in store.root.glob("*/*")}
        print(f"files ({name}): " + ", ".join(f"{k} {v / 1e3:,.1f} kB" for k, v in sizes.items()))
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")
    medians = {}
    for name, load in ways.items():
        runs = [timed_with_process(load, cpu) for _ in range(args.repeats)]
        wall = statistics.median(r[1] for r in runs)
        process = statistics.median(r[2] for r in runs)
        medians[name] = (wall, process)
        same = same_frame(runs[0][0].scores, ways["json"]().scores)
        print(f"{name:15s} wall {wall:.3f} s  process {process:.3f} s  identical to json: {same}")
    base_wall, base_process = medians["json"]
    for name, (wall, process) in medians.items():
        ratios = f"wall {wall / base_wall:.2f}x  process {process / base_process:.2f}x"
        print(f"{name:15s} / json: {ratios}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
