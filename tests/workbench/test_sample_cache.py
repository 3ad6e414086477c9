"""Sample models are cached on disk without pickle: a second start reads them instead of training,
predicts exactly as the first, and a planted cache file cannot run code."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import workbench.samples as samples
from workbench import sample_cache
from workbench.data import Dataset
from workbench.workspace import DataEntry, ModelEntry, Workspace


@pytest.fixture
def dataset(tmp_path, rng):
    n = 150
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["y"] = ((frame["a"] * frame["b"] + frame["c"]) > 0).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return Dataset.from_csv(path, target="y")


def no_training(*args, **kwargs):
    raise AssertionError("the sample model was trained again instead of read from the cache")


@pytest.mark.parametrize("name", ["logistic", "mlp", "gbt"])
def test_second_build_reads_the_cache(name, dataset, tmp_path, monkeypatch):
    cache = tmp_path / "samples"
    first = samples.train_sample_model(name, dataset, cache_dir=cache, device="cpu")
    fresh = samples.train_sample_model(name, dataset, device="cpu")  # no cache at all
    monkeypatch.setattr(samples, "_fit", no_training)
    second = samples.train_sample_model(name, dataset, cache_dir=cache, device="cpu")
    outputs = first.adapter.predict(dataset.X)
    assert torch.equal(second.adapter.predict(dataset.X), outputs)
    torch.testing.assert_close(fresh.adapter.predict(dataset.X), outputs)
    # the results store keys on the fingerprint: both starts must find the same results
    assert second.adapter.fingerprint() == first.adapter.fingerprint()
    assert second.test_loss == first.test_loss


def test_other_data_is_trained_afresh(dataset, tmp_path, monkeypatch):
    cache = tmp_path / "samples"
    samples.train_sample_model("logistic", dataset, cache_dir=cache, device="cpu")
    monkeypatch.setattr(samples, "_fit", no_training)
    with pytest.raises(AssertionError, match="trained again"):
        samples.train_sample_model("logistic", dataset.subset(np.arange(100)), cache_dir=cache)


def test_a_planted_cache_file_is_refused_not_run(dataset, tmp_path):
    """A class outside the allowlist is never built: the entry reads as missing."""
    cache = tmp_path / "samples"
    key = sample_cache.cache_key("logistic", dataset, "classification", 0.2, 0)
    cache.mkdir()
    np.savez(cache / f"{key}.npz", a0=np.zeros(1))
    planted = {"object": "Popen", "state": {"dict": {"args": ["touch", str(tmp_path / "ran")]}}}
    (cache / f"{key}.json").write_text(json.dumps(planted))
    assert sample_cache.load_estimator(cache, key) is None
    assert not (tmp_path / "ran").exists()


def test_a_workspace_reopened_does_not_retrain(dataset, tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    workspace = Workspace.create(tmp_path / "ws")
    workspace.add_data(DataEntry(name="d", path=str(path), target="y"))
    workspace.add_model(ModelEntry(name="m", data="d", kind="sample", sample="logistic"))
    first = workspace.model("m").adapter.predict(dataset.X)
    monkeypatch.setattr(samples, "_fit", no_training)
    again = Workspace.open(tmp_path / "ws").model("m").adapter.predict(dataset.X)
    assert torch.equal(again, first)
