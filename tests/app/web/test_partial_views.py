"""View controls update their part of a page over HTTP, as the Dash renderer asks: a FISC pair
choice answers only the halo card (and the URL query), never the page; a Compare model choice
answers only the results area. No browser (test_browser.py times the same in Chromium)."""

from __future__ import annotations

import json

import pytest
import requests

from app.analyses import compute_result
from app.web import create_app
from app.web.server import serve_in_thread

FISC_PARAMETERS = {"approximator": "permutation"}


@pytest.fixture
def served(xor_workspace):
    from workbench.workspace import ModelEntry

    workspace = xor_workspace("logistic")
    workspace.add_model(ModelEntry("xor-gbt", "xor", "sample", sample="gbt"))
    result = compute_result(workspace, "rashomon", "xor-logistic", FISC_PARAMETERS)
    server = serve_in_thread(create_app(workspace))
    yield workspace, server.url, result
    server.stop()


def _update(
    url: str, input_id: str, value, others: dict, prop: str = "value"
) -> tuple[list[str], dict]:
    """Change ``input_id``'s ``prop`` as the renderer does; returns (the callback's outputs,
    the response). ``others`` maps the other inputs' and the states' component ids to their
    values (missing ones are None)."""
    dependencies = requests.get(url + "_dash-dependencies", timeout=30).json()
    [callback] = [
        item
        for item in dependencies
        if any(i["id"] == input_id and i["property"] == prop for i in item["inputs"])
        and not item.get("clientside_function")
    ]
    outputs = [
        {"id": name.rsplit(".", 1)[0], "property": name.rsplit(".", 1)[1].split("@")[0]}
        for name in callback["output"].strip(".").split("...")
    ]
    body = {
        "output": callback["output"],
        # The renderer sends a one-output callback's output alone, not in a list.
        "outputs": outputs if callback["output"].startswith("..") else outputs[0],
        "inputs": [
            {**item, "value": value if item["id"] == input_id else others.get(item["id"])}
            for item in callback["inputs"]
        ],
        "changedPropIds": [f"{input_id}.{prop}"],
        "state": [{**item, "value": others.get(item["id"])} for item in callback["state"]],
    }
    answer = requests.post(url + "_dash-update-component", json=body, timeout=60)
    answer.raise_for_status()
    return [f"{o['id']}.{o['property']}" for o in outputs], answer.json()["response"]


def test_choosing_a_pair_answers_only_the_halo_card_and_the_url(served):
    _, url, result = served
    reference = {"data": "xor", "model": "xor-logistic", "parameters": FISC_PARAMETERS}
    pair = result.interactions[-1]
    search = "?data=xor&model=xor-logistic&approximator=permutation"
    outputs, response = _update(
        url, "fisc-pair", pair, {"fisc-view-url": search, "fisc-result-reference": reference}
    )
    # Nothing that would re-render the page: no page content, no navigating Location.
    assert sorted(outputs) == ["fisc-halo-area.children", "fisc-pair.value", "fisc-view-url.search"]
    assert response["fisc-view-url"]["search"].startswith(search)
    assert "pair=" in response["fisc-view-url"]["search"]
    assert response["fisc-pair"]["value"] == pair
    card = json.dumps(response["fisc-halo-area"]["children"], ensure_ascii=False)
    assert f"Halo plot: {pair}" in card and "fisc-halo" in card


def test_the_page_sends_the_halo_first_and_the_swarms_and_tables_when_asked(served):
    from tests.app.web.dash_http import render_page

    _, url, result = served
    search = "?data=xor&model=xor-logistic&approximator=permutation"
    page = render_page(url, "/rashomon", search)
    # The first answer holds the halo and the place of the rest, not the swarms or the grids.
    assert "fisc-halo" in page and "fisc-details-area" in page
    assert "fisc-swarm" not in page and "rowData" not in page
    reference = {"data": "xor", "model": "xor-logistic", "parameters": FISC_PARAMETERS}
    outputs, response = _update(
        url, "fisc-details-asked", 1, {"fisc-result-reference": reference}, prop="data"
    )
    assert outputs == ["fisc-details-area.children"]
    details = json.dumps(response["fisc-details-area"]["children"], ensure_ascii=False)
    assert "fisc-swarm" in details and "fisc-main-effects" in details
    for table in ("summary", "fis_cloud", "main_effects", "boundaries"):
        assert f'"table": "{table}"' in details, table
    # Every pair's row is in the range table the details carry.
    assert all(pair in details for pair in result.interactions)


def test_a_swarm_click_chooses_the_clicked_rows_pair(served):
    _, url, result = served
    swarm = '{"figure":"fisc-swarm","type":"graph"}'
    pair = result.interactions[-1]
    figure = {"layout": {"meta": {"rows": ["x", pair]}, "yaxis": {}}}
    click = {"points": [{"y": 1.1}]}
    outputs, response = _update(url, swarm, click, {swarm: figure}, prop="clickData")
    assert outputs == ["fisc-pair.value"]
    assert response["fisc-pair"]["value"] == pair


def test_choosing_compare_models_answers_only_the_results_area(served):
    workspace, url, _ = served
    models = ["xor-logistic", "xor-gbt"]
    states = {"cmp-data": "xor", "cmp-index": "h2"}
    outputs, response = _update(url, "cmp-models", models, states)
    assert sorted(outputs) == ["cmp-results.children", "cmp-view-url.search"]
    assert "models=xor-logistic%2Cxor-gbt" in response["cmp-view-url"]["search"]
    # Scores not stored yet: the results area says to press Run (the form is not part of it).
    assert "press Run" in json.dumps(response["cmp-results"]["children"])
    for model in models:
        compute_result(workspace, "interactions", model, {"index": "h2"})
    _, response = _update(url, "cmp-models", models, states)
    results = json.dumps(response["cmp-results"]["children"])
    assert "press Run" not in results and "cmp-dumbbell" in results


