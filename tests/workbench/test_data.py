from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import train_test_split

from workbench.data import Dataset, FeatureGroup
from workbench.errors import DataError, ParameterError

# Shipped with the repository (sample_data/README.md), so these tests run everywhere.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
COMPAS_GROUPS = {
    "Age": 8,
    "Gender": 1,
    "Race": 6,
    "Juvenile-Felonies": 3,
    "Juvenile-Crimes": 4,
    "Prior-Crimes": 4,
    "Current-Charge-Degree": 1,
}


def people() -> pd.DataFrame:
    """A small mixed table: numbers, a boolean, two text fields and a text target."""
    return pd.DataFrame(
        {
            "age": [25, 38, 28, 44, 18, 34],
            "hours": [40.0, 50.0, 40.0, 40.0, 30.0, 45.5],
            "member": [True, False, True, True, False, False],
            "work": ["Private", "Gov", "Private", "?", "Private", "Gov"],
            "race": ["White", "Black", "White", "Asian", "Black", "White"],
            "income": [">50K", "<=50K", "<=50K", ">50K", "<=50K", "<=50K"],
        }
    )


def numeric_frame(rows: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"a": rng.normal(size=rows), "b": rng.normal(size=rows), "t": rng.normal(size=rows)}
    )


def assert_one_line_error(call, *fragments: str) -> None:
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


# --------------------------------------------------------------------------- building


def test_numeric_frame_becomes_a_float32_matrix_with_the_same_values():
    df = people()
    data = Dataset.from_frame(df, "income", features=["age", "hours", "member"])
    assert data.X.dtype == torch.float32 and data.X.is_contiguous() and data.X.device.type == "cpu"
    expected = df[["age", "hours", "member"]].to_numpy(dtype=np.float32)
    np.testing.assert_array_equal(data.X.numpy(), expected)
    assert data.feature_names == ("age", "hours", "member")
    assert data.group_names == ("age", "hours", "member")


def test_text_target_becomes_sorted_class_codes_and_round_trips():
    data = Dataset.from_frame(people(), "income", features=["age"])
    assert data.target_classes == ("<=50K", ">50K")
    assert data.y.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert data.to_frame()["income"].tolist() == people()["income"].tolist()


def test_numeric_target_stays_a_number():
    data = Dataset.from_frame(numeric_frame(), "t")
    assert data.target_classes is None
    np.testing.assert_allclose(data.y.numpy(), numeric_frame()["t"], rtol=1e-6)


def test_onehot_expands_each_field_into_one_group_of_level_columns():
    data = Dataset.from_frame(people(), "income", categorical="onehot")
    work = data.group("work")
    assert work.kind == "onehot"
    assert [data.feature_names[c] for c in work.columns] == ["work=?", "work=Gov", "work=Private"]
    # Every row has exactly one level of each field switched on.
    for name in ("work", "race"):
        block = data.X[:, list(data.group(name).columns)]
        assert torch.equal(block.sum(dim=1), torch.ones(data.n_rows))
    assert data.group_names == ("age", "hours", "member", "work", "race")


def test_codes_keep_each_field_as_one_column_of_sorted_level_codes():
    data = Dataset.from_frame(people(), "income", categorical="codes")
    column = data.feature_names.index("race")
    assert data.code_levels["race"] == ("Asian", "Black", "White")
    assert data.X[:, column].tolist() == [2.0, 1.0, 2.0, 0.0, 1.0, 2.0]
    assert data.group("race") == FeatureGroup("race", (column,), "column")


def test_from_arrays_accepts_numpy_and_torch_alike_and_copies_its_input():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = np.array([0, 1, 0, 1])
    from_numpy = Dataset.from_arrays(X, y)
    from_torch = Dataset.from_arrays(torch.from_numpy(X), torch.from_numpy(y)[:, None])
    assert from_numpy.fingerprint() == from_torch.fingerprint()
    assert from_numpy.feature_names == ("x0", "x1", "x2")
    X[0, 0] = 99.0
    assert from_numpy.X[0, 0] == 0.0


def test_a_constant_problem_is_accepted():
    data = Dataset.from_arrays(np.ones((3, 2)), np.zeros(3))
    assert data.n_rows == 3 and data.n_features == 2 and data.n_groups == 2


# --------------------------------------------------------------------------- grouping


