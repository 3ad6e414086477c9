"""Model-level embedding analysis: extraction from a FieldEmbedding, the variant kernel, and the
Δloss of private rows on a model whose collisions are known to hurt."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from analyzers.embeddings import (
    EmbeddingReport,
    analyze_embeddings,
    extract_embeddings,
    private_rows_effect,
)
from analyzers.embeddings.private_rows import PrivateRowsEffect
from workbench import Dataset, wrap_model
from workbench.errors import DataError, ModelError, ParameterError
from workbench.kernels.embedding_variants import EmbeddingVariantKernel
from workbench.zoo.embedding import FieldEmbedding


class LinearOnEmbeddings(torch.nn.Module):
    """logit = w · flattened field embeddings + b: the simplest model over a FieldEmbedding."""

    def __init__(self, embedding: FieldEmbedding, *, use_flat: bool = False):
        super().__init__()
        self.embedding = embedding
        self.use_flat = use_flat
        self.weight = torch.nn.Parameter(torch.randn(embedding.total_dim) * 0.1)
        self.bias = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        codes = x.long()
        flat = self.embedding.flat(codes) if self.use_flat else self.embedding(codes).flatten(1)
        return flat @ self.weight + self.bias


def coded_data(codes: np.ndarray, y: np.ndarray, names=("a", "b")) -> Dataset:
    frame = pd.DataFrame(codes, columns=list(names))
    frame["y"] = y
    return Dataset.from_frame(frame, "y")


@pytest.fixture
def signal_data(rng):
    """Field a (4 levels) decides the label: levels 0, 2 push it up, 1, 3 down; b is noise."""
    n = 4000
    codes = np.stack([rng.integers(0, 4, n), rng.integers(0, 3, n)], axis=1)
    logit = np.where(codes[:, 0] % 2 == 0, 2.5, -2.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return coded_data(codes, y)


def one_bucket_model(seed: int = 0, use_flat: bool = False):
    """Every feature shares one row: the model cannot tell levels apart at all."""
    torch.manual_seed(seed)
    embedding = FieldEmbedding([4, 3], dim=2, field_names=["a", "b"], shared_buckets=1)
    model = LinearOnEmbeddings(embedding, use_flat=use_flat)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([1.0, 0.0, 0.5, 0.0]))
    return wrap_model(model, task="classification", output="logit", device="cpu")


def test_extract_reads_tables_counts_and_row_vectors(rng):
    embedding = FieldEmbedding([3, 5], dim=4, field_names=["a", "b"], shared_buckets=6, hash_seed=2)
    model = LinearOnEmbeddings(embedding)
    codes = np.stack([rng.integers(0, 3, 50), rng.integers(0, 5, 50)], axis=1)
    data = coded_data(codes, rng.integers(0, 2, 50))
    extracted = extract_embeddings(model, data, max_rows=20, random_state=1)
    assert extracted.is_shared and extracted.n_buckets == 6
    assert [len(c) for c in extracted.counts] == [3, 5]
    assert extracted.counts[1].tolist() == np.bincount(codes[:, 1], minlength=5).tolist()
    # A data row's vector for field f is what the model itself looks up.
    with torch.no_grad():
        looked_up = embedding(extracted.codes)  # (rows, fields, dim)
    for f in range(2):
        assert torch.equal(extracted.row_embeddings[f], looked_up[:, f])
        assert torch.equal(
            extracted.tables[f],
            embedding.shared_weight[torch.as_tensor(extracted.buckets[f])].detach(),
        )
    assert extracted.codes.shape == (20, 2)
    points, labels = extracted.table_points()
    assert len(points) == len(labels) == sum(int((c > 0).sum()) for c in extracted.counts)
    assert set(labels.columns) == {"field", "level", "frequency", "norm"}


def test_extract_rejects_data_that_does_not_fit_the_embedding(rng):
    model = LinearOnEmbeddings(FieldEmbedding([3, 2], dim=2))
    wide = coded_data(np.ones((5, 3), dtype=int), np.zeros(5), names=("a", "b", "c"))
    with pytest.raises(DataError, match="3 columns but the embedding has 2 fields"):
        extract_embeddings(model, wide)
    out_of_range = coded_data(np.array([[0, 0], [3, 1]]), np.zeros(2))
    with pytest.raises(DataError, match=r"codes must lie in 0..2"):
        extract_embeddings(model, out_of_range)
    with pytest.raises(ModelError, match="no FieldEmbedding"):
        extract_embeddings(torch.nn.Linear(2, 1), out_of_range)


@pytest.mark.parametrize("use_flat", [False, True])
def test_kernel_with_the_models_own_table_reproduces_its_loss(signal_data, use_flat):
    adapter = one_bucket_model(use_flat=use_flat)
    embedding = adapter.module.embedding
    with torch.no_grad():
        embedding.shared_weight.copy_(torch.tensor([[0.3, -0.2]]))
    expected = adapter.loss.per_row(adapter.forward(signal_data.X), signal_data.y).mean()
    index = torch.zeros(2, 2, 4, dtype=torch.long)  # 2 variants, every level reads row 0
    tables = torch.stack([embedding.shared_weight.detach(), torch.zeros(1, 2)])  # variant 1: zeros
    kernel = EmbeddingVariantKernel(adapter, embedding, signal_data, max_batch_rows=1000)
    losses = kernel.mean_losses(tables, index)
    assert losses[0] == pytest.approx(float(expected))
    zero_logit = torch.full((signal_data.n_rows,), float(adapter.module.bias.detach()))
    assert losses[1] == pytest.approx(float(adapter.loss.per_row(zero_logit, signal_data.y).mean()))
    assert kernel.rows_evaluated == 2 * signal_data.n_rows
    # batching does not change the result, and the model is left as it was
    unbatched = EmbeddingVariantKernel(adapter, embedding, signal_data).mean_losses(tables, index)
    assert unbatched == pytest.approx(losses)
    assert "forward" not in vars(embedding)


@pytest.mark.slow  # the first Adam step imports torch._dynamo (~3 s on 2 shared cores)
def test_private_rows_recover_the_loss_lost_to_collisions(signal_data):
    adapter = one_bucket_model()
    train, test = signal_data.train_test_split(0.3, seed=0)
    effect = private_rows_effect(
        adapter, train, test, n_steps=25, learning_rate=0.2, random_state=1
    )
    variants = effect.variants.set_index("variant")
    assert list(variants.index) == ["shared", "all", "a", "b"]
    assert variants["n_private_rows"].tolist() == [0, 7, 4, 3]
    # One shared row cannot separate the levels of a: at best the base rate (log 2).
    assert variants.loc["shared", "eval_loss"] == pytest.approx(np.log(2), abs=0.02)
    # Bayes loss of the planted signal: binary entropy of sigmoid(2.5) ≈ 0.30.
    assert variants.loc["all", "eval_loss"] < 0.36
    assert variants.loc["a", "delta_loss"] < -0.3  # privatising the informative field helps
    assert abs(variants.loc["b", "delta_loss"]) < 0.02  # privatising the noise field does not
    assert variants.loc["a", "fit_delta_loss"] < -0.3  # in-sample as well
    assert (variants["fit_loss_final"] <= variants["fit_loss_before"] + 1e-9).all()
    assert (variants["valid_loss"] <= variants["fit_loss_before"] + 0.05).all()
    back = PrivateRowsEffect.from_dict(json.loads(json.dumps(effect.to_dict(), allow_nan=False)))
    pd.testing.assert_frame_equal(back.variants, effect.variants)
    assert "invariant" in effect.measure_invariance["private_rows_delta_loss"]


def test_private_rows_change_nothing_without_collisions(signal_data):
    torch.manual_seed(0)
    # 4 + 3 levels in 10_000 buckets: with this seed no two features share a row.
    embedding = FieldEmbedding([4, 3], dim=2, field_names=["a", "b"], shared_buckets=10_000)
    adapter = wrap_model(
        LinearOnEmbeddings(embedding), task="classification", output="logit", device="cpu"
    )
    effect = private_rows_effect(adapter, signal_data, signal_data, n_steps=0)
    assert effect.variants["variant"].tolist() == ["shared"]
    assert effect.variants.loc[0, "eval_loss"] == pytest.approx(effect.reference_loss)


def test_private_rows_need_a_shared_table(signal_data):
    model = LinearOnEmbeddings(FieldEmbedding([4, 3], dim=2))
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    with pytest.raises(ParameterError, match="table per field"):
        private_rows_effect(adapter, signal_data, signal_data)


@pytest.mark.parametrize("points", ["table", "rows"])
def test_analyze_embeddings_round_trips_and_carries_point_values(signal_data, points):
    torch.manual_seed(0)
    embedding = FieldEmbedding([4, 3], dim=3, field_names=["a", "b"], shared_buckets=5)
    model = LinearOnEmbeddings(embedding)
    n_points = 7 if points == "table" else 300
    gate = np.linspace(0, 1, n_points)
    report = analyze_embeddings(
        model,
        signal_data,
        max_rows=300,
        projection_points=points,
        point_values={"gate_value": gate},
        max_points=100,
    )
    coordinates = report.projection.coordinates
    assert (coordinates["gate_value"].to_numpy() == gate[coordinates["point"].to_numpy()]).all()
    assert report.collisions.n_buckets == 5
    text = json.dumps(report.to_dict(), allow_nan=False)
    back = EmbeddingReport.from_dict(json.loads(text))
    assert json.dumps(back.to_dict(), allow_nan=False) == text
    assert back.model_name == "model" and back.seconds == report.seconds > 0
    assert "seconds" not in back.settings
    assert set(back.measure_invariance()) >= {"linear_cka", "collisions", "projection", "spectrum"}
    with pytest.raises(ParameterError, match="one value per point"):
        analyze_embeddings(model, signal_data, point_values={"gate_value": gate[:-1]})


def test_analyze_embeddings_with_private_rows_on_a_bare_module(signal_data):
    model = one_bucket_model().module  # a torch module, not an adapter
    train, test = signal_data.train_test_split(0.3, seed=0)
    report = analyze_embeddings(model, train, private_rows_data=(train, test), n_steps=1)
    assert report.private_rows.variants["variant"].tolist() == ["shared", "all"]
    assert report.private_rows.settings["loss"] == "log_loss"


def test_progress_reports_each_stage_and_seed_is_the_old_name(signal_data):
    model = one_bucket_model().module
    steps = []
    with pytest.warns(FutureWarning, match="seed= is renamed random_state="):
        report = analyze_embeddings(
            model, signal_data, max_rows=100, seed=3, progress=lambda *step: steps.append(step)
        )
    assert [step[1:] for step in steps if step[0] == "embeddings"] == [(d, 4) for d in range(5)]
    assert report.settings["random_state"] == 3
