"""The Compare page's Rashomon verdicts come from whatever range is stored for the index: a
model set of any builder, or a FISC result of any settings, named on the page; a model without
one gets a link that opens the Model sets page on it. Over HTTP, as the renderer asks."""

from __future__ import annotations

import json

import pytest

from app.analyses import compute_result
from app.web import create_app
from app.web.server import serve_in_thread
from tests.app.web.dash_http import render_page
from tests.app.web.test_partial_views import _update

MODELS = ["xor-logistic", "xor-gbt"]
#: a small retrained set of the logistic model (an additive learner: its H² range is ~0)
SET_PARAMETERS = {"builder": "retrain", "members": 3, "index": "h2", "rows": 60}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import numpy as np
    import pandas as pd

    from workbench.workspace import DataEntry, ModelEntry, Workspace

    # The XOR workspace of tests/app/conftest.py (a × b planted, c noise), once per module.
    folder = tmp_path_factory.mktemp("xor")
    frame = pd.DataFrame(np.random.default_rng(0).integers(0, 2, (300, 3)), columns=list("abc"))
    frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
    frame.to_csv(folder / "xor.csv", index=False)
    workspace = Workspace.create(folder / "ws")
    workspace.add_data(DataEntry("xor", str(folder / "xor.csv"), "y"))
    for model in MODELS:
        workspace.add_model(ModelEntry(model, "xor", "sample", sample=model.split("-")[1]))
    for model in MODELS:
        compute_result(workspace, "interactions", model, {"index": "h2"})
    compute_result(workspace, "model_set", "xor-logistic", SET_PARAMETERS)
    server = serve_in_thread(create_app(workspace))
    yield workspace, server.url
    server.stop()


def shown_text(component) -> str:
    """The text a user reads in a (JSON) component tree: its string children, in order."""
    if isinstance(component, str):
        return component
    if isinstance(component, list):
        return "".join(shown_text(c) for c in component)
    if isinstance(component, dict):
        return shown_text(component.get("props", {}).get("children") or "")
    return ""


def verdict_rows(children) -> list[dict]:
    """The rows of the "Explained by the Rashomon set?" grid, and its headers."""
    text = json.dumps(children, ensure_ascii=False)
    assert "Explained by the Rashomon set?" in text
    for card in children:
        parts = card.get("props", {}).get("children")
        if isinstance(parts, list) and parts and "Explained by" in str(parts[0]):
            grid = parts[1]["props"]
            return grid["rowData"], [c["headerName"] for c in grid["columnDefs"]]
    raise AssertionError("no verdict table")


def test_verdicts_use_the_stored_model_set_and_name_it(served):
    _, url = served
    states = {"cmp-data": "xor", "cmp-index": "h2"}
    _, response = _update(url, "cmp-models", MODELS, states)
    children = response["cmp-results"]["children"]
    text, shown = json.dumps(children, ensure_ascii=False), shown_text(children)
    label = "range over the retrained set (3 members, ε = 10%)"
    assert f"xor-logistic: {label}" in shown
    rows, headers = verdict_rows(children)
    verdicts = {row["pair"]: row["verdict"] for row in rows if row["model"] == "xor-gbt"}
    # The boosted trees learn XOR (a × b); no retrained logistic model can: a real difference.
    # The pairs with the noise feature c are inside the (flat) range of the logistic set.
    assert verdicts["a × b"] == "a real difference"
    assert verdicts["a × c"] == verdicts["b × c"] == "explained by the Rashomon set"
    # The grid's headers say what the range holds and its unit (H² of the pair: a share);
    # each row names its index and what the range is over.
    unit = "(H2 strength, share of the pair)"
    assert {f"range low {unit}", f"range high {unit}", f"value {unit}"} <= set(headers)
    assert {row["range_source"] for row in rows} == {"model set: retrained, 3 members"}
    assert {row["index"] for row in rows} == {"h2"}
    assert f"Other models against the {label} of xor-logistic" in shown
    # xor-gbt has no stored set: said so, with a link opening the Model sets page on it.
    assert "xor-gbt: no stored Rashomon range for index 'h2'" in shown
    assert "/model-sets?data=xor&model=xor-gbt&index=h2" in text


