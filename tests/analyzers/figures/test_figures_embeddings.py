"""Embedding figures: the traces, axes and values a user reads, built from small results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analyzers.embeddings import (
    compare_embeddings,
    field_geometry,
    field_relations,
    hash_collisions,
    project,
)
from analyzers.figures.embeddings import (
    cka_heatmap,
    collision_chart,
    geometry_table,
    model_cka_heatmap,
    norm_strata_plot,
    projection_scatter,
    spectrum_plot,
)
from analyzers.figures.reading import reading_of
from workbench.errors import ParameterError


@pytest.fixture
def geometry(rng):
    tables = {
        "low": rng.normal(size=(40, 2)) @ rng.normal(size=(2, 6)),
        "full": rng.normal(size=(50, 6)),
    }
    counts = {"low": rng.integers(0, 20, size=40), "full": rng.integers(1, 20, size=50)}
    return field_geometry(tables, counts=counts)


def note_of(fig: go.Figure) -> str:
    return fig.layout.title.subtitle.text


def test_geometry_table_sorts_fields_and_says_measures_are_descriptive(geometry):
    fig = geometry_table(geometry, sort_by="effective_rank")
    table = fig.data[0]
    assert table.header.values[0] == "field"
    assert list(table.cells.values[0]) == ["full", "low"]  # full rank first
    assert "data-weighted" in fig.layout.title.text
    assert "row_norms: descriptive" in note_of(fig)
    with pytest.raises(ParameterError, match="sort_by"):
        geometry_table(geometry, sort_by="nope")


def test_spectrum_plot_has_a_line_per_field_reaching_one(geometry):
    fig = spectrum_plot(geometry, weighting="table")
    assert [t.name for t in fig.data] == ["low", "full"]
    low = fig.data[0]
    assert low.y[1] == pytest.approx(1.0)  # rank 2: two components hold all variance
    assert {round(s.y0, 2) for s in fig.layout.shapes} == {0.8, 0.95}
    assert "spectrum: orthogonal-only" in note_of(fig)


def test_norm_strata_plot_shows_unseen_rows(geometry):
    fig = norm_strata_plot(geometry)
    low = next(t for t in fig.data if t.name == "low")
    assert low.x[0] == -1 and low.text[0] == "unseen"


def test_cka_heatmap_is_symmetric_with_unit_diagonal(rng):
    x = rng.normal(size=(200, 4))
    relations = field_relations(
        {"a": x, "b": x @ np.diag([2, 2, 2, 2]), "c": rng.normal(size=(200, 4))}
    )
    fig = cka_heatmap(relations)
    z = np.array(fig.data[0].z, dtype=float)
    assert z == pytest.approx(z.T)
    assert np.diag(z) == pytest.approx(1.0)
    assert z[0, 1] == pytest.approx(1.0)
    assert list(fig.data[0].x) == ["a", "b", "c"]
    assert "linear_cka: orthogonal-only" in note_of(fig)


def test_model_cka_heatmap_rows_and_columns_are_the_two_models(rng):
    base = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 3))}
    comparison = compare_embeddings({"m1": base, "m2": {k: -v for k, v in base.items()}})
    fig = model_cka_heatmap(comparison)
    z = np.array(fig.data[0].z, dtype=float)
    assert np.diag(z) == pytest.approx(1.0)
    assert fig.layout.yaxis.title.text == "m1" and fig.layout.xaxis.title.text == "m2"


def test_collision_chart_pairs_observed_bars_with_expectations():
    collisions = hash_collisions({"a": [0, 1, 1], "b": [2, 0]}, n_buckets=4)
    fig = collision_chart(collisions)
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert [b.name for b in bars] == [
        "intra-field (observed)",
        "inter-field (observed)",
        "any (observed)",
    ]
    assert list(bars[0].y) == pytest.approx([2 / 3, 0.0])
    expected = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert list(expected[2].y) == pytest.approx([1 - 0.75**4] * 2)
    assert "80.0% of traffic collides" in fig.layout.title.text
    assert "collisions: invariant" in note_of(fig)


def test_projection_scatter_colours_by_category_or_number(rng):
    labels = pd.DataFrame(
        {
            "field": ["a"] * 30 + ["b"] * 30,
            "level": np.arange(60) % 7,
            "frequency": rng.integers(1, 100, 60),
        }
    )
    projection = project(rng.normal(size=(60, 5)), labels=labels, use_cache=False)
    by_field = projection_scatter(projection, color="field")
    assert [t.name for t in by_field.data] == ["a", "b"]
    assert "frequency: %{customdata[2]}" in by_field.data[0].hovertemplate  # every label
    chosen = projection_scatter(projection, color="field", hover=["frequency"])
    assert chosen.data[0].hovertemplate == "frequency: %{customdata[0]}<extra></extra>"
    by_frequency = projection_scatter(projection, color="frequency")
    assert len(by_frequency.data) == 1 and by_frequency.data[0].marker.showscale
    three_d = projection_scatter(
        project(rng.normal(size=(60, 5)), labels=labels, n_components=3, use_cache=False)
    )
    assert isinstance(three_d.data[0], go.Scatter3d)
    with pytest.raises(ParameterError, match="color must be one of"):
        projection_scatter(projection, color="gate")


def test_every_embedding_figure_says_how_to_read_it(geometry, rng):
    x = rng.normal(size=(100, 3))
    relations = field_relations({"a": x, "b": -x, "c": rng.normal(size=(100, 3))})
    base = {"a": rng.normal(size=(100, 3)), "b": rng.normal(size=(100, 3))}
    labels = pd.DataFrame({"field": ["a"] * 20 + ["b"] * 20})
    projection = project(rng.normal(size=(40, 5)), labels=labels, use_cache=False)
    figures = {
        "table": geometry_table(geometry),
        "spectrum": spectrum_plot(geometry),
        "norms": norm_strata_plot(geometry),
        "relations": cka_heatmap(relations),
        "cosine": cka_heatmap(relations, "centroid_cosine"),
        "models": model_cka_heatmap(compare_embeddings({"m1": base, "m2": base})),
        "collisions": collision_chart(hash_collisions({"a": [0, 1], "b": [2]}, n_buckets=4)),
        "map": projection_scatter(projection),
    }
    for name, figure in figures.items():
        assert reading_of(figure) and "Invariance" in reading_of(figure), name
    # A cosine has a sign: a diverging scale centred at 0.
    cosine = figures["cosine"].data[0]
    assert cosine.zmid == 0 and (cosine.zmin, cosine.zmax) == (-1.0, 1.0)
    assert "−1" in reading_of(figures["cosine"])
