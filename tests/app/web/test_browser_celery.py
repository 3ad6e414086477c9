"""`--jobs celery`: a FISC job sent through Redis to a Celery worker, in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.app.conftest import console_errors, screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HALO = '[id=\'{"figure":"fisc-halo","type":"graph"}\'] .main-svg'


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
