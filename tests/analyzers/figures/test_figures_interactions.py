"""Interaction figures: what they show, checked on the traces (not pixels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzers.figures.interactions import (
    interaction_network,
    pair_heatmap,
    pair_matrix,
    top_pairs_bar,
)
from analyzers.interaction_result import InteractionResult
from workbench.errors import ParameterError


@pytest.fixture
def result() -> InteractionResult:
    scores = pd.DataFrame(
        {
            "model": "m",
            "index": "sii",
            "pair": ["a × b", "a × c", "b × c", "a × b × c"] * 2,
            "value": [2.0, -0.5, 0.1, 9.0, 4.0, -1.5, -0.1, 9.0],
            "row": pd.array([0, 0, 0, 0, 1, 1, 1, 1], dtype="Int64"),
        }
    )
    mains = pd.DataFrame(
        {"model": "m", "index": "sii", "group": ["a", "b", "c"], "value": [4.0, 1.0, 0.0]}
    )
    errors = pd.DataFrame({"pair": ["a × b", "a × c", "b × c"], "standard_error": [0.5, 0.1, 0.0]})
    return InteractionResult(("m",), "sii", ("a", "b", "c"), scores, mains, {}, 0.0, errors)


def test_heatmap_is_symmetric_with_the_aggregated_pair_scores(result):
    fig = pair_heatmap(result)
    (heatmap,) = fig.data
    assert list(heatmap.x) == list(heatmap.y) == ["a", "b", "c"]
    z = np.array(heatmap.z, dtype=float)
    assert z[0, 1] == z[1, 0] == pytest.approx(3.0)  # mean |2|, |4|
    assert z[1, 2] == pytest.approx(0.1)
    assert np.isnan(np.diag(z)).all()
    signed = pair_heatmap(result, "mean").data[0]
    assert signed.zmid == 0 and signed.z[0][2] == pytest.approx(-1.0)


def test_network_edges_follow_the_scores_and_nodes_the_main_effects(result):
    fig = interaction_network(result, aggregate="mean")
    edges = [t for t in fig.data if t.mode == "lines"]
    assert [e.name for e in edges] == ["a × b", "a × c"]  # b × c has mean 0: no edge
    assert edges[0].line.width > edges[1].line.width
    assert edges[1].line.color == "#d62728"  # negative signed score
    nodes = next(t for t in fig.data if t.name == "groups")
    assert list(nodes.text) == ["a", "b", "c"]
    assert nodes.marker.size[0] > nodes.marker.size[1] > nodes.marker.size[2]
    assert len(interaction_network(result, top=1).data) == 1 + 2


def test_bar_orders_pairs_and_shows_sampling_errors_for_signed_means(result):
    (bar,) = top_pairs_bar(result, top=2).data
    assert list(bar.y) == ["a × c", "a × b"]  # strongest at the top (drawn last)
    assert list(bar.x) == pytest.approx([1.0, 3.0])
    assert bar.error_x.array is None
    (signed,) = top_pairs_bar(result, aggregate="mean").data
    assert list(signed.error_x.array) == pytest.approx([0.0, 0.196, 0.98])


def test_triples_are_left_out_and_bad_top_is_one_line(result):
    assert pair_matrix(result).shape == (3, 3)
    assert "a × b × c" not in top_pairs_bar(result).data[0].y
    with pytest.raises(ParameterError, match="top must be >= 1"):
        top_pairs_bar(result, top=0)
