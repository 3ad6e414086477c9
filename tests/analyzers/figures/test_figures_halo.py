import numpy as np
import pytest

from analyzers.figures import halo_plot, halo_plot_3d
from workbench.errors import ParameterError


def _traces(fig, role):
    return [trace for trace in fig.data if trace.meta and trace.meta["role"] == role]


def _empirical_points(fig, result, radius=1.0):
    """Plotted (x, y) of each model id on the ring at ``radius``, joined with its cloud row."""
    (trace,) = [t for t in _traces(fig, "empirical") if np.isclose(t.meta["radius"], radius)]
    points = dict(zip(trace.customdata, zip(trace.x, trace.y, strict=True), strict=True))
    cloud = result.fis_cloud.set_index("model_id")
    return [(cloud.loc[model_id], np.array(xy)) for model_id, xy in points.items()]


def test_non_interacting_pair_lies_on_the_unit_ring(result):
    fig = halo_plot(result, ("age", "prior"), radius=1.0)
    points = _empirical_points(fig, result)
    assert len(points) == 36
    radii = np.array([np.hypot(*xy) for _, xy in points])
    np.testing.assert_allclose(radii, 1.0, atol=1e-9)
    (expected,) = _traces(fig, "expected")
    np.testing.assert_allclose(np.hypot(expected.x, expected.y), 1.0, atol=1e-9)
    assert expected.line.dash == "dash"


def test_empirical_halo_is_a_closed_outline_in_angle_order(result):
    fig = halo_plot(result, ("age", "prior"), radius=1.0)
    (trace,) = _traces(fig, "empirical")
    assert (trace.x[0], trace.y[0]) == (trace.x[-1], trace.y[-1])
    angles = np.arctan2(trace.y[:-1], trace.x[:-1])
    assert np.all(np.diff(angles) >= 0)


def test_product_pair_bulges_in_same_sign_quadrants_and_pinches_in_opposite(result):
    fig = halo_plot(result, "age × income")
    for row, xy in _empirical_points(fig, result):
        radius = np.hypot(*xy)
        if row["signs"] in ("++", "--"):
            assert radius > 1.0
        else:
            assert radius < 1.0
        signs = ["+" if v > 0 else "-" for v in xy]
        assert "".join(signs) == row["signs"]


def test_hover_names_split_signs_and_set_membership(result):
    fig = halo_plot(result, ("age", "income"))
    (trace,) = _traces(fig, "empirical")
    cloud = result.fis_cloud.set_index("model_id")
    for model_id, text in zip(trace.customdata, trace.text, strict=True):
        row = cloud.loc[model_id]
        assert f"split {row['split']}" in text
        assert f"signs {row['signs']}" in text
        assert f"{row['loss_increase'] / result.epsilon:.3f} ε" in text
        assert ("inside" if row["in_set"] else "outside") in text


def test_all_rings_drawn_without_radius_and_inner_ring_lighter(result):
    fig = halo_plot(result, ("prior", "age"))
    expected_radii = sorted(t.meta["radius"] for t in _traces(fig, "expected"))
    assert expected_radii == [0.5, 1.0]
    inner = _empirical_points(fig, result, radius=0.5)
    np.testing.assert_allclose([np.hypot(*xy) for _, xy in inner], 0.5, atol=1e-9)
    colours = {t.meta["radius"]: t.line.color for t in _traces(fig, "empirical")}

    def brightness(rgb):
        return sum(int(v) for v in rgb[rgb.index("(") + 1 : -1].split(","))

    assert brightness(colours[0.5]) > brightness(colours[1.0])


def test_axes_follow_the_stored_pair_order_in_units_of_epsilon_with_equal_aspect(result):
    fig = halo_plot(result, ("prior", "income"))
    assert (
        fig.layout.xaxis.title.text == "income component of (L − L*)/ε (+: mask > 1, −: mask < 1)"
    )
    assert fig.layout.yaxis.title.text == "prior component of (L − L*)/ε (+: mask > 1, −: mask < 1)"
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "income × prior" in fig.layout.title.text
    assert f"{result.epsilon:.4g}" in fig.layout.title.text


