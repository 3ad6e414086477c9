"""Jobs: component ids (a fixed set, so a typo fails where it is written), the bounded job pool
and what the page says after Cancel."""

from __future__ import annotations

import json
import time

import pytest

from app.web.jobs import JobIds
from workbench.errors import ParameterError


def test_job_ids_are_prefixed_and_distinct():
    ids = JobIds("cmp")
    names = ("run", "cancel", "progress", "progress_text", "url", "status", "results")
    values = [getattr(ids, name) for name in names]
    assert ids.run == "cmp-run" and ids.progress_text == "cmp-progress-text"
    assert len(set(values)) == len(values)
    assert all(value.startswith("cmp-") for value in values)


def test_a_mistyped_id_raises_attribute_error():
    with pytest.raises(AttributeError):
        JobIds("cmp").reslts  # noqa: B018


def test_two_pages_ids_never_collide():
    assert not {JobIds("cmp").run, JobIds("cmp").url} & {JobIds("inter").run, JobIds("inter").url}


def test_a_view_control_edits_only_its_own_query_values():
    from app.web.jobs import updated_search

    search = "?data=compas&model=mlp&outside=1"
    assert updated_search(search, {"pair": "a × b"}) == (
        "?data=compas&model=mlp&outside=1&pair=a+%C3%97+b"
    )
    # An empty choice keeps the URL's value; a removed name goes.
    assert updated_search(search, {"model": None}) == search
    assert (
        updated_search(search, {"outside": None}, remove=("outside",)) == "?data=compas&model=mlp"
    )
    assert updated_search(None, {}) == "?"


# -- a bounded pool, and the truth after Cancel (real forked processes) ------------------------

PARAMETERS = {"index": "sii", "rows": 20, "background": 10}


def slow_interactions(monkeypatch):
    """A test-only slow analysis under the interactions page (forked jobs inherit the patch)."""
    import dataclasses

    import app.analyses as analyses

    def tick(model, parameters, progress):
        for step in range(600):
            if progress is not None:
                progress("slow", step, 600)
            time.sleep(0.05)
        raise RuntimeError("the slow test analysis ran to its end")

    spec = dataclasses.replace(analyses.ANALYSES["interactions"], compute=tick)
    monkeypatch.setitem(analyses.ANALYSES, "interactions", spec)


def test_a_job_past_the_pool_size_waits_its_turn(xor_workspace, monkeypatch):
    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.app.web.dash_http import start_job
    from tests.app.web.job_servers import form

    slow_interactions(monkeypatch)
    workspace = xor_workspace("logistic")
    web_app = create_app(workspace, max_jobs=1)
    server = serve_in_thread(web_app)
    try:
        first = start_job(server.url, "inter", form(workspace))
        first.wait(60, until=lambda answer: "slow:" in json.dumps(answer))
        second = start_job(server.url, "inter", form(workspace) | {"inter-rows": 21})
        second.wait(10, until=lambda answer: "Queued (1 ahead)" in json.dumps(answer))
        time.sleep(1)
        assert "slow:" not in json.dumps(second.poll())  # still waiting, not computing
        first.cancel()
        second.wait(60, until=lambda answer: "slow:" in json.dumps(answer))
        assert len(web_app._background_manager.jobs()) == 1
    finally:
        web_app._background_manager._end_jobs()
        server.stop()


def test_the_pool_size_is_checked():
    from app.web.job_pool import PooledDiskcacheManager

    with pytest.raises(ParameterError, match="max_jobs: expected an integer >= 1, got 0"):
        PooledDiskcacheManager(None, max_jobs=0)


def run_killed(job, until, timeout_seconds: float = 60.0) -> None:
    """Run ``job`` in a forked process and SIGKILL it (as Dash's Cancel does) once ``until()``."""
    import multiprocessing
    import threading

    process = multiprocessing.get_context("fork").Process(target=job)
    # Forked from a fresh thread, as the server forks its jobs: a fork from a thread that has run
    # torch's OpenMP pool (an earlier test loading a model here) hangs at the child's first op.
    starter = threading.Thread(target=process.start)
    starter.start()
    starter.join()
    try:
        deadline = time.monotonic() + timeout_seconds
        while not until():
            assert process.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        process.kill()
        process.join()


