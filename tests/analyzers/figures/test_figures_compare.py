"""Comparison figures: structure and the values shown, on hand-built comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzers.compare import compare_results
from analyzers.figures import write_figures
from analyzers.figures.compare import agreement_heatmap, model_dumbbell_plot
from analyzers.figures.compare_overlay import rashomon_overlay_plot
from analyzers.figures.reading import reading_of
from analyzers.interaction_result import InteractionResult
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError

GROUPS = ("a", "b", "c")
PAIRS = ("a × b", "a × c", "b × c")


def result(model, values, index="fis"):
    scores = pd.DataFrame(
        {"model": model, "index": index, "pair": list(PAIRS), "value": list(values)}
    )
    return InteractionResult((model,), index, GROUPS, scores, pd.DataFrame(), {}, 0.0)


def fisc():
    reference = pd.DataFrame({"interaction": ["a × b", "a × c"], "order": 2, "fis": [-0.5, 0.0]})
    cloud = pd.DataFrame(
        {
            "model_id": [0, 1, 2, 3],
            "interaction": ["a × b", "a × b", "a × c", "a × c"],
            "fis": [-0.8, -0.3, -0.1, 0.1],
            "in_set": True,
        }
    )
    empty = pd.DataFrame()
    return RashomonResult(
        model_names=("ref",),
        settings={"absolute": False},
        seconds=0.0,
        reference_loss=1.0,
        epsilon=0.1,
        group_names=GROUPS,
        dropped_groups=(),
        reference_main_effects=empty,
        reference_fis=reference,
        boundaries=empty,
        trace=empty,
        main_effect_cloud=empty,
        fis_cloud=cloud,
    )


@pytest.fixture
def comparison():
    # Shares: ref (0.5, 0, 0.5); near (0.4, 0.1, 0.5); far (0.75, 0.25, 0).
    # Disagreement (max - min share): a × b 0.35, a × c 0.25, b × c 0.5.
    return compare_results(
        [
            result("ref", [-0.5, 0.0, 0.5]),
            result("near", [-0.4, 0.1, 0.5]),
            result("far", [-1.5, 0.5, 0.0]),
        ],
        rashomon={"ref": fisc()},
        top_k=1,
    )


def test_dumbbell_has_a_range_bar_and_a_marker_per_model_sorted_by_disagreement(comparison):
    fig = model_dumbbell_plot(comparison)
    assert [t.name for t in fig.data] == ["range over models", "ref", "near", "far"]
    order = ["b × c", "a × b", "a × c"]
    assert list(fig.data[1].y) == order
    assert list(fig.layout.yaxis.categoryarray) == order[::-1]  # largest on top
    np.testing.assert_allclose(fig.data[3].x, [0.0, 0.75, 0.25])
    bar = fig.data[0]
    assert list(bar.y) == ["b × c", "b × c", None, "a × b", "a × b", None, "a × c", "a × c", None]
    np.testing.assert_allclose([bar.x[0], bar.x[1]], [0.0, 0.5])  # b × c: far 0 .. ref/near 0.5


def test_dumbbell_top_values_and_slope_style(comparison):
    raw = model_dumbbell_plot(comparison, value="value", top=1)
    assert list(raw.data[1].y) == ["b × c"]
    assert [t.x[0] for t in raw.data[1:]] == [0.5, 0.5, 0.0]
    slope = model_dumbbell_plot(comparison, style="slope", top=2)
    assert [t.name for t in slope.data] == ["b × c", "a × b"]
    assert list(slope.data[1].x) == ["ref", "near", "far"]
    np.testing.assert_allclose(slope.data[1].y, [0.5, 0.4, 0.75])


def test_agreement_heatmap_shows_the_agreement_matrix(comparison):
    fig = agreement_heatmap(comparison, "spearman")
    (heatmap,) = fig.data
    assert list(heatmap.x) == list(heatmap.y) == ["ref", "near", "far"]
    z = np.array(heatmap.z, dtype=float)
    np.testing.assert_allclose(z, comparison.agreement_matrix("spearman").to_numpy())
    np.testing.assert_allclose(np.diag(z), 1.0)
    assert (heatmap.zmin, heatmap.zmax) == (-1.0, 1.0)
    assert heatmap.text[0][0] == "1.00"
    overlap = agreement_heatmap(comparison, "top_k_overlap").data[0]
    assert overlap.zmin == 0.0
    # Top 1: ref's strongest is a × b (tie with b × c, earlier pair); far's is a × b too.
    assert overlap.z[0][2] == 1.0 and overlap.z[1][2] == 0.0


def test_rashomon_overlay_shows_ranges_reference_and_verdicts(comparison):
    fig = rashomon_overlay_plot(comparison)
    names = [t.name for t in fig.data]
    assert names == [
        "FISC range (ε = 0.1) of ref",
        "ref (reference)",
        *["near"] * 3,
        *["far"] * 3,
    ]
    # One legend entry per model (its first trace, no points), even for far whose points are
    # all crosses; the verdict traces join it under the model's legend group.
    assert [t.showlegend for t in fig.data[2:]] == [None, False, False, None, False, False]
    assert [t.legendgroup for t in fig.data[2:]] == ["near"] * 3 + ["far"] * 3
    # far: a × b at -1.5 is 0.7 below [-0.8, -0.3]; sorted first. b × c was not analysed.
    assert list(fig.data[1].y) == ["a × b", "a × c"]
    np.testing.assert_allclose(fig.data[0].x[:2], [-0.8, -0.3])
    np.testing.assert_allclose(fig.data[1].x, [-0.5, 0.0])
    _, near_inside, near_outside, _, far_inside, far_outside = fig.data[2:]
    assert (near_inside.marker.symbol, near_outside.marker.symbol) == ("circle", "x")
    # near: -0.4 in [-0.8, -0.3]; 0.1 ends [-0.1, 0.1], still inside.
    assert list(near_inside.y) == ["a × b", "a × c"] and len(near_outside.y) == 0
    np.testing.assert_allclose(near_inside.x, [-0.4, 0.1])
    assert len(far_inside.y) == 0 and list(far_outside.y) == ["a × b", "a × c"]
    np.testing.assert_allclose(far_outside.x, [-1.5, 0.5])
    assert list(far_outside.customdata) == ["a real difference"] * 2


def test_bad_arguments_raise_one_line(comparison):
    plain = compare_results([result("x", [1.0, 2.0, 3.0]), result("y", [3.0, 2.0, 1.0])])
    cases = [
        (lambda: rashomon_overlay_plot(plain), "no FISC result"),
        (lambda: rashomon_overlay_plot(comparison, "far"), "'far' has no FISC result"),
        (lambda: agreement_heatmap(comparison, "pearson"), "measure"),
        (lambda: model_dumbbell_plot(comparison, value="rank"), "value"),
        (lambda: model_dumbbell_plot(comparison, top=0), "top"),
    ]
    for build, message in cases:
        with pytest.raises(ParameterError, match=message) as error:
            build()
        assert "\n" not in str(error.value)


def test_figures_export_to_html(comparison, tmp_path):
    figures = {
        "dumbbell": model_dumbbell_plot(comparison),
        "agreement": agreement_heatmap(comparison),
        "rashomon": rashomon_overlay_plot(comparison),
    }
    written = write_figures(figures, tmp_path, formats="html")
    assert [p.name for p in written] == ["dumbbell.html", "agreement.html", "rashomon.html"]
    assert all(p.stat().st_size > 1000 for p in written)


@pytest.mark.parametrize(
    "build",
    [
        lambda c: model_dumbbell_plot(c),
        lambda c: model_dumbbell_plot(c, "value", style="slope"),
        lambda c: agreement_heatmap(c),
        lambda c: agreement_heatmap(c, "top_k_overlap"),
        lambda c: rashomon_overlay_plot(c),
    ],
    ids=["dumbbell", "slope", "spearman", "overlap", "overlay"],
)
def test_every_figure_says_how_to_read_it(comparison, build):
    reading = reading_of(build(comparison))
    assert reading and len(reading) > 80


def test_readings_give_the_unit_and_the_sign_of_fis():
    on_log_loss = [
        InteractionResult(
            (model,),
            "fis",
            GROUPS,
            result(model, values).scores,
            pd.DataFrame(),
            {"loss": "log_loss"},
            0.0,
        )
        for model, values in (("ref", [-0.5, 0.0, 0.5]), ("far", [-1.5, 0.5, 0.0]))
    ]
    comparison = compare_results(on_log_loss, rashomon={"ref": fisc()}, aggregate="mean")
    overlay = rashomon_overlay_plot(comparison)
    assert overlay.layout.xaxis.title.text == "permutation FIS (log-loss)"
    assert "FIS < 0" in reading_of(overlay) and "log-loss" in reading_of(overlay)
    dumbbell = model_dumbbell_plot(comparison, "value")
    assert dumbbell.layout.xaxis.title.text == "global interaction value (log-loss)"
    assert "FIS < 0" in reading_of(dumbbell)
    # Strengths drop the sign, and the reading says so instead of a sign convention.
    assert "sign dropped" in reading_of(model_dumbbell_plot(comparison, "strength"))
    spearman = agreement_heatmap(comparison).data[0]
    assert spearman.zmid == 0 and (spearman.zmin, spearman.zmax) == (-1.0, 1.0)


def sii_on(model: str, values, output: str) -> InteractionResult:
    scores = pd.DataFrame({"model": model, "index": "sii", "pair": list(PAIRS), "value": values})
    return InteractionResult(model, "sii", GROUPS, scores, pd.DataFrame(), {"output": output}, 0.0)


def test_dumbbell_refuses_one_axis_for_scores_on_different_output_scales():
    """One model scored on the logit scale, one on the probability scale: their values are not
    in one unit, so the value and strength axes are refused (not labelled with the first
    model's unit); the unitless share still plots and its reading names each model's unit."""
    mixed = compare_results(
        [
            sii_on("mlp", [0.8, -0.2, 0.1], "logit"),
            sii_on("forest", [0.1, 0.0, 0.02], "probability"),
        ]
    )
    for value in ("value", "strength"):
        for style in ("dumbbell", "slope"):
            with pytest.raises(ParameterError, match="different scales") as excinfo:
                model_dumbbell_plot(mixed, value, style=style)
            message = str(excinfo.value)
            assert "mlp: logit" in message and "forest: probability" in message
            assert "\n" not in message
    share = model_dumbbell_plot(mixed)
    assert share.layout.xaxis.title.text == "share of the model's total interaction strength"
    reading = reading_of(share)
    assert "mlp: logit" in reading and "forest: probability" in reading
    assert "logit (log-odds) units, per explained row" not in reading  # not the first's unit
    # the same scale on both: one axis with that unit
    same = compare_results(
        [sii_on("mlp", [0.8, -0.2, 0.1], "logit"), sii_on("forest", [0.3, 0.0, 0.2], "logit")]
    )
    assert model_dumbbell_plot(same, "value").layout.xaxis.title.text.endswith("(logit)")


def test_each_model_has_one_colour_in_every_comparison_figure(comparison):
    """The dumbbell, the overlay's stars (reference) and verdict points use one map."""
    from analyzers.figures.colours import model_colours

    colours = model_colours(comparison.model_names)
    assert len(set(colours.values())) == len(colours) == 3
    dumbbell = model_dumbbell_plot(comparison)
    seen = {t.name: t.marker.color for t in dumbbell.data if t.mode == "markers"}
    assert seen == colours
    overlay = rashomon_overlay_plot(comparison)
    assert overlay.data[1].marker.color == colours["ref"]
    for trace in overlay.data[2:]:
        assert trace.marker.color == colours[trace.name]
