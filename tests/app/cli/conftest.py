"""Every CLI test gets its own results store, so no run reads another's (or the user's) results."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def results_store(tmp_path, monkeypatch):
    store = tmp_path / "results-store"
    monkeypatch.setenv("WORKBENCH_CACHE", str(store))
    return store
