"""Time of the Compare page's range choice (``app.web.pages.compare.range_choices``) with many
stored model sets: the page lists every stored range of each compared model, then reads the
chosen one (the newest) in full.

Builds a small workspace (two sample models on planted data, eight groups: 28 pairs), stores
one real retrained set of the first model, then ``--stored`` older filler sets of each model
whose clouds are padded to ``--members`` members (64 members x 28 pairs stays in the JSON,
under the Parquet threshold, as a real set of that size would), and times the range choice
cold (the parsed-result cache emptied each time) ``--repeats`` times.

    PYTHONPATH=. .venv/bin/python benchmarks/compare_ranges.py --stored 20

Run it from another checkout's PYTHONPATH (the same script) to compare two versions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

MODELS = ("planted-logistic", "planted-gbt")
GROUPS = tuple(f"x{k}" for k in range(8))
SET_PARAMETERS = {"builder": "retrain", "members": 3, "index": "h2", "rows": 60}


def workspace_with_sets(folder: Path, stored: int, members: int):
    from app.analyses import analysis, analysis_code_version, compute_result
    from workbench.store import ResultKey
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 2, (300, len(GROUPS))), columns=list(GROUPS))
    frame["y"] = (frame["x0"] ^ frame["x1"]).astype(int)
    frame.to_csv(folder / "planted.csv", index=False)
    workspace = Workspace.create(folder / "ws")
    workspace.add_data(DataEntry("planted", str(folder / "planted.csv"), "y"))
    for model in MODELS:
        workspace.add_model(ModelEntry(model, "planted", "sample", sample=model.split("-")[1]))
    compute_result(workspace, "model_set", MODELS[0], SET_PARAMETERS)
    [real] = workspace.store.entries("model_set")
    payload = workspace.store.get(ResultKey(**real["key"]))
    padded = _padded(payload, members)
    version = analysis_code_version("model_set")
    defaults = analysis("model_set").defaults
    data = workspace.model(MODELS[0]).rows.fingerprint()
    for model in MODELS:
        fingerprint = workspace.model(model).adapter.fingerprint()
        for k in range(stored):
            parameters = {**defaults, **SET_PARAMETERS, "members": members + k}
            key = ResultKey("model_set", fingerprint, data, parameters, version)
            workspace.store.put(key, padded, 0.0, [model])
    _touch_newest(workspace, real)
    return workspace


def _padded(payload: dict, members: int) -> dict:
    """The real set's payload with its clouds and members repeated up to ``members``."""
    clouds, rows = dict(payload["clouds"]), payload["clouds"]["rows"]
    member = clouds["columns"].index("member")
    clouds["rows"] = [
        [f"m{k}" if i == member else value for i, value in enumerate(row)]
        for k in range(members)
        for row in rows[: len(rows) // max(1, len({r[member] for r in rows}))]
    ]
    return {**payload, "clouds": clouds}


def _touch_newest(workspace, real: dict) -> None:
    """Make the real set the most recent, so it is the one chosen (as after "build, then
    compare")."""
    from workbench.store import ResultKey

    key = ResultKey(**real["key"])
    workspace.store.put(key, workspace.store.get(key), 0.0, [MODELS[0]])


def time_choice(workspace, repeats: int) -> list[float]:
    import app.analyses as analyses
    from app.web.pages.compare import range_choices

    times = []
    for _ in range(repeats):
        analyses._parsed.clear()  # cold: the chosen result is parsed again
        started = time.perf_counter()
        choices = range_choices(workspace, list(MODELS), "h2")
        times.append(time.perf_counter() - started)
        assert choices[0].used is not None and choices[0].result is not None
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=20, help="filler sets per model")
    parser.add_argument("--members", type=int, default=64, help="members of each filler set")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = workspace_with_sets(Path(folder), args.stored, args.members)
        files = list(workspace.store.root.glob("model_set/*.json"))
        size = sum(path.stat().st_size for path in files) / 1e6
        time_choice(workspace, 1)  # models loaded, imports done
        times = time_choice(workspace, args.repeats)
    print(
        f"range choice, {len(MODELS)} models, {len(files)} stored sets ({size:.1f} MB of JSON): "
        f"median {statistics.median(times) * 1e3:.1f} ms, min {min(times) * 1e3:.1f} ms "
        f"over {args.repeats} cold runs"
    )


if __name__ == "__main__":
    main()
