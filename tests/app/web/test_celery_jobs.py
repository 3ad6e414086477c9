"""`--jobs celery`: a worker killed mid-job ends in a visible failure, not a spinner forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.app.web.dash_http import start_job
from tests.app.web.job_servers import form

pytestmark = pytest.mark.slow

#: the worker of `workbench serve --jobs celery`, with the test-only slow analysis
WORKER = """
import dataclasses, time
import app.analyses as analyses

def tick(model, parameters, progress):
    for step in range(600):
        if progress is not None:
            progress("slow", step, 600)
        time.sleep(0.1)
    raise RuntimeError("the slow test analysis ran to its end")

spec = analyses.ANALYSES["interactions"]
analyses.ANALYSES["interactions"] = dataclasses.replace(spec, compute=tick)
from app.celery_worker import celery
celery.worker_main(["worker", "--pool=solo", "--loglevel=WARNING"])
"""
LOST_SECONDS = 3


def test_a_worker_killed_mid_job_shows_a_failure(xor_workspace, tmp_path, redis_url, monkeypatch):
    from app.web import create_app
    from app.web.jobs import WORKER_LOST
    from app.web.server import serve_in_thread

    workspace = xor_workspace("logistic")
    monkeypatch.setenv("WORKBENCH_JOB_LOST_SECONDS", str(LOST_SECONDS))
    environment = {
        **os.environ,
        "WORKBENCH_WORKSPACE": str(workspace.root),
        "WORKBENCH_REDIS_URL": redis_url,
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER], env=environment, stdout=open(log, "w"), stderr=-2
    )
    server = serve_in_thread(create_app(workspace, jobs="celery", redis_url=redis_url))
    try:
        job = start_job(server.url, "inter", form(workspace))
        job.wait(60, until=lambda answer: "slow:" in json.dumps(answer))  # the worker computes
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        killed = time.monotonic()
        answer = job.wait(LOST_SECONDS + 10)
        assert WORKER_LOST in json.dumps(answer["response"])
        assert time.monotonic() - killed < LOST_SECONDS + 5
        assert workspace.store.entries() == []
    except Exception:
        print(log.read_text()[-3000:])
        raise
    finally:
        server.stop()
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=10)