def test_run_keeps_the_chosen_pair_and_the_outside_toggle(served):
    from urllib.parse import parse_qsl

    from app.parameter_text import url_value
    from tests.app.web.dash_http import render_page, start_job

    workspace, url, result = served
    pair = result.interactions[-1]
    view = f"?data=xor&model=xor-logistic&approximator=permutation&pair={pair}&outside=1"
    from app.analyses import analysis

    defaults = analysis("rashomon").parameters({})
    form = {
        "fisc-data": "xor",
        "fisc-model": "xor-logistic",
        "fisc-epsilon-rate": 0.2,
        "fisc-approximator": "permutation",
        "fisc-order": defaults["order"],
        "fisc-radii": url_value(defaults["radii"]),
        "fisc-absolute": url_value(defaults["absolute"]),
        "fisc-view-url": view,
        "wb-workspace-key": str(workspace.root),
    }
    answer = start_job(url, "fisc", form).wait(120)
    query = dict(parse_qsl(answer["response"]["fisc-url"]["search"].lstrip("?")))
    # The new parameters, with the view the user had: the pair and the outside models.
    assert query["epsilon_rate"] == "0.2"
    assert query["pair"] == pair
    assert query["outside"] == "1"
    # The job says "Done in …"; the page its new URL renders (from the store) still says the
    # result is there and its time, never an empty status under the figures.
    done = json.dumps(answer["response"]["fisc-status"]["children"])
    seconds = done.split("Done in ")[1].split(" s")[0]
    page = render_page(url, "/rashomon", answer["response"]["fisc-url"]["search"])
    assert f"Stored result, computed in {seconds} s" in page and "Done in" not in page


def _component(tree, component_id):
    """The component with ``component_id`` in a layout's JSON (depth first), or None."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        children = list(tree.values())
    elif isinstance(tree, list):
        children = tree
    else:
        return None
    for child in children:
        found = _component(child, component_id)
        if found is not None:
            return found
    return None


def test_the_interactions_page_sends_the_heatmap_first_and_the_rest_when_asked(served):
    from urllib.parse import urlencode

    from tests.app.web.dash_http import render_page

    workspace, url, _ = served
    parameters = {"index": "sii", "rows": 20, "background": 10}
    result = compute_result(workspace, "interactions", "xor-logistic", parameters)
    pair = "a × c"  # not the strongest pair (a × b, the planted XOR): the URL's choice
    query = {"data": "xor", "model": "xor-logistic", **parameters, "pair": pair}
    page = render_page(url, "/interactions", "?" + urlencode(query))
    # The first answer holds the heatmap and the places of the rest, not the rest.
    assert "inter-heatmap" in page and "inter-details-area" in page
    for later in ("inter-network", "inter-top-pairs", "inter-dependence", "rowData"):
        assert later not in page, later
    store = _component(json.loads(page), "inter-result-reference")
    outputs, response = _update(
        url,
        "inter-details-asked",
        1,
        {"inter-result-reference": store["props"]["data"]},
        prop="data",
    )
    assert outputs == ["inter-more-figures.children", "inter-details-area.children"]
    more = json.dumps(response["inter-more-figures"]["children"], ensure_ascii=False)
    assert "inter-network" in more and "inter-top-pairs" in more
    details = json.dumps(response["inter-details-area"]["children"], ensure_ascii=False)
    # The local views show the URL's pair; the tables hold every pair.
    assert f"{pair} per row" in details
    for table in ("global", "scores"):
        assert f'"table": "{table}"' in details, table
    assert all(p in details for p in result.global_scores()["pair"])


def test_an_aggregate_choice_answers_only_the_figures_the_table_and_the_url(served):
    """Choosing the signed mean redraws the figures and the table it ranks, never the page."""
    from urllib.parse import urlencode

    from tests.app.web.dash_http import render_page

    workspace, url, _ = served
    parameters = {"index": "sii", "rows": 20, "background": 10}
    result = compute_result(workspace, "interactions", "xor-logistic", parameters)
    search = "?" + urlencode({"data": "xor", "model": "xor-logistic", **parameters})
    page = render_page(url, "/interactions", search)
    reference = _component(json.loads(page), "inter-result-reference")["props"]["data"]
    assert reference["aggregate"] == "mean_abs"
    outputs, response = _update(
        url,
        "inter-aggregate",
        "mean",
        {"inter-result-reference": reference, "inter-url": search},
    )
    # No page content and no navigating Location among the outputs.
    assert sorted(outputs) == [
        "inter-details-area.children",
        "inter-figures.children",
        "inter-result-reference.data",
        "inter-view-url.search",
    ]
    assert response["inter-result-reference"]["data"]["aggregate"] == "mean"
    assert "aggregate=mean" in response["inter-view-url"]["search"]
    figures = json.dumps(response["inter-figures"]["children"], ensure_ascii=False)
    assert "inter-heatmap" in figures and "inter-network" in figures
    # The figures and the table show the signed mean (the sign kept), not the strength.
    signed = result.global_scores("mean")["value"]
    assert (signed < 0).any() and "mean (signed)" in json.dumps(
        response["inter-details-area"]["children"], ensure_ascii=False
    )
