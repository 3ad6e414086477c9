"""Local views of one model's interactions: the dependence plot of a pair and one row's bars.

Planted case: f = x0·x1 + x2 on the full grid {-2..2}² × {0, 1}, explained on every row with
every row as background. The background means of x0 and x1 are 0 and their covariance is 0, so
the SII of (x0, x1) on a row is exactly x0·x1 there, and x2 (additive) interacts with nothing.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analyzers.figures.dependence import dependence_plot
from analyzers.figures.reading import reading_of
from analyzers.figures.row_explorer import row_interaction_bar
from analyzers.interaction_result import InteractionResult
from analyzers.interactions import score_interactions
from analyzers.interactions.explained_rows import explained_rows, group_values, row_values
from tests.conftest import oracle
from workbench import Dataset
from workbench.errors import ParameterError

LEVELS = (-2.0, -1.0, 0.0, 1.0, 2.0)


@pytest.fixture(scope="module")
def planted():
    X = np.array(list(itertools.product(LEVELS, LEVELS, (0.0, 1.0))), dtype=np.float32)
    data = Dataset.from_arrays(X, np.zeros(len(X)))
    model = oracle(lambda x: x[:, 0] * x[:, 1] + x[:, 2])
    # rows in a shuffled order, so "the right order" is not just the data order
    rows = np.random.default_rng(0).permutation(len(X))
    result = score_interactions(model, data, "sii", rows=rows, background=len(X))
    return data, result


def test_dependence_points_are_the_rows_sii_in_the_explained_order(planted):
    data, result = planted
    rows = explained_rows(result)
    figure = dependence_plot(result, group_values(data, rows), "x0 × x1")
    [points] = figure.data
    X = data.X.numpy()[rows]
    assert list(points.customdata) == rows.tolist()
    np.testing.assert_allclose(points.x, X[:, 0])
    np.testing.assert_allclose(points.y, X[:, 0] * X[:, 1], atol=1e-5)  # the closed form
    np.testing.assert_allclose(points.marker.color, X[:, 1])  # coloured by the partner
    # the partner is signed: a diverging scale centred at 0
    assert points.marker.cmid == 0.0 and points.marker.colorscale[0][1] != "#440154"
    # positive exactly where x0·x1 is above its mean (0): the sign pattern of a product
    assert np.array_equal(np.asarray(points.y) > 1e-6, X[:, 0] * X[:, 1] > 0)
    reading = reading_of(figure)
    assert "x0 × x1" in reading and "synergy" in reading and "units" in reading


def test_dependence_along_the_partner_swaps_axis_and_colour(planted):
    data, result = planted
    values = group_values(data, explained_rows(result))
    [points] = dependence_plot(result, values, "x0 × x1", along="x1").data
    np.testing.assert_allclose(points.x, values["x1"])
    np.testing.assert_allclose(points.marker.color, values["x0"])
    # an additive pair lies on the zero line; a one-sign partner gets a sequential scale
    [flat] = dependence_plot(result, values, "x0 × x2", along="x0").data
    np.testing.assert_allclose(flat.y, 0.0, atol=1e-5)
    assert flat.marker.cmid is None
    # the row the explorer shows is ringed where its point is
    row = int(explained_rows(result)[7])
    points, ring = dependence_plot(result, values, "x0 × x1", row=row).data
    assert (ring.x[0], ring.y[0]) == (points.x[7], points.y[7]) and ring.name == f"row {row}"


def test_row_bars_equal_the_rows_values_largest_on_top(planted):
    data, result = planted
    row = int(np.flatnonzero((data.X[:, 0] == 2) & (data.X[:, 1] == -2))[0])
    figure = row_interaction_bar(result, row)
    [bars] = figure.data
    expected = result.scores[result.scores["row"] == row].set_index("pair")["value"]
    assert dict(zip(bars.y, bars.x, strict=True)) == pytest.approx(expected.to_dict(), abs=1e-9)
    # drawn bottom-up: the last bar (on top) is the largest |value|, here SII = 2·(−2) = −4
    assert bars.y[-1] == "x0 × x1" and bars.x[-1] == pytest.approx(-4.0, abs=1e-5)
    assert list(np.abs(bars.x)) == sorted(np.abs(bars.x))
    assert bars.marker.color[-1] == "#d62728"  # negative: red
    assert "row" in reading_of(figure) and row_values(result, row).index[0] == "x0 × x1"
    with pytest.raises(ParameterError, match="not an explained row"):
        row_interaction_bar(result, 10_000)


def test_json_round_trip_keeps_what_the_local_views_draw(planted):
    data, result = planted
    again = InteractionResult.from_json(result.to_json())
    assert explained_rows(again).tolist() == explained_rows(result).tolist()
    values = group_values(data, explained_rows(again))
    before = dependence_plot(result, values, "x0 × x1").data[0]
    after = dependence_plot(again, values, "x0 × x1").data[0]
    assert list(after.customdata) == list(before.customdata)
    np.testing.assert_allclose(after.y, before.y)
    row = int(explained_rows(result)[3])
    np.testing.assert_allclose(
        row_interaction_bar(again, row).data[0].x, row_interaction_bar(result, row).data[0].x
    )


def test_a_global_index_is_refused_naming_the_local_ones(planted):
    data, _ = planted
    h2 = score_interactions(oracle(lambda x: x[:, 0] * x[:, 1]), data, "h2", rows=20)
    with pytest.raises(ParameterError, match="local index \\(SII, STII, k-SII or tree SHAP\\)"):
        explained_rows(h2)


def test_group_values_name_the_level_of_categorical_groups():
    frame = pd.DataFrame({"age": [20.0, 35.0, 50.0], "race": ["a", "b", "a"], "y": [0, 1, 0]})
    onehot = Dataset.from_frame(frame, "y", categorical="onehot")
    values = group_values(onehot, [2, 1])
    assert values.index.tolist() == [2, 1]
    assert values["age"].tolist() == [50.0, 35.0]
    assert values["race"].tolist() == ["race=a", "race=b"]
    codes = Dataset.from_frame(frame, "y", categorical="codes")
    assert group_values(codes, [0, 1])["race"].tolist() == ["a", "b"]
