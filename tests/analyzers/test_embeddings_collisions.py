"""Collisions of a hashed table: a hand-worked case and uniform hashing against its expectation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.embeddings import HashCollisions, expected_collision_rate, hash_collisions
from workbench.errors import ParameterError
from workbench.zoo.embedding import hash_bucket


def test_hand_worked_table():
    # Bucket 0: a0 and b1 (inter), bucket 1: a1 and a2 (intra), bucket 2: b0 alone.
    result = hash_collisions(
        {"a": [0, 1, 1], "b": [2, 0]}, n_buckets=4, counts={"a": [1, 2, 3], "b": [4, 0]}
    )
    fields = result.fields.set_index("field")
    # b1 never occurs: it is no feature, so a0 collides with nothing.
    assert fields.loc["a", "intra_collision_rate"] == pytest.approx(5 / 6)
    assert fields.loc["a", "inter_collision_rate"] == 0.0
    assert fields.loc["b", "collision_rate"] == 0.0
    assert result.summary["n_features"] == 4
    assert result.summary["collision_rate"] == pytest.approx(5 / 10)
    buckets = result.buckets.set_index("bucket")
    assert buckets.loc[1, "load"] == 2 and buckets.loc[1, "traffic"] == 5
    assert buckets.loc[1, "purity"] == 1.0
    assert result.summary["expected_collision_rate"] == pytest.approx(1 - (3 / 4) ** 3)


def test_purity_is_the_top_fields_share_of_traffic():
    result = hash_collisions(
        {"a": [0], "b": [0], "c": [0]}, n_buckets=1, counts={"a": [6], "b": [3], "c": [1]}
    )
    assert result.buckets.loc[0, "purity"] == pytest.approx(0.6)
    assert result.buckets.loc[0, "top_field"] == "a"
    assert result.buckets.loc[0, "n_fields"] == 3


def uniform_hash(vocab_sizes, n_buckets, seed):
    rng = np.random.default_rng(seed)
    return {f"f{i}": rng.integers(0, n_buckets, size=n) for i, n in enumerate(vocab_sizes)}


def field_embedding_hash(vocab_sizes, n_buckets, seed):
    """The buckets FieldEmbedding's shared table assigns (SplitMix64 of seed, field, level)."""
    return {
        f"f{i}": hash_bucket(seed, i, np.arange(n), n_buckets) for i, n in enumerate(vocab_sizes)
    }


@pytest.mark.parametrize("hashing", [uniform_hash, field_embedding_hash])
@pytest.mark.parametrize("weighted", [False, True])
def test_hashing_matches_the_uniform_expectation(weighted, hashing):
    vocab_sizes, n_buckets, draws = (200, 600, 1200), 3000, 20
    n_total = sum(vocab_sizes)
    zipf = {f"f{i}": 1.0 / np.arange(1, n + 1) for i, n in enumerate(vocab_sizes)}
    rates = []
    for seed in range(draws):
        result = hash_collisions(
            hashing(vocab_sizes, n_buckets, seed), n_buckets, counts=zipf if weighted else None
        )
        rates.append(
            result.fields.set_index("field")[
                ["intra_collision_rate", "inter_collision_rate", "collision_rate"]
            ]
        )
    mean = sum(rates) / draws
    spread = np.sqrt(sum((r - mean) ** 2 for r in rates) / (draws - 1)) / np.sqrt(draws)
    for i, n in enumerate(vocab_sizes):
        expected = {
            "intra_collision_rate": expected_collision_rate(n - 1, n_buckets),
            "inter_collision_rate": expected_collision_rate(n_total - n, n_buckets),
            "collision_rate": expected_collision_rate(n_total - 1, n_buckets),
        }
        for column, value in expected.items():
            observed = mean.loc[f"f{i}", column]
            # within 4 standard errors of the mean over independent hash draws (+ a floor for
            # the weighted case, whose few heavy levels make the spread itself noisy)
            assert abs(observed - value) < 4 * spread.loc[f"f{i}", column] + 0.01, (column, i)


def test_collisions_round_trip_through_json():
    result = hash_collisions(uniform_hash((30, 40), 50, 0), 50, counts=[np.arange(30), np.ones(40)])
    back = HashCollisions.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert back.summary == result.summary and back.n_buckets == 50
    for name in ("fields", "buckets", "features"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (({"a": [0, 5]}, 5), {}, r"must lie in \[0, 5\)"),
        (({"a": [0.5]}, 5), {}, "1-D integer array"),
        (({"a": [0, 1]}, 0), {}, "n_buckets must be >= 1"),
        (({"a": [0, 1]}, 4), {"counts": {"a": [1]}}, "2 finite values"),
        (({"a": [0, 1]}, 4), {"counts": {"a": [0, 0]}}, "all counts are 0"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        hash_collisions(*args, **kwargs)