def test_without_a_stored_range_the_page_links_to_the_model_sets_page(served):
    _, url = served
    answer = render_page(url, "/compare", "?data=xor&models=xor-logistic,xor-gbt&index=sii")
    page = json.dumps(json.loads(answer), ensure_ascii=False)  # the JSON escapes "&"
    assert "no stored Rashomon range for index 'sii'" in page
    for model in MODELS:
        assert f"/model-sets?data=xor&model={model}&index=sii" in page
    assert "Explained by the Rashomon set?" not in page


def test_fis_uses_any_stored_fisc_result_then_the_newest_range(served):
    workspace, url = served
    for model in MODELS:
        compute_result(workspace, "interactions", model, {"index": "fis"})
    # FISC with other than the default settings (the page once read only the default's).
    compute_result(workspace, "rashomon", "xor-logistic", {"approximator": "permutation"})
    states = {"cmp-data": "xor", "cmp-index": "fis"}
    _, response = _update(url, "cmp-models", MODELS, states)
    shown = shown_text(response["cmp-results"]["children"])
    assert "xor-logistic: FISC range (ε = 10%, approximator permutation)" in shown
    rows, _ = verdict_rows(response["cmp-results"]["children"])
    assert {row["reference_model"] for row in rows} == {"xor-logistic"}
    # A model set of index "fis" stored later is the one used; the FISC result is listed.
    compute_result(workspace, "model_set", "xor-logistic", {**SET_PARAMETERS, "index": "fis"})
    _, response = _update(url, "cmp-models", MODELS, states)
    children = response["cmp-results"]["children"]
    shown = shown_text(children)
    assert "xor-logistic: range over the retrained set (3 members, ε = 10%); the most recent " in (
        shown
    )
    assert "of 2 stored (others: FISC, ε = 10%, approximator permutation)" in shown
    text = json.dumps(children, ensure_ascii=False)
    assert "/rashomon?data=xor&model=xor-logistic&" in text and "approximator=permutation" in text


def planted_set(ranges: dict[str, tuple[float, float]]):
    """A hand-built retrained set of two in-set members whose H² strengths span ``ranges``."""
    import pandas as pd

    from analyzers.model_sets import ModelSetResult

    clouds = pd.DataFrame(
        [
            {"member": f"m{k}", "pair": pair, "strength": end, "value": end}
            for pair, ends in ranges.items()
            for k, end in enumerate(ends)
        ]
    )
    members = pd.DataFrame(
        {"member": ["m0", "m1"], "loss": [0.5, 0.51], "loss_increase": [0.0, 0.01],
         "in_set": True, "description": ["seed 0", "seed 1"]}
    )  # fmt: skip
    empty = pd.DataFrame()
    return ModelSetResult(
        ("m0", "m1"), "h2", "retrained", ("a", "b", "c"), members, clouds, empty, empty, empty,
        0.5, 0.05, 3, {"epsilon_rate": 0.1}, 0.0,
    )  # fmt: skip


def test_the_page_shows_a_stored_sets_range_ends_exactly(served):
    from app.analyses import result_key

    workspace, url = served
    planted = {"a × b": (0.125, 0.75), "a × c": (0.0, 0.0625), "b × c": (0.03125, 0.5)}
    key = result_key(workspace, "model_set", "xor-gbt", {**SET_PARAMETERS, "members": 2})
    workspace.store.put(key, planted_set(planted).to_dict(), 0.0, ["xor-gbt"])
    try:
        states = {"cmp-data": "xor", "cmp-index": "h2"}
        _, response = _update(url, "cmp-models", MODELS, states)
        rows, _ = verdict_rows(response["cmp-results"]["children"])
        shown = {
            row["pair"]: (row["range_low"], row["range_high"])
            for row in rows
            if row["reference_model"] == "xor-gbt"
        }
        assert shown == planted
        sources = {row["range_source"] for row in rows if row["reference_model"] == "xor-gbt"}
        assert sources == {"model set: retrained, 2 members"}
    finally:
        workspace.store.delete(key)
