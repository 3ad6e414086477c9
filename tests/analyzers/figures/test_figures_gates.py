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


def test_level_heatmap_names_each_fields_most_frequent_levels(report):
    fig = gate_level_heatmap(report.statistics, "cross0_gate", max_levels=5)
    assert [heat.y[0] for heat in fig.data] == ["f0", "f1", "f2", "f3"]
    levels = report.statistics.per_level.query("site == 'cross0_gate'")
    axes = [fig.layout.xaxis, fig.layout.xaxis2, fig.layout.xaxis3, fig.layout.xaxis4]
    for field, heat, axis in zip(["f0", "f1", "f2", "f3"], fig.data, axes, strict=True):
        top = levels[levels["field"] == field].sort_values("rows", ascending=False).head(5)
        # The x labels are the level names (code_levels), not ranks; the cells their means.
        assert list(axis.ticktext) == top["level_label"].tolist()
        assert not any(label.startswith("#") for label in axis.ticktext)
        assert list(heat.z[0]) == top["mean_gate"].tolist()
        assert heat.text[0][0] == f"{top['level_label'].iloc[0]} (n={top['rows'].iloc[0]})"


def test_a_long_level_name_is_cut_under_its_cell_and_whole_in_hover():
    import pandas as pd

    from analyzers.figures.gates import LEVEL_LABEL_CHARACTERS
    from analyzers.gate_results import GateStatistics

    long_name = "Married-civ-spouse-and-more"
    # Two names cut alike stay two cells (x is the rank, the name its label).
    names = [long_name, long_name + "-2", "Never-married"]
    per_level = pd.DataFrame(
        {
            "site": "s",
            "field": "marital",
            "level": [0, 1, 2],
            "level_label": names,
            "rows": [30, 20, 10],
            "mean_gate": [0.1, 0.2, 0.3],
        }
    )
    per_field = pd.DataFrame({"site": ["s"], "field": ["marital"]})
    statistics = GateStatistics(
        model_names=("m",),
        field_names=("marital",),
        sites=("s",),
        per_field=per_field,
        per_level=per_level,
        per_unit_site=pd.DataFrame(),
    )
    fig = gate_level_heatmap(statistics, "s")
    shown = list(fig.layout.xaxis.ticktext)
    assert shown[0] == long_name[: LEVEL_LABEL_CHARACTERS - 1] + "…" == shown[1]
    assert shown[2] == "Never-married" and list(fig.data[0].x) == [0, 1, 2]
    assert list(fig.data[0].text[0][:2]) == [f"{long_name} (n=30)", f"{long_name}-2 (n=20)"]


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
