"""Projections: deterministic for a seed, cached by content, samples drawn by weight."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.embeddings import Projection, clear_projection_cache, project
from workbench.errors import ParameterError


@pytest.fixture(autouse=True)
def empty_cache():
    clear_projection_cache()
    yield
    clear_projection_cache()


def test_pca_recovers_a_planar_cloud(rng):
    plane = rng.normal(size=(200, 2)) * [5.0, 1.0]
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    points = plane @ q[:2]  # a 2-D cloud inside 6-D
    projection = project(points, method="pca", use_cache=False)
    assert sum(projection.settings["explained_variance_ratio"]) == pytest.approx(1.0)
    coordinates = projection.coordinates[["x", "y"]].to_numpy()
    # Distances inside the plane are kept exactly by a projection onto it.
    original = np.linalg.norm(points[:50, None] - points[None, :50], axis=-1)
    mapped = np.linalg.norm(coordinates[:50, None] - coordinates[None, :50], axis=-1)
    assert mapped == pytest.approx(original, abs=1e-4)


def test_projection_is_deterministic_and_cached(rng):
    points = rng.normal(size=(500, 8))
    labels = pd.DataFrame({"field": ["a"] * 250 + ["b"] * 250, "frequency": np.arange(500)})
    first = project(
        points, labels=labels, max_points=100, weights=np.arange(1, 501), random_state=3
    )
    again = project(
        points,
        labels=labels,
        max_points=100,
        weights=np.arange(1, 501),
        random_state=3,
        use_cache=False,
    )
    pd.testing.assert_frame_equal(first.coordinates, again.coordinates)
    assert first.key == again.key
    assert (
        project(points, labels=labels, max_points=100, weights=np.arange(1, 501), random_state=3)
        is first
    )
    other_seed = project(
        points, labels=labels, max_points=100, weights=np.arange(1, 501), random_state=4
    )
    assert other_seed.key != first.key
    assert not np.array_equal(other_seed.coordinates["point"], first.coordinates["point"])
    # labels travel with their points
    rows = first.coordinates["point"].to_numpy()
    assert (first.coordinates["frequency"].to_numpy() == rows).all()


def test_weighted_sample_takes_only_rows_that_occur(rng):
    weights = np.r_[np.zeros(300), np.ones(200)]
    projection = project(rng.normal(size=(500, 4)), max_points=150, weights=weights)
    assert (projection.coordinates["point"] >= 300).all()
    assert len(projection.coordinates) == 150
    with pytest.raises(ParameterError, match="only 200 points have weight"):
        project(rng.normal(size=(500, 4)), max_points=250, weights=weights)


def test_three_components_and_narrow_tables(rng):
    projection = project(rng.normal(size=(50, 2)), n_components=3)
    assert projection.axes == ("x", "y", "z")
    assert (projection.coordinates["z"] == 0).all()  # a 2-D table has no third axis


def test_projection_round_trips_through_json(rng):
    labels = pd.DataFrame({"field": ["a", "b"] * 20, "norm": rng.random(40)})
    projection = project(rng.normal(size=(40, 5)), labels=labels)
    back = Projection.from_dict(json.loads(json.dumps(projection.to_dict(), allow_nan=False)))
    pd.testing.assert_frame_equal(back.coordinates, projection.coordinates)
    assert (back.key, back.method, back.settings) == (
        projection.key,
        projection.method,
        projection.settings,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "tsne"}, "method must be one of"),
        ({"n_components": 4}, "n_components must be 2 or 3"),
        ({"max_points": 1}, "max_points must be >= 3"),
        ({"labels": pd.DataFrame({"a": [1]})}, "labels has 1 rows but points has 10"),
    ],
)
def test_bad_parameters(kwargs, message, rng):
    with pytest.raises(ParameterError, match=message):
        project(rng.normal(size=(10, 3)), **kwargs)


@pytest.mark.slow
def test_umap_is_deterministic_for_a_seed(rng):
    """The first UMAP call compiles numba code (~30 s on 2 cores): one small call pair only."""
    centres = rng.normal(size=(3, 8)) * 6
    points = np.concatenate([c + rng.normal(size=(100, 8)) for c in centres])
    reports = []
    first = project(
        points,
        method="umap",
        random_state=0,
        use_cache=False,
        progress=lambda *r: reports.append(r),
    )
    second = project(points, method="umap", random_state=0, use_cache=False)
    pd.testing.assert_frame_equal(first.coordinates, second.coordinates)
    # A page shows where a fit of minutes is: each stage in order, the count rising to the end.
    assert [stage for stage, _, _ in reports] == [
        "loading UMAP",
        "fitting UMAP",
        "projecting",
        "projecting",
    ]
    assert [done for _, done, _ in reports] == [0, 1, 2, 3]
    assert {total for _, _, total in reports} == {3}
    # Three well separated clusters stay separated: each point's nearest mapped neighbour is
    # from its own cluster.
    xy = first.coordinates[["x", "y"]].to_numpy()
    distances = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    cluster = np.repeat(np.arange(3), 100)
    assert (cluster[distances.argmin(1)] == cluster).mean() > 0.95
