"""Page-load time of a stored result with N jobs running, on a loopback server.

Serves a tiny workspace (300-row XOR data, a logistic sample model) with ``workbench serve`` in a
subprocess, stores one interactions result, then for each N starts N jobs that each keep a core
busy (a stand-in analysis, so every N loads the machine alike) and times the stored page: the
Dash routing request that renders ``/interactions?...`` from the store, as a browser's first
request after the HTML. Prints one line per N; nothing is asserted.

    PYTHONPATH=. .venv/bin/python benchmarks/load.py --jobs 0 2 4 --max-jobs 1 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests' helpers, beside this

from tests.app.web.dash_http import render_page, start_job, wait_for_server
from tests.app.web.job_servers import (
    XOR_PAGE,
    form,
    free_port,
    start_server,
    stop,
)


def xor_workspace(folder: Path):
    import numpy as np
    import pandas as pd

    from workbench.workspace import DataEntry, ModelEntry, Workspace

    frame = pd.DataFrame(
        np.random.default_rng(0).integers(0, 2, size=(300, 3)), columns=["a", "b", "c"]
    )
    frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
    frame.to_csv(folder / "xor.csv", index=False)
    workspace = Workspace.create(folder / "ws-logistic")
    workspace.add_data(DataEntry("xor", str(folder / "xor.csv"), "y"))
    workspace.add_model(ModelEntry("xor-logistic", "xor", "sample", sample="logistic"))
    return workspace


def page_seconds(url: str, requests_count: int) -> list[float]:
    """Wall seconds of each of ``requests_count`` renders of the stored result page."""
    times = []
    for _ in range(requests_count):
        start = time.perf_counter()
        page = render_page(url, "/interactions", XOR_PAGE)
        times.append(time.perf_counter() - start)
        assert "analysis time" in page, "the stored result is not on the page"
    return times


def measure(workspace, jobs: int, max_jobs: int, requests_count: int, log: Path) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(workspace.root, port, "busy-compute", log, max_jobs=max_jobs)
    try:
        wait_for_server(url, timeout_seconds=120)
        page_seconds(url, 2)  # warm: first renders import and cache
        started = [
            start_job(url, "inter", form(workspace) | {"inter-rows": 30 + k}) for k in range(jobs)
        ]
        time.sleep(3 if started else 0)  # the jobs load their model and start computing
        times = page_seconds(url, requests_count)
        return {
            "jobs": jobs,
            "max_jobs": max_jobs,
            "median_s": statistics.median(times),
            "max_s": max(times),
        }
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[0, 2, 4], help="jobs running")
    parser.add_argument("--max-jobs", type=int, nargs="+", default=[1], help="pool sizes")
    parser.add_argument("--requests", type=int, default=7, help="timed page loads per case")
    args = parser.parse_args(argv)

    from app.analyses import compute_result

    with tempfile.TemporaryDirectory() as folder:
        workspace = xor_workspace(Path(folder))
        parameters = {"index": "sii", "rows": 20, "background": 10}
        compute_result(workspace, "interactions", "xor-logistic", parameters)
        print("jobs  max_jobs  page median s  page max s")
        for max_jobs in args.max_jobs:
            for jobs in args.jobs:
                row = measure(workspace, jobs, max_jobs, args.requests, Path(folder) / "log")
                print(
                    f"{row['jobs']:>4}  {row['max_jobs']:>8}  {row['median_s']:>13.3f}  "
                    f"{row['max_s']:>10.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
