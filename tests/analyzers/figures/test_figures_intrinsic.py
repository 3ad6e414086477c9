"""Figures of a model's own claims (intrinsic ranks, OptInter switches, OptFS kept values) drawn
from hand-built results: each mark sits where the result puts it, and each figure says how to
read it."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzers.figures.intrinsic import intrinsic_rank_figure, operation_switch_figure
from analyzers.figures.optfs import optfs_kept_figure
from analyzers.figures.reading import reading_of
from analyzers.intrinsic_interactions import IntrinsicInteractionResult
from analyzers.operation_switches import OperationSwitchResult
from analyzers.optfs_selection import OptFSSelectionResult

PAIRS = ["a × b", "a × c", "b × c"]


def test_intrinsic_ranks_put_each_pair_at_its_two_ranks_with_rho_in_the_legend():
    pairs = pd.DataFrame(
        {
            "source": ["attention"] * 3,
            "pair": PAIRS,
            "intrinsic_rank": [1, 2, 3],
            "measured_rank": [3, 2, 1],
        }
    )
    agreement = pd.DataFrame({"source": ["attention"], "spearman": [-1.0]})
    result = IntrinsicInteractionResult(
        ("m",), ("a", "b", "c"), "sii", pairs, agreement, "read by hand", {}, 0.0
    )
    fig = intrinsic_rank_figure(result)
    points = fig.data[0]
    assert list(points.text) == PAIRS and list(points.y) == [3, 2, 1]
    assert points.name == "attention (ρ = -1.00)"
    assert "Spearman" in reading_of(fig) and "read by hand" in reading_of(fig)


def test_switches_put_the_pair_whose_operation_matters_most_on_top_with_its_interval():
    switches = pd.DataFrame(
        {
            "pair": ["a × b", "a × c"],
            "chosen": ["memorize", "naive"],
            "forced": ["naive", "naive"],
            "available": [True, True],
            "loss_increase": [0.2, 0.01],
            "loss_increase_low": [0.15, -0.01],
            "loss_increase_high": [0.3, 0.02],
        }
    )
    pairs = pd.DataFrame({"pair": ["a × b", "a × c"], "switch_effect": [0.2, 0.01]})
    result = OperationSwitchResult(
        ("m",), ("a", "b", "c"), "sii", switches, pairs, pd.DataFrame(), 0.5, {}, 0.0
    )
    fig = operation_switch_figure(result)
    assert list(fig.layout.yaxis.categoryarray) == ["a × c", "a × b"]  # top of the axis last
    marks = fig.data[0]
    assert list(marks.error_x.array) == pytest.approx([0.1, 0.01])  # up to the high end
    assert list(marks.error_x.arrayminus) == pytest.approx([0.05, 0.02])
    assert reading_of(fig).startswith("Each row is a field pair")


def test_optfs_figure_puts_the_field_that_lost_most_values_on_top():
    fields = pd.DataFrame(
        {
            "field": ["colour", "noise"],
            "n_values": [3, 4],
            "n_kept": [3, 1],
            "kept_share": [1.0, 0.25],
            "kept_row_share": [1.0, 0.3],
        }
    )
    result = OptFSSelectionResult(("m",), pd.DataFrame(), fields, pd.DataFrame(), 4 / 7, {}, 0.0)
    fig = optfs_kept_figure(result)
    assert list(fig.layout.yaxis.categoryarray) == ["colour", "noise"]  # noise drawn on top
    assert list(fig.data[0].x) == [0.25, 1.0]
    assert "57%" in reading_of(fig)
