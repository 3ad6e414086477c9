"""Relations between fields and across models: CKA against its definition, known subspaces."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from analyzers.embeddings import (
    EmbeddingComparison,
    FieldRelations,
    ModelComparison,
    compare_embeddings,
    compare_models,
    field_relations,
    linear_cka,
    subspace_overlap,
)
from workbench.errors import ParameterError


def random_rotation(dim: int, rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def cka_by_gram_matrices(x: np.ndarray, y: np.ndarray) -> float:
    """CKA as HSIC of the centred (rows × rows) linear kernels: the textbook definition."""
    n = x.shape[0]
    centring = np.eye(n) - 1.0 / n
    gram_x = centring @ x @ x.T @ centring
    gram_y = centring @ y @ y.T @ centring
    hsic = (gram_x * gram_y).sum()
    return float(hsic / np.sqrt((gram_x * gram_x).sum() * (gram_y * gram_y).sum()))


def test_cka_matches_the_kernel_definition(rng):
    x, y = rng.normal(size=(60, 5)), rng.normal(size=(60, 3))
    y[:, 0] += 2 * x[:, 1]
    assert linear_cka(x, y) == pytest.approx(cka_by_gram_matrices(x, y))


def test_cka_is_one_for_a_rotated_and_scaled_copy(rng):
    x = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8))
    assert linear_cka(x, x @ random_rotation(8, rng)) == pytest.approx(1.0)
    assert linear_cka(x, 3.5 * x + 2.0) == pytest.approx(1.0)
    # Not invariant to a general invertible map: the reason it is "orthogonal-only".
    assert linear_cka(x, x @ np.diag([10.0, 1, 1, 1, 1, 1, 1, 0.1])) < 0.9


def test_cka_is_near_zero_for_independent_tables(rng):
    x, y = rng.normal(size=(5000, 8)), rng.normal(size=(5000, 8))
    assert linear_cka(x, y) < 0.01


def test_subspace_overlap_of_shared_and_orthogonal_directions(rng):
    basis = random_rotation(6, rng)
    shared = rng.normal(size=(400, 2)) * [3.0, 2.0]
    x = shared @ basis[:2]
    y = rng.normal(size=(400, 2)) * [3.0, 2.0] @ basis[:2]  # other rows, same plane
    z = rng.normal(size=(400, 2)) * [3.0, 2.0] @ basis[2:4]  # an orthogonal plane
    assert subspace_overlap(x, y, 2) == pytest.approx(1.0)
    assert subspace_overlap(x, z, 2) == pytest.approx(0.0, abs=1e-12)


def test_field_relations_fm_strength_and_matrix(rng):
    rows = 50
    a = np.tile([1.0, 0.0], (rows, 1))
    b = np.tile([2.0, -3.0], (rows, 1)) * rng.choice([-1.0, 1.0], size=(rows, 1))
    c = rng.normal(size=(rows, 2))
    relations = field_relations({"a": a, "b": b, "c": c})
    pair = relations.pairs.set_index(["field_1", "field_2"])
    assert pair.loc[("a", "b"), "fm_strength"] == pytest.approx(2.0)  # |⟨(1,0), ±(2,-3)⟩|
    assert pair.loc[("a", "c"), "fm_strength"] == pytest.approx(np.abs(c[:, 0]).mean())
    matrix = relations.matrix("linear_cka")
    assert list(matrix.index) == ["a", "b", "c"]
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T, equal_nan=True)
    assert matrix.loc["b", "c"] == pytest.approx(linear_cka(b, c))


def test_field_relations_take_a_rows_fields_dim_tensor(rng):
    x = torch.randn(300, 3, 4, generator=torch.Generator().manual_seed(0))
    x[:, 1] = 2 * x[:, 0]  # field 1 carries field 0's information
    relations = field_relations(x, field_names=["u", "v", "w"])
    assert relations.matrix().loc["u", "v"] == pytest.approx(1.0)
    assert relations.matrix().loc["u", "w"] < 0.1
    back = FieldRelations.from_dict(json.loads(json.dumps(relations.to_dict(), allow_nan=False)))
    pd.testing.assert_frame_equal(back.pairs, relations.pairs)
    assert back.measure_invariance == relations.measure_invariance
    assert back.settings == relations.settings and back.n_rows == 300


def test_relations_reject_unequal_rows(rng):
    with pytest.raises(ParameterError, match="same rows"):
        field_relations({"a": rng.normal(size=(5, 2)), "b": rng.normal(size=(6, 2))})
    with pytest.raises(ParameterError, match="X has 5 rows but Y has 6"):
        linear_cka(rng.normal(size=(5, 2)), rng.normal(size=(6, 2)))


def test_compare_embeddings_finds_a_rotated_model_and_an_unrelated_one(rng):
    fields = {"a": rng.normal(size=(400, 6)), "b": rng.normal(size=(400, 6))}
    rotated = {name: 2.0 * x @ random_rotation(6, rng) for name, x in fields.items()}
    unrelated = {name: rng.normal(size=(400, 6)) for name in fields}
    comparison = compare_embeddings({"base": fields, "rotated": rotated, "other": unrelated})
    same = comparison.same_field_cka().set_index(["model_1", "model_2", "field"])["linear_cka"]
    assert same[("base", "rotated", "a")] == pytest.approx(1.0)
    assert same[("base", "rotated", "b")] == pytest.approx(1.0)
    assert same[("base", "other", "a")] < 0.1
    assert len(comparison.cka) == 3 * 4  # 3 model pairs × 2 × 2 fields
    geometry = comparison.geometry.set_index(["model", "field"])
    # The spectrum survives an orthogonal map: effective rank is equal, norms doubled.
    assert geometry.loc[("rotated", "a"), "effective_rank"] == pytest.approx(
        geometry.loc[("base", "a"), "effective_rank"]
    )
    assert geometry.loc[("rotated", "a"), "mean_norm"] == pytest.approx(
        2 * geometry.loc[("base", "a"), "mean_norm"]
    )
    text = json.dumps(comparison.to_dict(), allow_nan=False)
    back = EmbeddingComparison.from_dict(json.loads(text))
    pd.testing.assert_frame_equal(back.cka, comparison.cka)
    pd.testing.assert_frame_equal(back.geometry, comparison.geometry)
    assert back.model_names == ("base", "rotated", "other") and back.seconds == comparison.seconds
    pd.testing.assert_frame_equal(back.to_frame(), comparison.cka)


def test_compare_models_is_the_old_name_of_compare_embeddings(rng):
    fields = {"a": rng.normal(size=(50, 3))}
    with pytest.warns(FutureWarning, match="renamed compare_embeddings"):
        old = compare_models({"m1": fields, "m2": fields})
    assert isinstance(old, ModelComparison) and old.kind == EmbeddingComparison.kind


def test_compare_embeddings_needs_two_models(rng):
    with pytest.raises(ParameterError, match="at least 2 models"):
        compare_embeddings({"a": {"f": rng.normal(size=(5, 2))}})
