import dataclasses

import numpy as np
import pytest

from analyzers.figures import main_effect_swarm_plot, swarm_plot
from analyzers.figures.reading import reading_of
from analyzers.figures.swarm import INSIDE_NAME, LOSS_COLOURSCALE, OUTSIDE_NAME
from analyzers.rashomon_result import MIN_IN_SET_MODELS
from workbench.errors import ParameterError


def _trace(fig, name):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


def _stars(fig):
    return _trace(fig, "reference model (the trained model)")


def _rows(fig, name=INSIDE_NAME):
    """Plotted x values per row label, from the figure alone."""
    dots = _trace(fig, name)
    labels = fig.layout.meta["rows"]
    rows = {label: [] for label in labels}
    for x, y in zip(dots.x, dots.y, strict=True):
        rows[labels[round(y)]].append(x)
    return {label: np.array(xs) for label, xs in rows.items()}


def _reference_stars(fig):
    labels = fig.layout.meta["rows"]
    stars = _stars(fig)
    return {labels[int(y)]: x for x, y in zip(stars.x, stars.y, strict=True)}


def test_rows_are_ranked_like_the_summary_widest_in_set_range_on_top(result):
    fig = swarm_plot(result)
    labels = list(fig.layout.meta["rows"])
    assert list(fig.layout.yaxis.ticktext) == labels  # no row is flagged here
    assert fig.layout.yaxis.tickvals == tuple(range(len(labels)))
    # Range over the models in the set and the reference model, computed here from the cloud.
    cloud = result.fis_cloud[result.fis_cloud["in_set"]]
    reference = result.reference_fis.set_index("interaction")["fis"]
    expected = {
        label: np.ptp(np.append(cloud.loc[cloud["interaction"] == label, "fis"], reference[label]))
        for label in labels
    }
    assert labels == sorted(expected, key=expected.get)
    assert labels[::-1] == list(result.summary()["interaction"])
    for label, xs in _rows(fig).items():
        plotted = np.sort(cloud.loc[cloud["interaction"] == label, "fis"])
        np.testing.assert_allclose(np.sort(xs), plotted)


def test_reference_star_at_reference_fis(result):
    fig = swarm_plot(result)
    stars = _reference_stars(fig)
    assert _stars(fig).marker.symbol == "star"
    for label, fis in zip(
        result.reference_fis["interaction"], result.reference_fis["fis"], strict=True
    ):
        assert stars[label] == pytest.approx(fis)


def test_colour_is_model_loss_up_to_the_bound_and_only_models_in_the_set_are_coloured(result):
    fig = swarm_plot(result)
    assert OUTSIDE_NAME not in {t.name for t in fig.data}
    dots = _trace(fig, INSIDE_NAME)
    inside = result.fis_cloud[result.fis_cloud["in_set"]]
    assert dots.marker.cmax == pytest.approx(result.reference_loss + result.epsilon)
    assert dots.marker.cmin == pytest.approx(inside["loss"].min())
    assert dots.marker.colorbar.title.text == "loss of the sampled model"
    assert [colour for _, colour in dots.marker.colorscale] == LOSS_COLOURSCALE
    cloud = result.fis_cloud.set_index("model_id")
    np.testing.assert_allclose(dots.marker.color, cloud.loc[list(dots.customdata), "loss"])
    assert np.all(np.asarray(dots.marker.color) <= dots.marker.cmax)


def test_models_outside_the_set_only_on_request_and_distinct(result):
    fig = swarm_plot(result, include_outside=True)
    assert "outside" in fig.layout.title.text
    outside = _trace(fig, OUTSIDE_NAME)
    assert OUTSIDE_NAME == "outside the set (loss > L*+ε)"
    cloud = result.fis_cloud.set_index("model_id")
    assert not cloud.loc[list(outside.customdata), "in_set"].any()
    assert len(outside.customdata) == int((~result.fis_cloud["in_set"]).sum())
    assert outside.marker.symbol != _trace(fig, INSIDE_NAME).marker.symbol
    assert isinstance(outside.marker.color, str) and outside.marker.colorscale is None
    assert all("OUTSIDE the set" in text for text in outside.text)
    # The ranking stays the in-set one: outside models never widen a row.
    default = swarm_plot(result)
    assert fig.layout.meta["rows"] == default.layout.meta["rows"]


def test_a_row_with_too_few_models_in_the_set_is_marked_and_ranked_last(result):
    cloud = result.fis_cloud.copy()
    pair = cloud["interaction"] == "age × prior"  # the narrowest range otherwise
    keep = cloud.index[pair][: MIN_IN_SET_MODELS - 1]
    cloud.loc[pair, "in_set"] = cloud.index[pair].isin(keep)
    few = dataclasses.replace(result, fis_cloud=cloud)
    fig = swarm_plot(few)
    assert fig.layout.meta["rows"][0] == "age × prior"
    assert fig.layout.yaxis.ticktext[0] == f"age × prior ⚠ {MIN_IN_SET_MODELS - 1} in set"
    assert list(few.summary()["interaction"])[-1] == "age × prior"


def test_absolute_and_top(result):
    fig = swarm_plot(result, top=2, absolute=True)
    rows = _rows(fig)
    assert len(rows) == 2
    assert all(np.all(xs >= 0) for xs in rows.values())
    assert _reference_stars(fig)["age × income"] == pytest.approx(0.35)
    assert "|FIS| drops the sign" in reading_of(fig)


def test_old_in_set_only_still_works_with_a_future_warning(result):
    with pytest.warns(FutureWarning, match="include_outside"):
        old = swarm_plot(result, in_set_only=False)
    assert OUTSIDE_NAME in {t.name for t in old.data}


def test_swarm_says_how_to_read_it(result):
    text = reading_of(swarm_plot(result))
    for words in ("orange star is the reference model", "FIS < 0", "FIS > 0", "loss units"):
        assert words in text
    assert f"{result.reference_loss + result.epsilon:.4g}" in text
    assert "in the Rashomon set" in swarm_plot(result).layout.title.text
    assert "star is the reference model" in reading_of(main_effect_swarm_plot(result))


def test_swarm_rejects_unknown_interaction_and_bad_top(result):
    with pytest.raises(ParameterError, match=r"interactions=.*not in this result"):
        swarm_plot(result, interactions=[("age", "zip")])
    with pytest.raises(ParameterError, match="top must be a positive integer"):
        swarm_plot(result, top=0)


def test_main_effect_swarm_rows_and_reference(result):
    fig = main_effect_swarm_plot(result)
    labels = list(fig.layout.meta["rows"])
    assert labels == ["prior", "income", "age"]  # ascending range: 0.2, 0.4, 0.6
    stars = _reference_stars(fig)
    reference = result.reference_main_effects.set_index("group")["main_effect"]
    for group in labels:
        assert stars[group] == pytest.approx(reference[group])
        assert len(_rows(fig)[group]) == 22


def test_main_effect_swarm_explains_a_dropped_group(result):
    with pytest.raises(ParameterError, match="'zip' was dropped"):
        main_effect_swarm_plot(result, groups=["zip"])
