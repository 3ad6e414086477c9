"""The app's jobs on a Dask cluster (issue 16): same results, per-chunk progress, resume.

Ground truth: ``compute_result`` with a configured cluster gives exactly the result of the
analyzer run in one process (FISC exact on the planted XOR, exact SII); a job stopped after k
chunks leaves those k in the workspace's store and the next Run reuses them; a job that stored
its whole result leaves no chunk behind; the server's
``--workers`` cluster is started, handed to jobs as an address, and closed by its stop.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import analyzers.rashomon as rashomon
from analyzers.interactions import score_interactions
from app import analyses
from app.job_cluster import (
    SCHEDULER_VARIABLE,
    chunk_options,
    configure_cluster,
    configured_cluster,
    start_serve_cluster,
)
from workbench.chunk_runs import CHUNK_STAGE, DASK_HTTP_ADDRESS, REUSED_STAGE
from workbench.errors import ParameterError

distributed = pytest.importorskip("distributed")


class Stopped(Exception):
    """Stands for a job cancelled (or its process killed) once k chunks are stored."""


@pytest.fixture
def cluster_of(monkeypatch):
    """``use(target)``: jobs of this test run their chunks there; reset afterwards."""
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)
    yield configure_cluster
    configure_cluster(None)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=DASK_HTTP_ADDRESS
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def same_result(a, b) -> bool:
    first, second = a.to_dict(), b.to_dict()
    first.pop("seconds")
    second.pop("seconds")
    return first == second


def chunk_files(workspace, analyzer: str) -> dict:
    folder = workspace.store.root / f"{analyzer}_chunks"
    return {path.name: path.stat().st_mtime_ns for path in folder.glob("*.json")}


def test_fisc_job_on_a_cluster_equals_one_process(xor_workspace, cluster_of, client):
    workspace = xor_workspace("mlp")
    cluster_of(client)
    reports = []
    given = {"approximator": "exact", "delta": 0.25}
    on_cluster = analyses.compute_result(
        workspace, "rashomon", "xor-mlp", given, lambda *report: reports.append(report)
    )
    model = workspace.model("xor-mlp")
    parameters = analyses.analysis("rashomon").parameters(given)
    here = rashomon.explore_rashomon(model.adapter, model.rows, model_name="xor-mlp", **parameters)
    assert same_result(on_cluster, here)
    assert chunk_files(workspace, "rashomon") == {}  # the result is stored: its chunk pruned
    assert (CHUNK_STAGE, 1, 1) in reports  # the page's progress counts chunks


def test_exact_sii_job_with_an_executor_equals_one_process(xor_workspace, cluster_of):
    workspace = xor_workspace("logistic")
    given = {"index": "sii", "approximator": "exact", "rows": 40, "background": 20}
    with ThreadPoolExecutor(2) as pool:
        cluster_of(pool)
        pooled = analyses.compute_result(workspace, "interactions", "xor-logistic", given)
    model = workspace.model("xor-logistic")
    parameters = analyses.analysis("interactions").parameters(given)
    here = score_interactions(model.adapter, model.rows, **parameters, model_name="xor-logistic")
    assert same_result(pooled, here)
    assert chunk_files(workspace, "interactions") == {}


def test_a_stopped_model_set_job_resumes_its_finished_chunks(xor_workspace, cluster_of):
    workspace = xor_workspace("mlp")
    given = {"builder": "masks", "members": 4, "index": "sii", "rows": 20}
    stopped_after = 2

    def stop_job(stage, done, total):
        if stage == CHUNK_STAGE and done == stopped_after:
            raise Stopped

    with ThreadPoolExecutor(1) as pool:
        cluster_of(pool)
        with pytest.raises(Stopped):
            analyses.compute_result(workspace, "model_set", "xor-mlp", given, stop_job)
        first = chunk_files(workspace, "model_set")
        assert len(first) == stopped_after
        assert analyses.stored_result(workspace, "model_set", "xor-mlp", given) is None
        reports, at_last_chunk = [], {}

        def follow(stage, done, total):
            reports.append((stage, done, total))
            if stage == CHUNK_STAGE and done == total:  # every chunk there, result not stored
                at_last_chunk.update(chunk_files(workspace, "model_set"))

        resumed = analyses.compute_result(workspace, "model_set", "xor-mlp", given, follow)
    assert (REUSED_STAGE, stopped_after, 4) in reports
    # The stopped job's chunks were read, not rewritten; once stored, the result needs none.
    assert len(at_last_chunk) == 4
    assert {name: at_last_chunk[name] for name in first} == first
    assert chunk_files(workspace, "model_set") == {}
    cluster_of(None)
    spec = analyses.analysis("model_set")
    model = workspace.model("xor-mlp")
    whole = spec.compute(model, spec.parameters(given), None, workspace=workspace)
    assert same_result(resumed, whole)


def test_no_cluster_changes_nothing(xor_workspace, cluster_of):
    workspace = xor_workspace("logistic")
    with chunk_options(workspace.store) as chunks:
        assert chunks == {}
    analyses.compute_result(workspace, "rashomon", "xor-logistic", {"approximator": "exact"})
    assert chunk_files(workspace, "rashomon") == {}


def test_serve_workers_starts_a_cluster_jobs_reach_and_its_stop_closes(xor_workspace, cluster_of):
    stop = start_serve_cluster(2, None, processes=False)
    try:
        address = configured_cluster()
        assert isinstance(address, str) and address.startswith(("tcp://", "inproc://"))
        with chunk_options(xor_workspace("logistic").store) as chunks:
            workers = chunks["executor"].scheduler_info()["workers"]
            assert len(workers) == 2
    finally:
        stop()
    assert configured_cluster() is None
    with pytest.raises(OSError), distributed.Client(address, timeout=1):
        pass


def test_serve_cluster_options_are_checked_in_one_line(cluster_of):
    with pytest.raises(ParameterError, match="give one"):
        start_serve_cluster(2, "tcp://127.0.0.1:1")
    with pytest.raises(ParameterError, match="--jobs celery"):
        start_serve_cluster(2, None, jobs="celery")
    start_serve_cluster(None, None)()
    assert configured_cluster() is None


def test_serve_parses_the_cluster_flags():
    import argparse

    from app.cli import serve

    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "--workspace", "w", "--workers", "2"])
    assert (args.workers, args.scheduler) == (2, None)
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--workspace", "w", "--workers", "0"])


def test_a_celery_worker_reads_the_scheduler_from_its_environment(monkeypatch, cluster_of):
    monkeypatch.setenv(SCHEDULER_VARIABLE, "tcp://10.0.0.5:8786")
    assert configured_cluster() == "tcp://10.0.0.5:8786"
