"""Every FISC option reachable from the page and its URL; options that cannot apply are not
offered (with the reason); invalid form values are refused naming the field, never replaced."""

from __future__ import annotations

from urllib.parse import parse_qsl

import flask
import numpy as np
import pandas as pd
import pytest
from dash import dcc, html, no_update

from app.analyses import analysis, compute_result
from app.web.context import attach_workspace
from app.web.jobs import job_outputs
from app.web.pages import compare, interactions, rashomon
from tests.app.web.layout_tree import find, texts
from workbench.errors import ParameterError
from workbench.workspace import DataEntry, ModelEntry, Workspace


@pytest.fixture
def workspace(tmp_path):
    """XOR as a table (FISC applies) and as coded fields (FISC does not), three model kinds."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 2, size=(200, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
    frame.to_csv(tmp_path / "xor.csv", index=False)
    space = Workspace.create(tmp_path / "ws")
    space.add_data(DataEntry("xor", str(tmp_path / "xor.csv"), "y"))
    space.add_data(DataEntry("coded", str(tmp_path / "xor.csv"), "y", coding="fields"))
    for sample in ("logistic", "gbt"):
        space.add_model(ModelEntry(f"xor-{sample}", "xor", "sample", sample=sample))
    space.add_model(ModelEntry("coded-logistic", "coded", "sample", sample="logistic"))
    return space


# -- FISC: order 3, rings, absolute -----------------------------------------------------------


def test_registry_takes_order_3_rings_and_absolute_from_a_url():
    given = {"order": "3", "radii": "1, 0.5", "absolute": "on"}
    parameters = analysis("rashomon").parameters(given)
    assert parameters["order"] == 3
    assert parameters["radii"] == (0.5, 1.0)
    assert parameters["absolute"] is True
    assert analysis("rashomon").parameters({})["absolute"] is False


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"radii": "0.5, x"}, "radii: expected 1 to 8 comma-separated numbers"),
        ({"radii": "0.5, 40"}, "radii: expected at least 0.05 and at most 10, got 40.0"),
        ({"radii": "nan"}, "radii: expected at least 0.05"),
        ({"absolute": "maybe"}, "absolute: expected a bool"),
        ({"order": "4"}, "order: expected one of 2, 3"),
    ],
)
def test_registry_refuses_bad_fisc_options_naming_them(given, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        analysis("rashomon").parameters(given)


def test_the_page_carries_order_rings_and_absolute_from_url_to_form_and_back(workspace):
    query = {"order": "3", "radii": "0.5,1.5", "absolute": "on", "epsilon_rate": "0.2"}
    page = rashomon.layout(workspace, data="xor", model="xor-logistic", **query)
    assert find(page, rashomon.ORDER).value == 3
    assert find(page, rashomon.RADII).value == "0.5,1.5"
    assert find(page, rashomon.ABSOLUTE).value == "on"
    assert "Rings, radii in units of ε (up to 8, each 0.05–10" in texts(page)
    parameters = analysis("rashomon").parameters(query)
    search = dict(parse_qsl(rashomon.view_search("xor", "xor-logistic", parameters, None)[1:]))
    assert {name: search[name] for name in query} == {**query, "epsilon_rate": "0.2"}


def _captured_job(monkeypatch, module, workspace, tmp_path):
    """The page's job function as register_job receives it, and the key of its workspace."""
    from app.web import create_app

    captured = {}
    original = module.register_job

    def capture(app, ids, states, work):
        captured["work"] = work
        return original(app, ids, states, work)

    monkeypatch.setattr(module, "register_job", capture)
    create_app(workspace, jobs_dir=tmp_path / "jobs")
    return captured["work"], attach_workspace(flask.Flask("test"), workspace)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("radii", "", "radii: enter a number from 0.05 to 10"),
        ("radii", "1,zero", "radii: expected 1 to 8 comma-separated numbers"),
        ("epsilon_rate", None, "epsilon_rate: enter a number from 0.0001 to 10"),
    ],
)
def test_a_bad_fisc_form_value_is_refused_not_replaced(
    monkeypatch, workspace, tmp_path, field, value, message
):
    work, key = _captured_job(monkeypatch, rashomon, workspace, tmp_path)
    form = {"epsilon_rate": 0.1, "approximator": "auto", "order": 2, "radii": "1"}
    form = {**form, "absolute": "off", field: value}
    # The form's values, the view's query (last of the page's states), then the job's own two.
    values = [form[name] for name in rashomon.FORM_PARAMETERS]
    search, view, status = job_outputs(
        work, lambda *_: None, "xor", "xor-logistic", *values, "?", "?", key
    )
    assert status.className == "wb-error" and status.children.startswith(message)
    assert search is no_update and view is no_update  # no view of other settings
    assert not workspace.store.root.exists() or not list(workspace.store.root.rglob("*.json"))


