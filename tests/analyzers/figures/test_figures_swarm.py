import numpy as np
import pytest

from analyzers.figures import main_effect_swarm_plot, swarm_plot
from analyzers.figures.swarm import LOSS_COLOURSCALE
from workbench.errors import ParameterError


def _rows(fig):
    """Plotted x values per tick label, from the figure alone."""
    dots, _ = fig.data
    labels = fig.layout.yaxis.ticktext
    rows = {label: [] for label in labels}
    for x, y in zip(dots.x, dots.y, strict=True):
        rows[labels[round(y)]].append(x)
    return {label: np.array(xs) for label, xs in rows.items()}


def _reference_stars(fig):
    _, stars = fig.data
    labels = fig.layout.yaxis.ticktext
    return {labels[int(y)]: x for x, y in zip(stars.x, stars.y, strict=True)}


def test_rows_sorted_by_fis_range_widest_on_top(result):
    fig = swarm_plot(result)
    labels = list(fig.layout.yaxis.ticktext)
    assert fig.layout.yaxis.tickvals == tuple(range(len(labels)))
    expected = result.fis_cloud.groupby("interaction")["fis"].agg(lambda v: v.max() - v.min())
    assert labels == list(expected.sort_values().index)
    assert labels[-1] == "age × income"
    cloud = result.fis_cloud
    for label, xs in _rows(fig).items():
        plotted = np.sort(cloud.loc[cloud["interaction"] == label, "fis"])
        np.testing.assert_allclose(np.sort(xs), plotted)


def test_reference_star_at_reference_fis(result):
    fig = swarm_plot(result)
    stars = _reference_stars(fig)
    _, star_trace = fig.data
    assert star_trace.marker.symbol == "star"
    for label, fis in zip(
        result.reference_fis["interaction"], result.reference_fis["fis"], strict=True
    ):
        assert stars[label] == pytest.approx(fis)


def test_colour_is_model_loss_up_to_reference_loss_plus_epsilon(result):
    fig = swarm_plot(result)
    dots, _ = fig.data
    assert dots.marker.cmax == pytest.approx(result.reference_loss + result.epsilon)
    assert dots.marker.cmin == pytest.approx(result.fis_cloud["loss"].min())
    assert dots.marker.colorbar.title.text == "loss of the sampled model"
    assert [colour for _, colour in dots.marker.colorscale] == LOSS_COLOURSCALE
    cloud = result.fis_cloud.set_index("model_id")
    np.testing.assert_allclose(dots.marker.color, cloud.loc[list(dots.customdata), "loss"])


def test_absolute_top_and_in_set_only(result):
    fig = swarm_plot(result, top=2, absolute=True)
    rows = _rows(fig)
    assert len(rows) == 2
    assert all(np.all(xs >= 0) for xs in rows.values())
    assert _reference_stars(fig)["age × income"] == pytest.approx(0.35)

    inside = swarm_plot(result, interactions=[("income", "age")], in_set_only=True)
    (label,) = inside.layout.yaxis.ticktext
    assert label == "age × income"
    assert len(_rows(inside)[label]) == int(
        result.fis_cloud.query("interaction == @label")["in_set"].sum()
    )


def test_swarm_rejects_unknown_interaction_and_bad_top(result):
    with pytest.raises(ParameterError, match=r"interactions=.*not in this result"):
        swarm_plot(result, interactions=[("age", "zip")])
    with pytest.raises(ParameterError, match="top must be a positive integer"):
        swarm_plot(result, top=0)


def test_main_effect_swarm_rows_and_reference(result):
    fig = main_effect_swarm_plot(result)
    labels = list(fig.layout.yaxis.ticktext)
    assert labels == ["prior", "income", "age"]  # ascending range: 0.2, 0.4, 0.6
    stars = _reference_stars(fig)
    reference = result.reference_main_effects.set_index("group")["main_effect"]
    for group in labels:
        assert stars[group] == pytest.approx(reference[group])
        assert len(_rows(fig)[group]) == 22


def test_main_effect_swarm_explains_a_dropped_group(result):
    with pytest.raises(ParameterError, match="'zip' was dropped"):
        main_effect_swarm_plot(result, groups=["zip"])
