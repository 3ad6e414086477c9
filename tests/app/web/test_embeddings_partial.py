"""Embeddings view choices update only their figures over HTTP, as the Dash renderer asks: a
map colour answers the map area (and the URL query), a relation measure the relations heatmap,
never the page. On the user's own torch model (tests/user_ctr.py), which is quick to analyse;
test_browser_embeddings.py checks the same in Chromium on the demo."""

from __future__ import annotations

import json

import pytest

from tests.app.web.test_partial_views import _update

SEARCH = "?data=clicks&model=mine"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from app.analyses import analysis, compute_result
    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.user_ctr import user_frame
    from workbench.registration import register_torch_model
    from workbench.workspace import DataEntry, Workspace

    folder = tmp_path_factory.mktemp("user")
    user_frame(n_rows=120).to_csv(folder / "clicks.csv", index=False)
    space = Workspace.create(folder / "ws")
    space.add_data(
        DataEntry(name="clicks", path=str(folder / "clicks.csv"), target="click", coding="fields")
    )
    register_torch_model(
        space, "mine", "clicks", "tests.user_ctr:user_model", sites=["gate_sigmoid#0"],
        embedding_site="embed",
    )  # fmt: skip
    parameters = analysis("embeddings").parameters({"max_rows": 100})
    compute_result(space, "embeddings", "mine", parameters)
    server = serve_in_thread(create_app(space))
    reference = {"data": "clicks", "model": "mine", "parameters": parameters}
    yield server.url, {"emb-view-url": SEARCH, "emb-result-reference": reference}
    server.stop()


def test_a_colour_change_answers_only_the_map(served):
    url, states = served
    outputs, response = _update(url, "emb-color", "gate:gate_sigmoid#0", states)
    # Nothing that would re-render the page or another figure: the map and the URL only.
    assert sorted(outputs) == ["emb-map-area.children", "emb-view-url.search"]
    assert "color=gate%3Agate_sigmoid%230" in response["emb-view-url"]["search"]
    assert response["emb-view-url"]["search"].startswith(SEARCH)
    card = json.dumps(response["emb-map-area"]["children"])
    assert '"figure": "emb-map"' in card and "gate:gate_sigmoid#0" in card
    assert "emb-relations" not in card and "emb-geometry" not in card


def test_a_relation_change_answers_only_the_relations_heatmap(served):
    url, states = served
    outputs, response = _update(url, "emb-relation", "fm_strength", states)
    assert sorted(outputs) == ["emb-relations-area.children", "emb-view-url.search"]
    card = json.dumps(response["emb-relations-area"]["children"])
    assert '"figure": "emb-relations"' in card and "fm_strength" in card
