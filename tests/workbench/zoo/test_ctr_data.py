import numpy as np
import pandas as pd
import pytest

from workbench.errors import DataError, ParameterError
from workbench.samples import sample_data_path
from workbench.zoo.ctr_data import (
    ADULT_CATEGORICAL,
    PlantedInteractions,
    adult_fields,
    field_levels,
    field_vocab,
    synthetic_ctr,
)


@pytest.fixture(scope="module")
def adult():
    return adult_fields()


def test_adult_has_one_coded_group_per_field(adult):
    assert adult.n_rows == 48_842 and adult.n_groups == 14 and adult.n_features == 14
    assert all(len(g.columns) == 1 for g in adult.groups)
    vocab = field_vocab(adult)
    codes = adult.X.numpy()
    assert np.array_equal(codes.max(axis=0) + 1, np.array(vocab))  # every level occurs
    assert np.array_equal(codes, np.round(codes))
    assert adult.target_classes == ("<=50K", ">50K")
    assert abs(float(adult.y.mean()) - 11_687 / 48_842) < 1e-6


def test_adult_keeps_question_mark_as_a_level(adult):
    levels = field_levels(adult)
    for name in ("workclass", "occupation", "native-country"):
        assert "?" in levels[name]
    raw = pd.read_csv(sample_data_path("adult.csv.gz"))
    column = adult.feature_names.index("workclass")
    unknown = levels["workclass"].index("?")
    assert (adult.X[:, column].numpy() == unknown).sum() == (raw["workclass"] == "?").sum()
    assert len(levels["education"]) == raw["education"].nunique()
    assert set(ADULT_CATEGORICAL) <= set(adult.feature_names)


def test_adult_numeric_buckets_follow_the_values(adult):
    raw = pd.read_csv(sample_data_path("adult.csv.gz"))
    codes = adult.X[:, adult.feature_names.index("age")].numpy()
    # Quantile buckets are ordered: mean age rises with the bucket code.
    means = [raw["age"][codes == k].mean() for k in range(int(codes.max()) + 1)]
    assert np.all(np.diff(means) > 0)
    gain = adult.code_levels["capital-gain"]
    assert gain[0] == "0" and len(gain) > 3  # zero-inflated field keeps its tail buckets


def test_synthetic_ctr_is_seeded_and_records_its_plan():
    data, planted = synthetic_ctr(n_rows=3000, n_fields=6, seed=3, main_fields=(5,))
    again, _ = synthetic_ctr(n_rows=3000, n_fields=6, seed=3, main_fields=(5,))
    assert data.fingerprint() == again.fingerprint()
    assert planted.pairs == (("f0", "f1"),) and planted.triples == (("f2", "f3", "f4"),)
    assert field_vocab(data) == (5, 20, 50, 200, 5, 20)
    assert 0.5 < planted.oracle_auc < 1
    assert PlantedInteractions.from_dict(planted.to_dict()) == planted


def test_synthetic_levels_are_zipf_distributed():
    data, _ = synthetic_ctr(n_rows=20_000, n_fields=4, seed=0, main_fields=(), triples=())
    counts = np.bincount(data.X[:, 3].long().numpy(), minlength=200)
    assert counts[0] > 5 * counts[10] > 0  # (11)^1.1 ≈ 14: the head dominates


def test_planted_pair_is_a_pure_interaction():
    data, _ = synthetic_ctr(n_rows=40_000, n_fields=4, seed=1, triples=(), main_fields=())
    frame = pd.DataFrame(data.X.numpy()[:, :2], columns=["a", "b"]).assign(y=data.y.numpy())
    # Each field alone barely moves the click rate; together they do (sign agreement).
    spread_a = frame.groupby("a")["y"].mean().head(3).std()
    spread_ab = frame.groupby(["a", "b"])["y"].mean().head(9).std()
    assert spread_ab > 2 * spread_a


def test_bad_arguments():
    with pytest.raises(ParameterError, match="n_rows"):
        synthetic_ctr(n_rows=0)
    with pytest.raises(ParameterError, match="outside"):
        synthetic_ctr(n_fields=3)
    with pytest.raises(DataError, match="is not a file"):
        adult_fields("no/such.csv")


def test_fields_from_frame_codes_any_table():
    from workbench.zoo.ctr_data import fields_from_frame

    frame = pd.DataFrame(
        {
            "city": ["b", "a", "b", "c"] * 10,
            "visits": list(range(40)),
            "rating": [1, 2, 3, 1] * 10,  # few values: kept as levels, not bucketised
            "clicked": ["no", "yes", "no", "no"] * 10,
        }
    )
    data = fields_from_frame(frame, "clicked", n_buckets=4)
    assert data.feature_names == ("city", "visits", "rating")
    assert data.code_levels["city"] == ("a", "b", "c")
    assert data.code_levels["rating"] == ("1", "2", "3")
    assert data.code_levels["visits"] == ("0-9", "10-19", "20-29", "30-39")
    assert data.target_classes == ("no", "yes") and data.y.sum() == 10
    with pytest.raises(DataError, match="two values"):
        fields_from_frame(frame.assign(clicked=range(40)), "clicked")
    with pytest.raises(DataError, match="missing values"):
        fields_from_frame(frame.assign(city=[None] * 40), "clicked")