def test_prefix_groups_columns_by_the_text_before_the_first_comparison():
    names = ["Age=18-20", "Age>=30", "Age<=40", "Age<x", "Priors>3", "score", "Sex=M"]
    data = Dataset.from_arrays(np.eye(7), feature_names=names, groups="prefix")
    groups = {g.name: [names[c] for c in g.columns] for g in data.groups}
    assert groups == {
        "Age": ["Age=18-20", "Age>=30", "Age<=40", "Age<x"],
        "Priors": ["Priors>3"],
        "score": ["score"],
        "Sex": ["Sex=M"],
    }
    assert data.group("score").kind == "column" and data.group("Age").kind == "prefix"


def test_mapping_forms_custom_groups_and_leaves_the_rest_alone():
    data = Dataset.from_frame(
        people(), "income", categorical="onehot", groups={"person": ["hours", "race", "age"]}
    )
    assert data.group_names == ("person", "member", "work")
    person = data.group("person")
    assert person.kind == "custom"
    assert {data.feature_names[c] for c in person.columns} == {
        "age",
        "hours",
        "race=Asian",
        "race=Black",
        "race=White",
    }
    assert data.group("work").kind == "onehot"


def test_with_groups_changes_only_the_grouping_and_columns_restores_onehot_fields():
    data = Dataset.from_frame(people(), "income", categorical="onehot", groups="prefix")
    regrouped = data.with_groups({"hours": ["hours"]}).with_groups("columns")
    assert regrouped.group("work").kind == "onehot"
    assert torch.equal(regrouped.X, data.X) and torch.equal(regrouped.y, data.y)


def test_group_lookup_and_unknown_group_message_lists_valid_names():
    data = Dataset.from_frame(numeric_frame(), "t")
    assert data.group_index("b") == 1 and data.group("b").columns == (1,)
    assert_one_line_error(lambda: data.group("c"), "'c'", "'a', 'b'")


# --------------------------------------------------------------------------- derived data sets


def test_split_matches_scikit_learn_row_for_row():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 3)).astype(np.float32), rng.integers(0, 3, size=50)
    data = Dataset.from_arrays(X, y)
    for stratify in (False, True):
        train, test = data.train_test_split(test_size=0.3, seed=7, stratify=stratify)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=7, stratify=y if stratify else None
        )
        np.testing.assert_array_equal(train.X.numpy(), X_train)
        np.testing.assert_array_equal(test.X.numpy(), X_test)
        np.testing.assert_array_equal(test.y.numpy(), y_test)
        np.testing.assert_array_equal(train.y.numpy(), y_train)


def test_split_that_leaves_a_part_too_small_is_refused():
    data = Dataset.from_arrays(np.zeros((5, 2)))
    with pytest.raises(ParameterError, match="test_size"):
        data.train_test_split(test_size=1)
    with pytest.raises(ParameterError, match="test_size"):
        data.train_test_split(test_size=1.5)


def test_subset_by_indices_and_by_mask_select_the_same_rows():
    data = Dataset.from_frame(people(), "income", categorical="onehot")
    mask = np.array([True, False, True, False, False, True])
    by_mask, by_index = data.subset(mask), data.subset(torch.tensor([0, 2, -1]))
    assert by_mask.fingerprint() == by_index.fingerprint()
    assert by_mask.to_frame()["income"].tolist() == [">50K", "<=50K", "<=50K"]
    assert by_mask.groups == data.groups
    assert_one_line_error(lambda: data.subset([0, 6]), "rows", "6")
    assert_one_line_error(lambda: data.subset([3]), "rows", "at least 2 rows")


def test_fingerprint_follows_content_values_names_and_grouping():
    X = np.arange(20, dtype=np.float32).reshape(5, 4)
    names = ["a=1", "a=2", "b", "c"]
    data = Dataset.from_arrays(X, np.arange(5), feature_names=names)
    assert (
        data.fingerprint()
        == Dataset.from_arrays(X.copy(), np.arange(5), feature_names=names).fingerprint()
    )
    changed_value = X.copy()
    changed_value[4, 3] += 1
    variants = [
        Dataset.from_arrays(changed_value, np.arange(5), feature_names=names),
        Dataset.from_arrays(X, np.arange(5)[::-1].copy(), feature_names=names),
        Dataset.from_arrays(X, np.arange(5), feature_names=["a=1", "a=2", "b", "d"]),
        data.with_groups("prefix"),
    ]
    digests = {data.fingerprint()} | {variant.fingerprint() for variant in variants}
    assert len(digests) == len(variants) + 1