def job_of(workspace, record, after_store=lambda: time.sleep(60)):
    """What the page's job does: note its record, compute and store, then draw (here: wait)."""
    from app.analyses import compute_result, watching_stores

    def job():
        record.start()
        with watching_stores(record.storing):
            compute_result(workspace, "interactions", "xor-logistic", PARAMETERS)
        after_store()

    return job


def test_cancel_after_the_job_stored_its_result_says_it_is_kept(xor_workspace):
    """A job that stored its result, then was cancelled while drawing the view: the page said
    "nothing was stored" while the store had it."""
    from app.analyses import stored_result
    from app.web.job_record import STORED_BEFORE_CANCEL, JobRecord

    workspace = xor_workspace("logistic")
    record = JobRecord(workspace.root, "inter", ["xor", "xor-logistic", 20])
    run_killed(job_of(workspace, record), until=lambda: workspace.store.entries("interactions"))
    assert record.cancel_message() == STORED_BEFORE_CANCEL
    assert stored_result(workspace, "interactions", "xor-logistic", PARAMETERS) is not None


def test_cancel_before_the_write_finished_says_nothing_was_stored(xor_workspace, monkeypatch):
    """Killed mid-write (its temporary file written, not yet renamed): nothing is stored, and
    the page says so."""
    import os

    from app.web.job_record import CANCELLED, JobRecord

    workspace = xor_workspace("logistic")
    record = JobRecord(workspace.root, "inter", ["xor", "xor-logistic", 20])
    monkeypatch.setattr(os, "fsync", lambda descriptor: time.sleep(60))  # the write stalls
    run_killed(job_of(workspace, record), until=lambda: workspace.store.partial_files())
    assert record.cancel_message() == CANCELLED
    assert workspace.store.entries() == []


def test_cancel_of_a_job_that_never_started_says_nothing_was_stored(tmp_path):
    from app.web.job_record import CANCELLED, JobRecord

    assert JobRecord(tmp_path, "inter", ["xor"]).cancel_message(wait_seconds=0) == CANCELLED


_KILLED_MID_WRITE = """
import os, sys, time
from app.web.job_record import JobRecord
from workbench.store import ResultKey, ResultStore

root = sys.argv[1]
store = ResultStore(os.path.join(root, "results"))
key = ResultKey("interactions", "model", "data", {"rows": 20}, "v1")
record = JobRecord(root, "inter", ["xor"])
record.start()
record.storing(store.path_for(key))
os.fsync = lambda descriptor: time.sleep(60)  # killed between write and rename
store.put(key, {"value": 1})
"""


def test_an_exiting_server_removes_what_its_killed_jobs_half_wrote(tmp_path):
    """SIGINT to the server kills its jobs; one killed mid-write left a temporary file beside
    the result, which the server removes (a write by another process is left alone)."""
    import signal
    import subprocess
    import sys

    from app.web.job_record import remove_partial_writes
    from workbench.store import ResultStore

    store = ResultStore(tmp_path / "results")
    job = subprocess.Popen([sys.executable, "-c", _KILLED_MID_WRITE, str(tmp_path)])
    deadline = time.monotonic() + 30
    while not store.partial_files():
        assert time.monotonic() < deadline and job.poll() is None, "the job never wrote"
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=10)
    [half_written] = store.partial_files()
    others = half_written.with_name(".another-result.0123.tmp")
    others.write_text("{")  # another process's write in progress

    assert remove_partial_writes(tmp_path, [job.pid + 1]) == 0  # not that job's files
    assert remove_partial_writes(tmp_path, [job.pid]) == 1
    assert store.partial_files() == [others]
    assert store.entries() == []
