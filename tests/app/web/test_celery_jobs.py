"""`--jobs celery`: a worker killed mid-job ends in a visible failure or, once a fresh worker
runs, in the redelivered task's stored result; never a spinner forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.app.web.dash_http import render_page, start_job
from tests.app.web.job_servers import XOR_PAGE, form, wait_gone

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


#: a prefork worker (pool child included) whose interactions analysis ticks until killed on its
#: first run, and runs for real on a later one; each run appends a line to $WORKBENCH_TEST_RUNS,
#: so the test sees that the task ran twice (once killed, once redelivered)
REDELIVERY_WORKER = """
import dataclasses, os, time
import app.analyses as analyses

spec = analyses.ANALYSES["interactions"]
runs = os.environ["WORKBENCH_TEST_RUNS"]

def first_run_hangs(model, parameters, progress):
    with open(runs, "a") as log:
        log.write("run\\n")
    first = open(runs).read().count("run") == 1
    for step in range(600 if first else 5):
        if progress is not None:
            progress("slow", step, 600)
        time.sleep(0.1)
    return spec.compute(model, parameters, progress)

analyses.ANALYSES["interactions"] = dataclasses.replace(spec, compute=first_run_hangs)
from app.celery_worker import celery
# Redis hands an unacknowledged task to another worker once it is this old (default 1 h)
celery.conf.broker_transport_options = {"visibility_timeout": %(visibility)s}
celery.worker_main(["worker", "--pool=prefork", "--concurrency=1", "--loglevel=WARNING"])
"""
VISIBILITY_SECONDS = 2
#: long enough that the page waits for the redelivery (a fresh worker restores unacknowledged
#: tasks ~10 s after it starts) instead of declaring the job lost
REDELIVERY_LOST_SECONDS = 40


def test_a_killed_worker_s_task_is_redelivered_and_stored(
    xor_workspace, tmp_path, redis_url, monkeypatch
):
    """SIGKILL to a prefork worker's whole process group mid-job; a fresh worker gets the task
    again (late acknowledgement), and the page ends with the stored result, the store whole."""
    from app.web import create_app
    from app.web.server import serve_in_thread

    workspace = xor_workspace("logistic")
    monkeypatch.setenv("WORKBENCH_JOB_LOST_SECONDS", str(REDELIVERY_LOST_SECONDS))
    runs = tmp_path / "runs.txt"
    environment = {
        **os.environ,
        "WORKBENCH_WORKSPACE": str(workspace.root),
        "WORKBENCH_REDIS_URL": redis_url,
        "WORKBENCH_TEST_RUNS": str(runs),
    }
    script = REDELIVERY_WORKER % {"visibility": VISIBILITY_SECONDS}
    log = tmp_path / "worker.log"

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", script],
            env=environment,
            stdout=open(log, "a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one killpg reaches the pool too
        )

    workers = [start_worker()]
    server = serve_in_thread(create_app(workspace, jobs="celery", redis_url=redis_url))
    try:
        job = start_job(server.url, "inter", form(workspace))
        job.wait(60, until=lambda answer: "slow:" in json.dumps(answer))  # the pool child computes
        family = [psutil.Process(workers[0].pid), *psutil.Process(workers[0].pid).children(True)]
        assert len(family) >= 2, "no prefork pool child to kill"
        os.killpg(workers[0].pid, signal.SIGKILL)
        assert wait_gone(family, 10) == []
        workers.append(start_worker())
        answer = job.wait(REDELIVERY_LOST_SECONDS)
        response = json.dumps(answer["response"])
        assert "wb-ok" in response and "wb-error" not in response, response
        assert runs.read_text().count("run") == 2  # killed once, redelivered once
        [entry] = workspace.store.entries()  # the result, stored once
        page = render_page(server.url, "/interactions", XOR_PAGE)
        assert "No stored result" not in page and f"{entry['seconds']:.2f} s" in page
        assert workspace.store.partial_files() == []
        for path in workspace.store.root.glob("*/*.json"):
            json.loads(path.read_text())  # every stored result parses
    except Exception:
        print(log.read_text()[-3000:])
        raise
    finally:
        server.stop()
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