def test_unknown_pair_raises_one_line(result):
    with pytest.raises(ParameterError, match="'age × zip' is not in this result") as error:
        halo_plot(result, ("age", "zip"))
    assert "\n" not in str(error.value)


def test_triple_or_missing_radius_is_refused(result):
    with pytest.raises(ParameterError, match="needs a pair"):
        halo_plot(result, ("age", "prior", "income"))
    with pytest.raises(ParameterError, match=r"radius=0\.7 is not among the radii"):
        halo_plot(result, ("age", "prior"), radius=0.7)


def test_3d_halo_of_a_non_interacting_triple_lies_on_the_unit_sphere(result):
    fig = halo_plot_3d(result, ("income", "age", "prior"))
    (scatter,) = _traces(fig, "empirical")
    assert len(scatter.x) == 288
    distance = np.sqrt(np.square(scatter.x) + np.square(scatter.y) + np.square(scatter.z))
    np.testing.assert_allclose(distance, 1.0, atol=1e-9)
    (sphere,) = _traces(fig, "expected")
    sphere_distance = np.sqrt(np.square(sphere.x) + np.square(sphere.y) + np.square(sphere.z))
    np.testing.assert_allclose(sphere_distance, 1.0, atol=1e-9)
    assert 0 < sphere.opacity < 1


def test_3d_halo_octant_matches_signs(result):
    fig = halo_plot_3d(result, "age × prior × income")
    (scatter,) = _traces(fig, "empirical")
    cloud = result.fis_cloud.set_index("model_id")
    for model_id, *xyz in zip(scatter.customdata, scatter.x, scatter.y, scatter.z, strict=True):
        signs = "".join("+" if v > 0 else "-" for v in xyz)
        assert signs == cloud.loc[model_id, "signs"]


def test_3d_halo_refuses_a_pair(result):
    with pytest.raises(ParameterError, match="needs a triple"):
        halo_plot_3d(result, ("age", "prior"))


def test_each_point_points_along_its_budget_split(result):
    # A model that spends 9/10 of the budget on age must sit close to the age (x) axis.
    fig = halo_plot(result, ("age", "income"))
    for row, (x, y) in _empirical_points(fig, result):
        age_share, income_share = (int(p) for p in row["split"].split(":"))
        assert abs(x) * income_share == pytest.approx(abs(y) * age_share)


def test_a_negative_coordinate_is_a_shrunk_mask_as_the_axis_says(result):
    # The axes run negative: not a negative loss, the direction the group's mask moved.
    fig = halo_plot(result, ("age", "income"))
    for row, (x, y) in _empirical_points(fig, result):
        assert np.sign(x) == np.sign(row["mask_1"] - 1.0)
        assert np.sign(y) == np.sign(row["mask_2"] - 1.0)
    assert "mask < 1" in fig.layout.xaxis.title.text


def test_models_outside_the_set_are_open_markers_with_a_legend_entry(result):
    from analyzers.figures._swarm_text import OUTSIDE_NAME

    fig = halo_plot(result, ("age", "income"))
    (trace,) = _traces(fig, "empirical")
    cloud = result.fis_cloud.set_index("model_id")
    for model_id, symbol in zip(trace.customdata, trace.marker.symbol, strict=True):
        assert symbol == ("circle" if cloud.loc[model_id, "in_set"] else "circle-open")
    assert OUTSIDE_NAME in {t.name for t in fig.data}
    inside_only = halo_plot(result, ("age", "prior"))
    assert OUTSIDE_NAME not in {t.name for t in inside_only.data}


def test_halos_say_how_to_read_them(result):
    from analyzers.figures.reading import reading_of

    text = reading_of(halo_plot(result, ("age", "income")))
    for words in ("(L − L*)/ε", "m < 1", "dashed red circle", "Rashomon bound", "open ones"):
        assert words in text
    assert "dashed red sphere" in reading_of(halo_plot_3d(result, "age × prior × income"))
