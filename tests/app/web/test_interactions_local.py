"""The Interactions page's local views (component tree and one callback request, no browser):
the pair and row from the URL pick the dependence plot and the row's bars; a pair choice redraws
only the card and writes the URL; a global index says which indices give local views."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzers.interactions.explained_rows import pair_values, row_values
from app.analyses import compute_result
from app.web.pages import interactions as page
from app.web.pages import interactions_local as local
from tests.app.web.interactions_tree import shown_page
from tests.app.web.layout_tree import find
from tests.app.web.xor_forest import xor_forest_workspace

SII = {"index": "sii", "rows": 12, "background": 10}
QUERY = {name: str(value) for name, value in SII.items()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return xor_forest_workspace(tmp_path_factory.mktemp("ws"))


def graph(view, name):
    return find(view, {"type": "graph", "figure": name}).figure


def test_the_url_pair_and_row_pick_the_local_figures(workspace):
    result = compute_result(workspace, "interactions", "forest", SII)
    rows = result.settings["rows"]
    pair = "x0 × x2"
    view = shown_page(workspace, data="d", model="forest", pair=pair, row=str(rows[3]), **QUERY)
    assert find(view, local.PAIR).value == pair and find(view, local.ROW).value == rows[3]
    points, ring = graph(view, "inter-dependence").data  # the chosen row ringed
    assert ring.name == f"row {rows[3]}"
    np.testing.assert_allclose(points.y, pair_values(result, pair).to_numpy())
    assert list(points.customdata) == rows
    [bars] = graph(view, "inter-row").data
    expected = row_values(result, rows[3])
    assert list(bars.y)[::-1] == list(expected.index)
    np.testing.assert_allclose(list(bars.x)[::-1], expected.to_numpy())
    # no choice in the URL (or one the result lacks): the strongest pair and the first row
    default = shown_page(workspace, data="d", model="forest", pair="x9 × x0", **QUERY)
    strongest = result.global_scores().sort_values("value")["pair"].iloc[-1]
    assert find(default, local.PAIR).value == strongest
    assert find(default, local.ROW).value == rows[0]


def test_a_global_index_names_the_local_ones_instead_of_drawing(workspace):
    compute_result(workspace, "interactions", "forest", {"index": "h2", "rows": 12})
    view = shown_page(workspace, data="d", model="forest", index="h2", rows="12")
    card = find(view, local.CARD)
    text = card.children[1].children
    assert "SII, STII, k-SII or tree SHAP" in text
    assert find(view, {"type": "graph", "figure": "inter-dependence"}) is None
    assert find(view, {"type": "graph", "figure": "inter-heatmap"}) is not None


def test_a_pair_choice_redraws_only_the_card_and_writes_the_url(workspace):
    from app.web import create_app

    result = compute_result(workspace, "interactions", "forest", SII)
    client = create_app(workspace).server.test_client()
    view = page.layout(workspace, data="d", model="forest", **QUERY)
    reference = find(view, page.RESULT_REFERENCE).data
    pair, row = "x1 × x2", result.settings["rows"][5]
    payload = {
        "output": f"..{local.FIGURES}.children...{local.SEARCH}.data..",
        "outputs": [
            {"id": local.FIGURES, "property": "children"},
            {"id": local.SEARCH, "property": "data"},
        ],
        "inputs": [
            {"id": local.PAIR, "property": "value", "value": pair},
            {"id": local.ROW, "property": "value", "value": row},
        ],
        "state": [
            {"id": page.RESULT_REFERENCE, "property": "data", "value": reference},
            {"id": page.JOB.url, "property": "search", "value": "?data=d&aggregate=mean"},
        ],
        "changedPropIds": [json.dumps(local.PAIR, separators=(",", ":")) + ".value"],
    }
    answer = client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200, answer.text[:300]
    response = answer.json["response"]
    assert set(response) == {local.FIGURES, local.SEARCH}  # nothing outside the card
    search = response[local.SEARCH]["data"]
    assert "aggregate=mean" in search and "pair=x1+%C3%97+x2" in search and f"row={row}" in search
    text = json.dumps(response[local.FIGURES]["children"], ensure_ascii=False)
    assert f"of {pair} per row" in text and f"Values of row {row}" in text
