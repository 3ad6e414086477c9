"""Figures of a model set: the cloud and the consensus graph draw what the result holds, and a
degenerate set says so instead of drawing a picture."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.figures.model_set_consensus import (
    consensus_graph_plot,
    hasse_layers,
    order_share_heatmap,
)
from analyzers.figures.model_sets import model_set_cloud_plot
from analyzers.figures.reading import reading_of
from analyzers.model_sets import ModelSetResult, consensus
from analyzers.model_sets.diagnostics import model_set_diagnostics

PAIRS = ["a × b", "c × d", "a × c", "b × e"]


def planted(strengths: np.ndarray, n_members: int | None = None) -> ModelSetResult:
    """A result whose members have the given (members, pairs) strengths."""
    members = [f"m{k}" for k in range(len(strengths))]
    n_members = len(members) if n_members is None else n_members
    clouds = pd.DataFrame(
        [
            {"member": m, "pair": p, "strength": s, "value": s}
            for m, row in zip(members, strengths, strict=True)
            for p, s in zip(PAIRS, row, strict=True)
        ],
        columns=["member", "pair", "strength", "value"],
    )
    ranges = pd.DataFrame(
        {
            "pair": PAIRS,
            "n_members": len(members),
            "min": strengths.min(axis=0) if len(strengths) else np.nan,
            "max": strengths.max(axis=0) if len(strengths) else np.nan,
            "mean": strengths.mean(axis=0) if len(strengths) else np.nan,
        }
    )
    ranges["range"] = ranges["max"] - ranges["min"]
    ranges = ranges.merge(consensus.rank_table(strengths, PAIRS, 2), on="pair")
    spread = float(np.ptp(strengths, axis=0).max()) if len(strengths) > 1 else None
    return ModelSetResult(
        model_names=tuple(f"m{k}" for k in range(n_members)),
        index="sii",
        builder="retrained",
        group_names=("a", "b", "c", "d", "e"),
        members=pd.DataFrame(
            {
                "member": [f"m{k}" for k in range(n_members)],
                "loss": 0.5,
                "loss_increase": 0.0,
                "in_set": [k < len(members) for k in range(n_members)],
                "description": "",
            }
        ),
        clouds=clouds,
        ranges=ranges.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True),
        order_shares=consensus.order_shares(strengths, PAIRS),
        hasse=consensus.hasse_edges(strengths, PAIRS),
        reference_loss=0.5,
        epsilon=0.05,
        top_k=2,
        settings={"output": "logit"},
        seconds=0.1,
        diagnostics=model_set_diagnostics(n_members, len(members), spread, 1e-6),
    )


# a×b on top in every member; c×d and a×c swap places; b×e last in every member
STRENGTHS = np.array([[3.0, 2.0, 1.0, 0.1], [3.5, 0.9, 1.8, 0.2], [2.8, 1.5, 1.2, 0.05]])


def test_the_consensus_graph_draws_exactly_the_results_hasse_edges():
    result = planted(STRENGTHS)
    figure = consensus_graph_plot(result, top=None)
    drawn = {tuple(edge) for edge in figure.layout.meta["edges"]}
    assert drawn == set(zip(result.hasse["stronger"], result.hasse["weaker"], strict=True))
    # hand-derived: a×b above both middle pairs, both above b×e, the middle two unordered
    assert drawn == {("a × b", "c × d"), ("a × b", "a × c"), ("c × d", "b × e"), ("a × c", "b × e")}
    layers = figure.layout.meta["layers"]
    assert layers == {"a × b": 0, "c × d": 1, "a × c": 1, "b × e": 2}
    assert "Hasse diagram" in reading_of(figure)


def test_a_graph_of_the_top_pairs_keeps_the_order_through_pairs_left_out():
    result = planted(STRENGTHS)
    figure = consensus_graph_plot(result, top=2)  # a×b and the stronger middle pair (c×d)
    assert [tuple(e) for e in figure.layout.meta["edges"]] == [("a × b", "c × d")]


def test_the_cloud_draws_one_point_per_member_and_pair_with_the_robust_top_k_marked():
    result = planted(STRENGTHS)
    figure = model_set_cloud_plot(result)
    points = sum(len(trace.x) for trace in figure.data if trace.mode == "markers")
    assert points == STRENGTHS.size
    assert figure.layout.meta["rows"][0] == "a × b"  # strongest mean on top
    assert "★ a × b" in figure.layout.yaxis.ticktext  # in the top 2 of every member
    assert "logit" in figure.layout.xaxis.title.text
    assert "robust top-2" in reading_of(figure)


def test_an_empty_set_says_so_on_every_figure_and_draws_no_points():
    result = planted(STRENGTHS[:1], n_members=6)  # only the best model within ε
    for build in (model_set_cloud_plot, consensus_graph_plot, order_share_heatmap):
        figure = build(result)
        assert figure.layout.meta["degenerate"] is True
        assert "No Rashomon set at this ε: 1 of 6" in figure.layout.annotations[0].text
        assert not figure.data


def test_a_collapsed_set_warns_in_the_title():
    result = planted(np.repeat(STRENGTHS[:1], 3, axis=0))
    assert any(d.code == "collapsed_model_set" for d in result.diagnostics)
    for build in (model_set_cloud_plot, consensus_graph_plot):
        assert "are one model" in build(result).layout.title.text


def test_layers_follow_the_longest_chain_of_dominators():
    edges = pd.DataFrame({"stronger": ["p", "q", "p"], "weaker": ["q", "r", "s"]})
    assert hasse_layers(["p", "q", "r", "s"], edges) == {"p": 0, "q": 1, "r": 2, "s": 1}
