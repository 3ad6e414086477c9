"""`--jobs celery`: a FISC job sent through Redis to a Celery worker, in a real browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.app.conftest import console_errors, screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HALO = '[id=\'{"figure":"fisc-halo","type":"graph"}\'] .main-svg'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("the Celery test needs Debian's redis-server (see README)")
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=20)


def test_fisc_job_runs_on_a_celery_worker(browser, tmp_path, redis_url):
    from app.web import create_app
    from app.web.server import serve_in_thread
    from workbench.samples import sample_data_path
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    workspace = Workspace.create(tmp_path / "workspace")
    workspace.add_data(
        DataEntry(
            "compas",
            str(sample_data_path("compas.csv")),
            "Recidivate-Within-Two-Years",
            groups="prefix",
        )
    )
    workspace.add_model(ModelEntry("logistic", "compas", "sample", sample="logistic"))
    environment = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace.root)}
    environment["WORKBENCH_REDIS_URL"] = redis_url
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "app.celery_worker",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
        ],
        env=environment,
        stdout=open(tmp_path / "worker.log", "w"),
        stderr=subprocess.STDOUT,
    )
    server = serve_in_thread(create_app(workspace, jobs="celery", redis_url=redis_url))
    try:
        browser.get(server.url + "rashomon?data=compas&model=logistic")
        wait_for(browser, "#fisc-run", timeout=60).click()
        wait_for(browser, HALO, timeout=120)
        [entry] = workspace.store.entries("rashomon")  # written by the worker process
        assert entry["key"]["parameters"]["epsilon_rate"] == 0.1  # explore_rashomon's default
        screenshot(browser, "rashomon-celery")
        assert console_errors(browser) == []
    except Exception:
        print((tmp_path / "worker.log").read_text()[-3000:])
        print(browser.find_element("css selector", "body").text[-1500:])
        raise
    finally:
        browser.leave()  # before the server stops: its page would log failed requests
        server.stop()
        worker.terminate()
        worker.wait(timeout=30)
