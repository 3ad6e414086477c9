"""The Gates page's Attention view on the demo's AutoInt: the maps of a row picked by number."""

from __future__ import annotations

import numpy as np
import pytest

from app.analyses import analysis, compute_result
from app.web.pages.gates_attention import CARD, ROW, attention_card, attention_view
from tests.app.web.layout_tree import find, texts
from workbench.workspace import demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_workspace(tmp_path_factory.mktemp("attention-workspace"))


def test_attention_view_shows_the_global_and_the_picked_row_map(demo):
    parts = attention_view(demo, "adult-autoint", 17)
    assert "Attention of row 17" in texts(parts) and "Mean attention" in texts(parts)
    graphs = [find(part, {"type": "graph", "figure": f"{CARD}-row"}) for part in parts]
    [graph] = [g for g in graphs if g is not None]
    assert graph.figure.data[0].y[0].startswith("age = ")  # the case's values label the axes
    result = compute_result(demo, "attention", "adult-autoint", {"row": 17})  # stored: read back
    model = demo.model("adult-autoint")
    assert result.field_names == tuple(model.rows.group_names) and result.rows == (17,)
    for site in result.sites:
        for head in result.heads(site):
            np.testing.assert_allclose(result.matrix(site, head, row=17).sum(1), 1.0, atol=1e-5)
    assert result.settings["sample"] == analysis("attention").defaults["sample"]


def test_a_model_without_attention_or_a_bad_row_is_one_line(demo):
    [line] = attention_view(demo, "adult-gdcn", 0)
    assert "GDCN names no attention sites" in line.children
    [line] = attention_view(demo, "adult-autoint", None)  # the browser's value for a bad box
    assert "row: enter a number from 0" in line.children


def test_the_card_has_a_row_box_bounded_like_the_analysis():
    box = find(attention_card(), ROW)
    assert box.min == 0 and box.value == analysis("attention").defaults["row"]
