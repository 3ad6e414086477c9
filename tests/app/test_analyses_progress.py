"""The app's SII job reports its progress per batch of coalitions (not "0 / 1" for minutes)."""

from __future__ import annotations

import workbench.kernels.batching
from app.analyses import compute_result
from tests.analyzers.interactions.test_progress import (
    assert_counts_one_by_one,
    kernel_calls,
    tiny_mlp_and_data,
)
from workbench.workspace import Workspace


def test_the_apps_sii_job_shows_more_than_0_of_1(tmp_path, monkeypatch):
    # A small memory budget stands in for a large job: the job's batches are counted.
    monkeypatch.setattr(workbench.kernels.batching, "_CPU_DEFAULT_ROWS", 256)
    module, data = tiny_mlp_and_data()
    workspace = Workspace.create(tmp_path)
    workspace.add_dataset("tiny", data)
    workspace.add_model_object("tiny-mlp", module, "tiny", task="regression")
    reports: list[tuple] = []
    parameters = {"index": "sii", "rows": 10, "background": 10}
    compute_result(
        workspace, "interactions", "tiny-mlp", parameters, progress=lambda *r: reports.append(r)
    )

    calls = kernel_calls(reports)
    assert_counts_one_by_one(calls)
    assert max(total for call in calls for _, total in call) >= 10
