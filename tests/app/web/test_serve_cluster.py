"""``workbench serve --workers 2``: a job's chunks go to the server's own Dask cluster, which
stops with the server (issue 16)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest

from tests.app.web.dash_http import start_job, wait_for_server
from tests.app.web.job_servers import form, free_port, stop, stopped_in_time, wait_gone


# ~40 s on a loaded 2-core machine: the server's start, two spawned workers, one job
@pytest.mark.slow
def test_serve_workers_runs_a_job_s_chunks_on_its_cluster_and_stops_it(xor_workspace, tmp_path):
    workspace = xor_workspace("logistic")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "server.log"
    command = ["serve", "--workspace", str(workspace.root), "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, "-m", "app", *command],
        stdout=open(log, "a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    family = []
    try:
        wait_for_server(url, timeout_seconds=120)
        family = psutil.Process(server.pid).children(recursive=True)
        assert len(family) >= 2, "the cluster's workers are children of the server"
        job = start_job(url, "inter", form(workspace))  # exact SII (3 features) on 20 rows
        answer = job.wait(120)
        assert "Failed" not in str(answer["response"]), answer
        # the job checkpointed its rows as a chunk (run on the cluster) in the workspace's
        # store, and pruned it once the whole result was stored
        chunks = workspace.store.root / "interactions_chunks"
        assert chunks.is_dir() and list(chunks.glob("*.json")) == []
        assert len(list((workspace.store.root / "interactions").glob("*.json"))) == 1
        assert "local cluster of 2 workers" in log.read_text()

        os.kill(server.pid, signal.SIGINT)
        stopped_in_time(server, log, timeout_seconds=20)
        assert wait_gone(family, timeout_seconds=10) == []  # the workers went with it
    except Exception:
        print(log.read_text()[-3000:])
        raise
    finally:
        stop(server)
        for process in wait_gone(family, timeout_seconds=0):
            process.kill()
