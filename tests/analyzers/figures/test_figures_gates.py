"""Gate figures on structure: traces, axes and the values shown."""

import pytest

from analyzers.figures.gates import (
    ablation_bar,
    gate_attribution_scatter,
    gate_distribution,
    gate_figures,
    gate_level_heatmap,
    interaction_bar,
)
from analyzers.figures.interactions import NEGATIVE_COLOUR
from analyzers.figures.reading import reading_of
from analyzers.gates import analyze_gates
from workbench.errors import ParameterError
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr


@pytest.fixture(scope="module")
def report():
    import torch

    data = synthetic_ctr(n_rows=500, n_fields=4, seed=0, triples=(), main_fields=(3,))[0]
    torch.manual_seed(0)
    model = build_model("gdcn", data, embedding_dim=3, n_cross=1, hidden=[8])
    return analyze_gates(
        model, data, n_bootstrap=20, attribution_rows=40, n_permutations=2, device="cpu"
    )


def test_distribution_shows_the_quantiles_of_each_field(report):
    fig = gate_distribution(report.statistics, "cross0_gate")
    box = fig.data[0]
    rows = report.statistics.per_field.query("site == 'cross0_gate'")
    assert list(box.x) == ["f0", "f1", "f2", "f3"]
    assert list(box.median) == rows["median"].tolist()
    assert list(box.lowerfence) == rows["q05"].tolist()


def test_level_heatmap_has_one_row_per_field(report):
    fig = gate_level_heatmap(report.statistics, "cross0_gate", max_levels=5)
    heat = fig.data[0]
    assert list(heat.y) == ["f0", "f1", "f2", "f3"] and len(heat.x) == 5
    levels = report.statistics.per_level.query("site == 'cross0_gate' and field == 'f0'")
    most_frequent = levels.sort_values("rows", ascending=False).iloc[0]
    assert heat.z[0][0] == most_frequent["mean_gate"]


def test_ablation_bar_carries_the_intervals(report):
    fig = ablation_bar(report.ablation, "cross0_gate", "zero")
    bar = fig.data[0]
    effects = report.ablation.effects.query("site == 'cross0_gate' and mode == 'zero'")
    top = effects.sort_values("loss_increase", ascending=False).iloc[0]
    assert bar.x[0] == top["field"] and bar.y[0] == top["loss_increase"]
    assert bar.error_y.array[0] == pytest.approx(top["loss_increase_high"] - top["loss_increase"])
    with pytest.raises(ParameterError, match="no ablation rows"):
        ablation_bar(report.ablation, "cross0", "open")  # no open value for a cross term


def test_scatter_and_interactions_and_the_set_of_figures(report):
    scatter = gate_attribution_scatter(report.statistics, report.attributions, "cross0_gate")
    assert list(scatter.data[0].text) == ["f0", "f1", "f2", "f3"]
    bars = interaction_bar(report, top=3)
    assert len(bars.data[0].y) == 3 and bars.data[0].x[0] == report.interactions["fis"].iloc[0]
    names = set(gate_figures(report))
    assert {"gate_distribution_cross0_gate", "ablation_cross0", "field_interactions"} <= names


def test_every_gate_figure_says_how_to_read_it(report):
    figures = gate_figures(report)
    assert {name.split("_cross")[0] for name in figures} >= {
        "gate_distribution",
        "gate_levels",
        "gate_vs_conductance",
        "ablation",
        "field_interactions",
    }
    for name, figure in figures.items():
        assert reading_of(figure), name
    assert "log-loss" in reading_of(figures["ablation_cross0"])
    assert "log-loss" in figures["ablation_cross0"].layout.yaxis.title.text


def test_field_interactions_keep_their_sign(report):
    bars = interaction_bar(report).data[0]
    colours = dict(zip(bars.x, bars.marker.color, strict=True))
    assert all((colour == NEGATIVE_COLOUR) == (fis < 0) for fis, colour in colours.items())
    assert "FIS < 0" in reading_of(interaction_bar(report))
