"""Interaction figures: what they show, checked on the traces (not pixels)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analyzers.figures.interactions import (
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    STRENGTH_COLOUR,
    interaction_network,
    pair_heatmap,
    pair_matrix,
    top_pairs_bar,
)
from analyzers.figures.reading import reading_of
from analyzers.interaction_result import InteractionResult
from analyzers.interactions import score_interactions
from tests.conftest import oracle
from workbench import Dataset
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


def _binary_grid(copies: int = 4) -> Dataset:
    """x1, x2, x3 in {0, 1}, every combination equally often: independent groups."""
    X = np.array(list(itertools.product([0.0, 1.0], repeat=3)) * copies, dtype=np.float32)
    return Dataset.from_arrays(X, X[:, 0] * X[:, 1], feature_names=["x1", "x2", "x3"])


@pytest.fixture(scope="module")
def planted_synergy() -> InteractionResult:
    """SII of f = x1·x2 at the rows x1 = x2 = 1: each row gains 0.25 beyond the sum (synergy)."""
    data = _binary_grid()
    rows = np.flatnonzero((data.X[:, 0] == 1) & (data.X[:, 1] == 1)).tolist()
    return score_interactions(
        oracle(lambda x: x[:, 0] * x[:, 1]), data, "sii", rows=rows, background=len(data.X)
    )


@pytest.fixture(scope="module")
def additive() -> InteractionResult:
    """SII of an additive model: every pair score is rounding noise."""
    data = _binary_grid()
    return score_interactions(oracle(lambda x: x[:, 0] + 2 * x[:, 1] - x[:, 2]), data, "sii")


def test_planted_synergy_is_drawn_positive_on_a_scale_centred_at_zero(planted_synergy):
    (heatmap,) = pair_heatmap(planted_synergy, "mean").data
    assert heatmap.z[0][1] == pytest.approx(0.25, abs=1e-5)
    assert heatmap.zmid == 0 and heatmap.zmin == -heatmap.zmax == pytest.approx(-0.25, abs=1e-5)
    assert heatmap.colorscale[0][1] != heatmap.colorscale[-1][1]  # two hues: diverging
    (bar,) = top_pairs_bar(planted_synergy, aggregate="mean").data
    assert bar.y[-1] == "x1 × x2" and bar.x[-1] == pytest.approx(0.25, abs=1e-5)
    assert bar.marker.color[-1] == POSITIVE_COLOUR
    reading = reading_of(pair_heatmap(planted_synergy, "mean"))
    assert "logit" not in reading and "synergy" in reading and "signed mean" in reading


def test_redundancy_is_drawn_negative_and_red(planted_synergy):
    scores = planted_synergy.scores.assign(value=-planted_synergy.scores["value"])
    redundant = InteractionResult(
        ("m",), "sii", planted_synergy.group_names, scores, planted_synergy.main_effects, {}, 0.0
    )
    (heatmap,) = pair_heatmap(redundant, "mean").data
    assert heatmap.z[0][1] == pytest.approx(-0.25, abs=1e-5) and heatmap.zmid == 0
    edges = [t for t in interaction_network(redundant, "mean").data if t.mode == "lines"]
    assert edges[0].name == "x1 × x2" and edges[0].line.color == NEGATIVE_COLOUR
    # The strength view drops the sign: it says so, and uses no sign colour.
    (bar,) = top_pairs_bar(redundant).data
    assert bar.x[-1] == pytest.approx(0.25, abs=1e-5) and bar.marker.color[-1] == STRENGTH_COLOUR
    assert "sign dropped" in reading_of(top_pairs_bar(redundant))


def test_planted_product_has_negative_fis_and_the_reading_says_why():
    data = _binary_grid()
    result = score_interactions(oracle(lambda x: x[:, 0] * x[:, 1]), data, "fis")
    (heatmap,) = pair_heatmap(result, "mean").data
    # fisc.md 1: FIS_12 = -2 Var(x1) Var(x2) = -2 · 1/4 · 1/4 for f = x1·x2 under MSE.
    assert heatmap.z[0][1] == pytest.approx(-0.125, abs=1e-6) and heatmap.zmid == 0
    reading = reading_of(pair_heatmap(result, "mean"))
    assert "squared error" in reading and "FIS < 0" in reading
    assert "squared error" in pair_heatmap(result).data[0].colorbar.title.text


def test_no_interaction_is_drawn_on_the_main_effect_scale(additive):
    assert any(d.code == "no_interaction_above_tolerance" for d in additive.diagnostics)
    largest_main = additive.main_effects["value"].abs().max()
    for aggregate in ("mean_abs", "mean"):
        heatmap_figure = pair_heatmap(additive, aggregate)
        (heatmap,) = heatmap_figure.data
        assert heatmap.zmax == pytest.approx(largest_main)  # not the ~1e-8 of the scores
        assert "no interactions detected" in heatmap_figure.layout.title.text
        assert "No interactions detected" in reading_of(heatmap_figure)
    bar = top_pairs_bar(additive)
    assert list(bar.layout.xaxis.range) == pytest.approx([0.0, largest_main])
    network = interaction_network(additive)
    assert not [t for t in network.data if t.mode == "lines"]
    assert "no interactions detected" in network.layout.title.text


def test_h2_states_its_normalisation(result):
    for scale, words in (("pair", "pair normalisation"), ("output", "output's variance")):
        h2 = InteractionResult(
            ("m",),
            "h2",
            result.group_names,
            result.scores.assign(index="h2", value=result.scores["value"].abs()),
            result.main_effects,
            {"h2_scale": scale},
            0.0,
        )
        assert words in reading_of(pair_heatmap(h2))
        assert pair_heatmap(h2, "mean").data[0].zmin == 0  # H² has no sign: no diverging scale


@pytest.mark.parametrize("builder", [pair_heatmap, interaction_network, top_pairs_bar])
@pytest.mark.parametrize("aggregate", ["mean_abs", "mean"])
def test_every_builder_says_how_to_read_it(result, builder, aggregate):
    reading = reading_of(builder(result, aggregate=aggregate))
    assert reading and "SII" in reading and "synergy" in reading
