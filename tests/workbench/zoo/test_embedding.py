import numpy as np
import pytest
import torch

from workbench.errors import DataError, ParameterError
from workbench.zoo.embedding import FieldEmbedding, hash_bucket


def test_per_field_tables_give_each_field_its_own_rows():
    emb = FieldEmbedding([3, 5], dim=4, field_names=("a", "b"))
    codes = torch.tensor([[2, 0], [1, 4]])
    out = emb(codes)
    assert out.shape == (2, 2, 4)
    assert torch.equal(out[0, 0], emb.field_table(0)[2])
    assert torch.equal(out[1, 1], emb.field_table(1)[4])
    assert not emb.is_shared and emb.shared_weight is None
    assert emb.n_rows_total == 8
    assert torch.equal(emb.row_index(1, torch.tensor([4, 0])), torch.tensor([4, 0]))


def test_shared_table_looks_up_the_hashed_bucket_of_each_field_level():
    emb = FieldEmbedding([30, 40], dim=3, shared_buckets=16, hash_seed=7)
    codes = torch.stack([torch.arange(30), torch.arange(30) % 40], dim=1)  # (30, 2)
    out = emb(codes)
    for field in (0, 1):
        rows = emb.row_index(field, codes[:, field])
        assert torch.equal(out[:, field], emb.shared_weight[rows])
        assert torch.equal(emb.field_table(field)[codes[:, field]], out[:, field])
    assert emb.n_rows_total == 16 and emb.shared_weight.shape == (16, 3)
    # Fields are salted differently: level v of field 0 and of field 1 do not all share buckets.
    same = emb.row_index(0, torch.arange(30)) == emb.row_index(1, torch.arange(30))
    assert same.float().mean() < 0.5


def test_hash_is_seeded_deterministic_and_spreads_levels():
    levels = np.arange(10_000)
    first = hash_bucket(3, 2, levels, 97)
    assert np.array_equal(first, hash_bucket(3, 2, levels, 97))
    assert not np.array_equal(first, hash_bucket(4, 2, levels, 97))
    counts = np.bincount(first, minlength=97)
    # Uniform hashing: ~103 per bucket; a chi-square far beyond 96 dof would mean clustering.
    chi2 = ((counts - counts.mean()) ** 2 / counts.mean()).sum()
    assert chi2 < 160


def test_field_dims_flatten_side_by_side():
    emb = FieldEmbedding([3, 5], field_dims=[2, 6])
    flat = emb.flat(torch.tensor([[1, 3]]))
    assert flat.shape == (1, 8)
    assert torch.equal(flat[0, 2:], emb.field_table(1)[3])
    assert emb.field_slices() == (slice(0, 2), slice(2, 8))
    with pytest.raises(ParameterError, match="different dims"):
        emb(torch.tensor([[1, 3]]))


def test_float_codes_from_a_dataset_are_accepted():
    emb = FieldEmbedding([3, 5], dim=2)
    assert torch.equal(emb(torch.tensor([[2.0, 4.0]])), emb(torch.tensor([[2, 4]])))


def test_bad_input_gives_one_line_errors():
    emb = FieldEmbedding([3, 5], dim=2, field_names=("a", "b"))
    with pytest.raises(DataError, match=r"field 'b': code 5 outside 0\.\.4"):
        emb(torch.tensor([[0, 5]]))
    with pytest.raises(DataError, match="3 columns"):
        emb(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ParameterError, match="vocab_sizes"):
        FieldEmbedding([3, 0])
    with pytest.raises(ParameterError, match="field_names"):
        FieldEmbedding([3, 4], field_names=("a",))
    with pytest.raises(ParameterError, match="shared_buckets"):
        FieldEmbedding([3, 4], shared_buckets=0)
    with pytest.raises(ParameterError, match="field must be"):
        emb.field_table(2)
