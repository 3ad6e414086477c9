"""Draw times of a stored result's page in headless Chromium, on the page's own clock.

Serves a COMPAS workspace with one stored result (FISC of compas-mlp, or its SII/tree
interactions), opens the page once (the server builds the view) and reloads it ``--reloads``
times (views kept), and prints per visit when each figure and each grid's first row appeared
(``tests/app/web/page_clock.py``: a MutationObserver, seconds since navigation start; a lazy
grid out of view counts when its waiting line is there), with the
CPU seconds Chromium's processes and the server's process spent and the load average: on the
shared 2-core machine the CPU seconds move less with load than the wall times do.

    PYTHONPATH=. .venv/bin/python benchmarks/page_draw.py --page rashomon --reloads 5

Run it from another checkout's PYTHONPATH (the same script) to compare two versions of the app.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

GRAPH = '[id=\'{{"figure":"{}","type":"graph"}}\'] .main-svg'
#: a grid's first row, or the line that stands in for a lazy grid not scrolled to (a grid
#: counts as shown when built or, out of view, when that line says it waits there)
GRID = '[id*=\'"table":"{0}"\'] .ag-row, [id*=\'"table":"{0}"\'] .wb-lazy-waiting'
FISC_TABLES = ("summary", "fis_cloud", "main_effects", "boundaries")
#: what each page draws: {name: css}
WATCHED = {
    "rashomon": {
        "halo": GRAPH.format("fisc-halo"),
        "swarm": GRAPH.format("fisc-swarm"),
        "main effects": GRAPH.format("fisc-main-effects"),
        **{f"grid {t}": GRID.format(t) for t in FISC_TABLES},
    },
    "interactions": {
        "heatmap": GRAPH.format("inter-heatmap"),
        "network": GRAPH.format("inter-network"),
        "top pairs": GRAPH.format("inter-top-pairs"),
        "dependence": GRAPH.format("inter-dependence"),
        **{f"grid {t}": GRID.format(t) for t in ("global", "scores")},
    },
}
MODEL = "compas-mlp"


def _workspace(root: Path, page: str):
    from app.analyses import compute_result
    from workbench.samples import sample_data_path
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    space = Workspace.create(root)
    target = "Recidivate-Within-Two-Years"
    space.add_data(DataEntry("compas", str(sample_data_path("compas.csv")), target, "prefix"))
    space.add_model(ModelEntry(MODEL, "compas", "sample", sample="mlp"))
    if page == "rashomon":
        compute_result(space, "rashomon", MODEL, {"approximator": "permutation"})
        return space, f"rashomon?data=compas&model={MODEL}&approximator=permutation"
    compute_result(space, "interactions", MODEL, {"index": "sii", "rows": 50})
    return space, f"interactions?data=compas&model={MODEL}&index=sii&rows=50"


def _chromium_seconds(driver) -> float:
    """CPU seconds of the chromedriver's browser processes so far (children included)."""
    root = psutil.Process(driver.service.process.pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _visit(driver, url: str, watched: dict[str, str], timeout: float = 60) -> dict[str, float]:
    from tests.app.web.page_clock import seen_at

    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = {name: seen_at(driver, name) for name in watched}
        if all(at is not None for at in seen.values()):
            return seen
        time.sleep(0.1)
    missing = [name for name, at in seen.items() if at is None]
    raise TimeoutError(f"not drawn after {timeout} s: {missing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", choices=sorted(WATCHED), default="rashomon")
    parser.add_argument("--reloads", type=int, default=5)
    arguments = parser.parse_args()

    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.app.conftest import _chrome
    from tests.app.web.page_clock import watch_every_page

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    watched = WATCHED[arguments.page]
    with tempfile.TemporaryDirectory() as folder:
        space, path = _workspace(Path(folder) / "ws", arguments.page)
        server = serve_in_thread(create_app(space))
        driver = _chrome(Path(folder))
        server_process = psutil.Process(os.getpid())
        try:
            watch_every_page(driver, watched)
            visits = []
            for visit in range(1 + arguments.reloads):
                browser_cpu, server_cpu = _chromium_seconds(driver), server_process.cpu_times()
                seen = _visit(driver, server.url + path, watched)
                time.sleep(0.5)  # the last draws' layout and paint land in the CPU counts
                spent = server_process.cpu_times()
                visits.append(
                    {
                        "visit": "first" if visit == 0 else "reload",
                        "drawn_s": {name: round(at, 3) for name, at in seen.items()},
                        "all_drawn_s": round(max(seen.values()), 3),
                        "chromium_cpu_s": round(_chromium_seconds(driver) - browser_cpu, 2),
                        "server_cpu_s": round(
                            spent.user + spent.system - server_cpu.user - server_cpu.system, 2
                        ),
                        "load_1min": round(os.getloadavg()[0], 2),
                    }
                )
                print(json.dumps(visits[-1]))
        finally:
            driver.get("about:blank")
            driver.quit()
            server.stop()
    reloads = visits[1:] or visits
    summary = {
        key: round(statistics.median(v[key] for v in reloads), 3)
        for key in ("all_drawn_s", "chromium_cpu_s", "server_cpu_s", "load_1min")
    }
    first = next(iter(watched))
    summary[f"{first}_drawn_s"] = round(statistics.median(v["drawn_s"][first] for v in reloads), 3)
    print("median of reloads:", json.dumps(summary))


if __name__ == "__main__":
    main()
