import json
import time

import pytest
import torch

from workbench.errors import DataError, ModelError, ParameterError
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.training import (
    TrainingConfig,
    evaluate_ctr_model,
    load_ctr_model,
    sample_ctr_model,
    save_ctr_model,
    train_ctr_model,
)


@pytest.fixture(scope="module")
def data():
    return synthetic_ctr(n_rows=1500, n_fields=4, seed=0, triples=(), main_fields=(3,))[0]


def test_training_is_seeded_and_stops_early(data):
    config = TrainingConfig(max_epochs=40, patience=2, batch_size=256, seed=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = build_model("gdcn", data, embedding_dim=4, n_cross=1, hidden=[16])
        runs.append((model, train_ctr_model(model, data, config)))
    (first, info), (second, _) = runs
    assert torch.equal(first(data.X), second(data.X))
    assert info["epochs_run"] < 40 and info["epochs_run"] - info["best_epoch"] == 2
    assert not first.training


def test_save_and_load_without_pickle(data, tmp_path):
    torch.manual_seed(0)
    model = build_model("masknet", data, embedding_dim=4, mode="parallel", n_blocks=2).eval()
    meta = save_ctr_model(model, tmp_path / "m", {"test_auc": 0.5})
    document = json.loads(meta.read_text())
    assert document["model"] == "masknet" and document["config"]["mode"] == "parallel"
    # The weights file holds tensors only: the safe loader reads it.
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    loaded, metrics = load_ctr_model(tmp_path / "m")
    assert metrics == {"test_auc": 0.5}
    assert torch.equal(loaded(data.X), model(data.X))
    with pytest.raises(ModelError, match="needs both"):
        load_ctr_model(tmp_path / "missing")


def test_sample_model_is_cached(data, tmp_path):
    training = TrainingConfig(max_epochs=2, batch_size=512)
    first = sample_ctr_model("finalmlp", data, training=training, cache_dir=tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".pt"]
    start = time.perf_counter()
    again = sample_ctr_model("finalmlp", data, training=training, cache_dir=tmp_path)
    assert time.perf_counter() - start < 5
    assert again.metrics == first.metrics
    assert torch.equal(again.model(again.test.X), first.model(first.test.X))
    assert evaluate_ctr_model(again.model, again.test)["auc"] == pytest.approx(
        first.metrics["test_auc"]
    )
    other = sample_ctr_model(
        "finalmlp", data, config={"fusion_heads": 2}, training=training, cache_dir=tmp_path
    )
    assert len(list(tmp_path.iterdir())) == 4 and other.model.config["fusion_heads"] == 2


def test_bad_training_input(data):
    with pytest.raises(ParameterError, match="patience"):
        TrainingConfig(patience=0)
    numeric = data.subset(range(100))
    numeric = type(numeric)(
        X=numeric.X, y=numeric.y * 3, feature_names=numeric.feature_names, groups=numeric.groups
    )
    model = build_model("gdcn", data, embedding_dim=2)
    with pytest.raises(DataError, match="0/1"):
        train_ctr_model(model, numeric)
    with pytest.raises(ParameterError, match="unknown sample data"):
        sample_ctr_model("gdcn", "criteo")