def test_a_bad_explained_rows_value_is_refused_not_run_with_the_default(
    monkeypatch, workspace, tmp_path
):
    # A number box the browser finds invalid (0 under min=1) sends None.
    work, key = _captured_job(monkeypatch, interactions, workspace, tmp_path)
    form = ["sii", None, 10, "auto", 0.001, "mean_abs"]
    status = job_outputs(work, lambda *_: None, "xor", "xor-logistic", *form, "?", key)[2]
    assert status.className == "wb-error"
    assert status.children == "rows: enter a number from 1 to 100,000"


@pytest.mark.slow
def test_fisc_order_3_with_rings_and_absolute_runs_and_shows_a_3d_halo(workspace):
    parameters = {"order": 3, "radii": "0.5,1", "absolute": "on", "n_permutations": 2}
    result = compute_result(workspace, "rashomon", "xor-logistic", parameters)
    assert [set(label.split(" × ")) for label in result.interactions] == [{"a", "b", "c"}]
    assert set(result.fis_cloud["radius"]) == {0.5, 1.0}  # both rings drawn
    assert (result.fis_cloud["fis"] >= 0).all()  # |FIS|
    view = rashomon.result_view(result, None, "xor-logistic", parameters, data="xor")
    halo = find(html.Div(view), {"type": "graph", "figure": "fisc-halo"})
    assert halo is not None and {trace.type for trace in halo.figure.data} & {"surface"}


# -- options that cannot apply ----------------------------------------------------------------


def _tree_option(dropdown: dcc.Dropdown) -> dict:
    return next(option for option in dropdown.options if option["value"] == "tree")


def test_tree_index_is_offered_only_for_tree_models_with_the_reason(workspace):
    page = interactions.layout(workspace, data="xor", model="xor-logistic")
    option = _tree_option(find(page, interactions.INDEX))
    assert option.get("disabled") is True and "tree models only" in option["label"]
    assert "'xor-logistic' is a logistic model" in find(page, interactions.INDEX_FIELD).title

    page = interactions.layout(workspace, data="xor", model="xor-gbt")
    assert not _tree_option(find(page, interactions.INDEX)).get("disabled")
    assert find(page, interactions.INDEX_FIELD).title == ""


def test_a_tree_url_for_a_logistic_model_says_why_in_one_line(workspace):
    page = interactions.layout(workspace, data="xor", model="xor-logistic", index="tree")
    assert "index: tree SHAP reads the fitted trees" in texts(find(page, interactions.JOB.status))


def test_compare_offers_tree_only_when_every_model_is_a_tree(workspace):
    page = compare.layout(workspace, data="xor", models="xor-logistic,xor-gbt", index="tree")
    dropdown = find(page, compare.INDEX)
    assert _tree_option(dropdown).get("disabled") is True
    assert "index: tree SHAP" in texts(find(page, compare.JOB.results))


def _heatmap_click(app, data: str, model: str) -> dict:
    """A heatmap cell click as the browser sends it; the answer's href, or {} (no link)."""
    reference = {"data": data, "model": model, "groups": ["a", "b", "c"], "parameters": {}}
    payload = {
        "output": f"{interactions.JOB.url}.href",
        "outputs": {"id": interactions.JOB.url, "property": "href"},
        "inputs": [
            {
                "id": interactions.HEATMAP,
                "property": "clickData",
                "value": {"points": [{"x": "b", "y": "a"}]},
            }
        ],
        "state": [{"id": interactions.RESULT_REFERENCE, "property": "data", "value": reference}],
        "changedPropIds": ['{"figure":"inter-heatmap","type":"graph"}.clickData'],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=payload)
    assert answer.status_code in (200, 204)
    return answer.get_json() if answer.status_code == 200 else {}


def test_heatmap_click_links_only_data_sets_fisc_supports(workspace, tmp_path):
    from app.web import create_app

    app = create_app(workspace, jobs_dir=tmp_path / "jobs")
    linked = _heatmap_click(app, "xor", "xor-logistic")
    href = linked["response"][interactions.JOB.url]["href"]
    assert href.startswith("/rashomon?") and "pair=a+%C3%97+b" in href
    assert not _heatmap_click(app, "coded", "coded-logistic").get("response")  # no link


def test_rashomon_page_says_why_a_coded_data_set_is_not_shown(workspace):
    page = rashomon.layout(workspace, data="coded", model="coded-logistic")
    status = texts(find(page, rashomon.STATUS))
    assert "data set 'coded' is not available here: FISC scales inputs" in status
    assert "showing 'xor'" in status
    assert find(page, rashomon.DATA).value == "xor"
