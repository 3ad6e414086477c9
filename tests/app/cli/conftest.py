"""Every CLI test gets its own results store, so no run reads another's (or the user's) results."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def results_store(tmp_path_factory, monkeypatch):
    # Beside the test's tmp_path, not in it: tests check that folder holds only what they wrote.
    store = tmp_path_factory.mktemp("store") / "results"
    monkeypatch.setenv("WORKBENCH_CACHE", str(store))
    return store