def test_fingerprint_is_stable_across_runs():
    # Cached results are keyed by this digest: if it changes on purpose, bump the layout version.
    data = Dataset.from_arrays([[0.0, 1.0], [2.0, 3.0]], [0.0, 1.0], feature_names=["p", "q"])
    assert data.fingerprint() == (
        "1bb1faed2de96ec076b310f2c55f4306d607bf95127d338710d784159e5c3398"
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (lambda: Dataset.from_frame(numeric_frame(), "nope"), ["target", "'nope'"]),
        (
            lambda: Dataset.from_frame(numeric_frame(), "t", features=["a", "zz"]),
            ["features", "'zz'"],
        ),
        (
            lambda: Dataset.from_frame(numeric_frame(), "t", features=["a", "t"]),
            ["target", "'t'", "features"],
        ),
        (
            lambda: Dataset.from_frame(people(), "income"),
            ["'work'", "categorical='onehot'", "categorical='codes'"],
        ),
        (lambda: Dataset.from_arrays(np.zeros(5)), ["X", "2-D", "(5,)"]),
        (lambda: Dataset.from_arrays(np.zeros((5, 2)), np.zeros(4)), ["y", "4", "5"]),
        (
            lambda: Dataset.from_arrays(np.zeros((5, 2)), feature_names=["a", "b", "c"]),
            ["feature_names", "3", "2"],
        ),
        (
            lambda: Dataset.from_arrays(np.zeros((5, 2)), feature_names=["a", "a"]),
            ["feature_names", "duplicate", "'a'"],
        ),
        (lambda: Dataset.from_frame(numeric_frame().iloc[:0], "t"), ["0 rows"]),
        (lambda: Dataset.from_arrays(np.zeros((0, 3))), ["0 rows"]),
        (lambda: Dataset.from_frame(numeric_frame()[["t"]], "t"), ["no feature columns"]),
        (lambda: Dataset.from_arrays(np.zeros((1, 3))), ["1 row", "at least 2 rows"]),
        (
            lambda: Dataset.from_frame(numeric_frame(), groups={"a": ["zz"]}),
            ["groups", "'zz'"],
        ),
        (
            lambda: Dataset.from_frame(numeric_frame(), groups={"g": ["a", "b"], "h": ["b"]}),
            ["'b'", "'g'", "'h'"],
        ),
        (lambda: Dataset.from_frame(numeric_frame(), groups={"g": []}), ["groups", "'g'", "empty"]),
        (
            lambda: Dataset.from_frame(numeric_frame(), groups={"a": ["b", "t"]}),
            ["group name 'a'", "column outside it"],
        ),
        (lambda: Dataset.from_frame(numeric_frame(), groups="suffix"), ["groups", "'suffix'"]),
    ],
    ids=[
        "unknown-target",
        "unknown-feature",
        "target-among-features",
        "text-without-categorical",
        "X-not-2d",
        "y-length",
        "feature-names-length",
        "duplicate-feature-names",
        "frame-without-rows",
        "array-without-rows",
        "no-feature-columns",
        "one-row",
        "group-unknown-column",
        "column-in-two-groups",
        "empty-group",
        "group-name-is-another-groups-column",
        "unknown-grouping",
    ],
)
def test_bad_input_is_one_line_naming_the_culprit(build, fragments):
    assert_one_line_error(build, *fragments)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_feature_names_column_count_and_rows(bad):
    df = numeric_frame()
    df.loc[[1, 3], "b"] = bad
    assert_one_line_error(lambda: Dataset.from_frame(df, "t"), "'b'", "2 at row positions 1, 3")


def test_non_finite_target_is_named():
    df = numeric_frame()
    df.loc[4, "t"] = np.nan
    assert_one_line_error(lambda: Dataset.from_frame(df, "t"), "target 't'", "row positions 4")


def test_missing_text_level_is_named():
    df = people()
    df.loc[2, "work"] = None
    assert_one_line_error(
        lambda: Dataset.from_frame(df, "income", categorical="onehot"), "'work'", "missing"
    )


# --------------------------------------------------------------------------- real data


def test_compas_prefix_groups_are_the_seven_blocks():
    data = Dataset.from_csv(
        SAMPLE_DATA / "compas.csv", "Recidivate-Within-Two-Years", groups="prefix"
    )
    assert {g.name: len(g.columns) for g in data.groups} == COMPAS_GROUPS
    assert data.group_names == tuple(COMPAS_GROUPS)
    _, test = data.train_test_split(test_size=0.2, seed=0)
    assert test.n_rows == 1443


def test_adult_onehot_keeps_question_mark_as_a_level():
    data = Dataset.from_csv(SAMPLE_DATA / "adult.csv.gz", "income", categorical="onehot")
    onehot = [g.name for g in data.groups if g.kind == "onehot"]
    assert len(onehot) == 8 and data.n_groups == 14
    assert "workclass=?" in data.feature_names
    assert data.target_classes == ("<=50K", ">50K")
    assert 0.2 < float(data.y.mean()) < 0.3
