"""Per-field geometry on tables whose spectrum, rank and anisotropy are known by construction."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analyzers.embeddings import FieldGeometry, field_geometry
from analyzers.embeddings.geometry import UNSEEN_STRATUM
from workbench.errors import ParameterError


def table_with_spectrum(singular_values, rows: int, dim: int, rng) -> np.ndarray:
    """A centred table whose covariance has exactly these singular values (as std deviations).

    Orthonormal columns orthogonal to the all-ones vector keep the table centred, so centring
    does not change the spectrum; the 1/sqrt(rows) scaling of the spectrum is undone here.
    """
    k = len(singular_values)
    basis = rng.normal(size=(rows, k))
    basis -= basis.mean(0)
    left, _ = np.linalg.qr(basis)  # (rows, k), orthonormal, columns sum to 0
    right, _ = np.linalg.qr(rng.normal(size=(dim, k)))  # (dim, k)
    return np.sqrt(rows) * left @ np.diag(singular_values) @ right.T


def row_of(result: FieldGeometry, field: str, weighting: str = "table") -> pd.Series:
    frame = result.geometry
    return frame[(frame["field"] == field) & (frame["weighting"] == weighting)].iloc[0]


@pytest.mark.parametrize("rank", [1, 3, 6])
def test_flat_rank_r_table_has_every_rank_measure_equal_to_r(rank, rng):
    table = table_with_spectrum([2.0] * rank, rows=400, dim=16, rng=rng)
    table += 1e-6 * rng.normal(size=table.shape)  # numerical noise must not add a dimension
    row = row_of(field_geometry({"f": table}), "f")
    for measure in (
        "effective_rank",
        "participation_ratio",
        "stable_rank",
        "information_abundance",
    ):
        assert row[measure] == pytest.approx(rank, rel=1e-3), measure
    assert row["dim_95"] == rank
    assert row["dim_80"] == math.ceil(0.8 * rank)


def test_known_spectrum_gives_the_hand_derived_measures(rng):
    s = np.array([4.0, 3.0, 2.0, 1.0])
    table = table_with_spectrum(s, rows=300, dim=12, rng=rng)
    result = field_geometry([table], field_names=["f"])
    row = row_of(result, "f")
    p = s / s.sum()
    assert row["effective_rank"] == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    assert row["participation_ratio"] == pytest.approx(30.0**2 / (256 + 81 + 16 + 1))
    assert row["stable_rank"] == pytest.approx(30 / 16)
    assert row["information_abundance"] == pytest.approx(10 / 4)
    # cumulative explained variance 16/30, 25/30, 29/30, 1
    assert (row["dim_80"], row["dim_95"]) == (2, 3)
    spectrum = result.spectrum
    assert spectrum["singular_value"].head(4).to_numpy() == pytest.approx(s)
    assert spectrum["cumulative_explained_variance"].iloc[-1] == pytest.approx(1.0)


def test_random_low_rank_table_reaches_full_variance_at_its_rank(rng):
    table = rng.normal(size=(1000, 5)) @ rng.normal(size=(5, 16))
    result = field_geometry({"f": table}, variance_levels=(0.8, 1.0))
    row = row_of(result, "f")
    assert row["dim_95"] == 5  # the 100% level
    assert 1 < row["stable_rank"] <= row["effective_rank"] <= 5 + 1e-9


def test_isotropic_gaussian_table_has_no_anisotropy(rng):
    row = row_of(field_geometry({"f": rng.normal(size=(4000, 16))}), "f")
    assert abs(row["mean_pairwise_cosine"]) < 0.01
    assert row["mean_vector_ratio"] < 0.05
    assert row["dim_95"] >= 14


def test_shifted_table_is_anisotropic(rng):
    table = rng.normal(size=(2000, 8)) + 3.0  # every row near the direction (1, ..., 1)
    row = row_of(field_geometry({"f": table}), "f")
    assert row["mean_pairwise_cosine"] > 0.8
    assert row["mean_vector_ratio"] > 0.9


def test_data_weighting_equals_the_table_of_repeated_rows(rng):
    table = rng.normal(size=(30, 6)) * rng.uniform(0.2, 3.0, size=(30, 1))
    counts = rng.integers(1, 9, size=30)
    weighted = row_of(field_geometry({"f": table}, counts={"f": counts}), "f", "data")
    repeated = row_of(field_geometry({"f": np.repeat(table, counts, axis=0)}), "f")
    for measure in (
        "mean_norm",
        "effective_rank",
        "participation_ratio",
        "stable_rank",
        "mean_pairwise_cosine",
        "mean_vector_ratio",
        "dim_80",
        "dim_95",
    ):
        # Repeated rows pair with their own copies; the weighted cosine leaves only i = i out.
        tolerance = 0.05 if measure == "mean_pairwise_cosine" else 1e-9
        assert weighted[measure] == pytest.approx(repeated[measure], abs=tolerance), measure


def test_norm_strata_follow_frequency(rng):
    counts = np.concatenate([np.zeros(10), rng.integers(1, 1000, size=200)])
    direction = rng.normal(size=(210, 8))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    norms = 0.1 + np.log1p(counts)  # frequent rows grow longer, as in trained tables
    result = field_geometry({"f": direction * norms[:, None]}, counts={"f": counts}, n_strata=4)
    strata = result.norm_strata
    assert strata["stratum"].tolist() == [UNSEEN_STRATUM, 0, 1, 2, 3]
    assert strata["n_rows"].sum() == 210
    assert strata.loc[strata["stratum"] == UNSEEN_STRATUM, "n_rows"].item() == 10
    seen = strata[strata["stratum"] >= 0]
    assert seen["mean_norm"].is_monotonic_increasing
    assert row_of(result, "f", "data")["norm_log_frequency_spearman"] == pytest.approx(
        1.0, abs=1e-4
    )
    assert row_of(result, "f", "data")["n_rows"] == 200


def test_geometry_round_trips_through_json(rng):
    counts = {"a": rng.integers(0, 5, size=20), "b": rng.integers(1, 5, size=7)}
    result = field_geometry(
        {"a": rng.normal(size=(20, 4)), "b": rng.normal(size=(7, 4))}, counts=counts
    )
    back = FieldGeometry.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert back.field_names == result.field_names
    assert back.settings == result.settings
    assert back.measure_invariance == result.measure_invariance
    for name in ("geometry", "spectrum", "norm_strata"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name))
    assert "descriptive" in result.measure_invariance["row_norms"]


def test_geometry_without_counts_round_trips_empty_strata(rng):
    result = field_geometry({"a": rng.normal(size=(5, 3))})
    back = FieldGeometry.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert back.norm_strata.empty
    pd.testing.assert_frame_equal(back.geometry, result.geometry)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tables": {"a": np.full((3, 2), np.nan)}}, "field 'a' has NaN"),
        ({"tables": {"a": np.zeros(3)}}, "must be 2-D"),
        ({"tables": {"a": np.zeros((3, 2))}, "counts": {"a": [1, 2]}}, "one count per row"),
        ({"tables": {"a": np.zeros((3, 2))}, "counts": {"a": [0, 0, 0]}}, "all 0"),
        ({"tables": {"a": np.zeros((3, 2))}, "n_strata": 0}, "n_strata"),
        ({"tables": [np.zeros((3, 2))], "field_names": ["a", "b"]}, "field_names has 2"),
        ({"tables": {}}, "tables is empty"),
    ],
)
def test_bad_input_gives_one_line_errors(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        field_geometry(**kwargs)


def test_a_rank_one_field_and_a_constant_field_are_flagged(rng):
    direction = rng.normal(size=(1, 8))
    tables = {
        "line": rng.normal(size=(50, 1)) @ direction,  # every row on one line
        "point": np.repeat(direction, 50, axis=0),  # every row the same
        "full": rng.normal(size=(50, 8)),
    }
    result = field_geometry(tables)
    codes = [d.code for d in result.diagnostics]
    assert codes == ["rank_one_field", "constant_field"]
    assert "'line'" in result.diagnostics[0].message
    assert "'point'" in result.diagnostics[1].message
    back = FieldGeometry.from_json(result.to_json())
    assert back.diagnostics == result.diagnostics and back.seconds == result.seconds
