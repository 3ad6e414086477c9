"""The Gates page's cards of a CTR model's own claims, driven over HTTP as the browser drives
them: intrinsic vs measured interactions (the model's own weights, or the attention at
registered attention sites), OptInter's operation switches and OptFS's search → ticket →
retrain store exactly the numbers of the Python calls, and a model that cannot use an option
is not offered it (the reason on hover)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analyzers.intrinsic_interactions import intrinsic_interactions
from analyzers.operation_switches import operation_switches
from app.analyses import analysis, compute_result, stored_result
from app.web.pages import gates_intrinsic, gates_optfs, gates_switches
from tests.app.cli.clicks import write_clicks_csv
from tests.deepctr_planted import TARGET, factory_kwargs, planted_model, saved_planted
from workbench.errors import ParameterError

SMALL = {"rows": 20, "background": 10}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The clicks table (a planted colour × size pair) with four small zoo models trained for
    one epoch (DCN-V2, AutoInt, OptInter, OptFS), served in a thread."""
    from app.web import create_app
    from app.web.server import serve_in_thread
    from workbench.models import wrap_model
    from workbench.workspace import DataEntry, Workspace
    from workbench.zoo.training import TrainingConfig, sample_ctr_model

    folder = tmp_path_factory.mktemp("intrinsic")
    csv = write_clicks_csv(folder / "clicks.csv", 300)
    space = Workspace.create(folder / "ws")
    space.add_data(DataEntry(name="clicks", path=str(csv), target="clicked", coding="fields"))
    configs = {"dcnv2": {"n_cross": 1}, "autoint": {}, "optinter": {}, "optfs": {"hidden": [8]}}
    for name, config in configs.items():
        trained = sample_ctr_model(
            name,
            space.dataset("clicks"),
            config={"embedding_dim": 2, **config},
            training=TrainingConfig(max_epochs=1),
            cache_dir=folder / "zoo",
        )
        adapter = wrap_model(trained.model, task="classification", output="logit")
        space.add_model_object(name, adapter, "clicks", kind="zoo", train_rows=trained.train)
    server = serve_in_thread(create_app(space))
    yield space, server.url, folder
    server.stop()


def _run(url: str, space, prefix: str, values: dict) -> str:
    """Run a card's job as the browser does; returns the page as the URL the job wrote
    (the page is rebuilt from it, the card showing the stored result)."""
    from tests.app.web.dash_http import render_page, start_job

    values = {"gates-data": "clicks", "wb-workspace-key": str(space.root), **values}
    answer = start_job(url, prefix, values).wait(120)
    assert "Done in" in json.dumps(answer), json.dumps(answer)[-600:]
    search = answer["response"][f"{prefix}-url"]["search"]
    return search, render_page(url, "/gates", search)


def test_intrinsic_job_stores_the_numbers_of_the_python_call(served):
    space, url, _ = served
    form = {"gates-model": "dcnv2", "intr-source": "own", "intr-rows": 20, "intr-background": 10}
    search, page = _run(url, space, "intr", {**form, "intr-index": "sii"})
    assert "model=dcnv2" in search and "intr_rows=20" in search and "intr_index=sii" in search
    assert "cross0" in page  # the figure's sources: DCN-V2's cross layer
    parameters = analysis("intrinsic").parameters({"source": "own", **SMALL})
    stored = stored_result(space, "intrinsic", "dcnv2", parameters)
    loaded = space.model("dcnv2")
    direct = intrinsic_interactions(loaded.adapter, loaded.rows, model_name="dcnv2", **SMALL)
    pd.testing.assert_frame_equal(stored.pairs, direct.pairs, check_exact=True)
    pd.testing.assert_frame_equal(stored.agreement, direct.agreement, check_exact=True)


def test_attention_source_reads_a_registered_deepctr_afm(served):
    from workbench.deepctr import wrap_deepctr
    from workbench.registration import register_torch_model
    from workbench.workspace import DataEntry

    space, url, folder = served
    # A DeepCTR AFM that learned the planted pair of its own table (tests/deepctr_planted.py).
    (folder / "planted").mkdir(exist_ok=True)
    csv, weights = saved_planted("AFM", folder / "planted")
    space.add_data(DataEntry(name="planted", path=str(csv), target=TARGET, coding="fields"))
    register_torch_model(
        space, "afm", "planted", "workbench.deepctr:build", weights=weights,
        sites=[{"site": "fm@softmax", "kind": "attention"}], output="probability",
        factory_kwargs=factory_kwargs("AFM"),
    )  # fmt: skip
    options, value, hover = gates_intrinsic.source_choices(space, "afm")
    assert value == "attention" and options[0]["disabled"]  # AFM has no zoo reader
    assert "own pair weights are read for the zoo's" in hover
    form = {"gates-model": "afm", "intr-source": "attention", "intr-rows": 20}
    _run(url, space, "intr", {**form, "intr-background": 10, "gates-data": "planted"})
    stored = compute_result(space, "intrinsic", "afm", {"source": "attention", **SMALL})
    direct = intrinsic_interactions(
        wrap_deepctr(planted_model("AFM")), space.model("afm").rows, model_name="afm",
        attention_sites=["fm@softmax"], **SMALL,
    )  # fmt: skip
    pd.testing.assert_frame_equal(stored.pairs, direct.pairs, check_exact=True)
    assert stored.settings["attention_sites"] == ["fm@softmax"]


def test_optinter_switch_job_switches_the_chosen_pairs_only(served):
    space, url, _ = served
    form = {"gates-model": "optinter", "oswitch-bootstrap": 20, "oswitch-rows": 20}
    form |= {"oswitch-index": "sii", "oswitch-pairs": ["size,colour"]}  # either order
    search, page = _run(url, space, "oswitch", {**form, "oswitch-background": 10})
    assert "forced memorize" in page and "oswitch_pairs=colour%2Csize" in search
    # the page rebuilt from the URL keeps the pair chosen among the model's three
    pairs = _component(page, "oswitch-pairs")
    assert pairs["value"] == ["colour,size"] and len(pairs["options"]) == 3
    given = {"n_bootstrap": 20, "pairs": "colour,size", **SMALL}
    stored = stored_result(space, "optinter_switches", "optinter", given)
    assert list(stored.pairs["pair"]) == ["colour × size"]
    loaded = space.model("optinter")
    direct = operation_switches(
        loaded.adapter, loaded.rows, pairs=[("colour", "size")], n_bootstrap=20,
        model_name="optinter", **SMALL,
    )  # fmt: skip
    pd.testing.assert_frame_equal(stored.switches, direct.switches, check_exact=True)
    pd.testing.assert_frame_equal(stored.pairs, direct.pairs, check_exact=True)
    assert stored.base_loss == direct.base_loss


def test_optfs_job_reports_its_stages_and_stores_the_numbers_of_the_python_call(served):
    from analyzers.optfs_selection import optfs_selection

    space, url, _ = served
    form = {
        "gates-model": "optfs",
        "optfs-search-epochs": 2,
        "optfs-epochs": 1,
        "optfs-backbone": "off",
    }
    search, page = _run(url, space, "optfs", form)
    assert "the ticket keeps" in page
    assert "optfs_search_epochs=2" in search and "optfs_max_epochs=1" in search
    given = {"search_epochs": 2, "max_epochs": 1, "backbone": "off"}
    stored = compute_result(space, "optfs", "optfs", given)
    stages = []
    direct = optfs_selection(
        space.dataset("clicks"), config={"embedding_dim": 2, "hidden": [8]}, max_epochs=1,
        search_epochs=2, backbone=False, model_name="optfs",
        progress=lambda *stage: stages.append(stage),
    )  # fmt: skip
    assert stages == [("training search", 0, 2), ("retraining ticket", 1, 2), ("done", 2, 2)]
    pd.testing.assert_frame_equal(stored.values, direct.values, check_exact=True)
    metrics = ["stage", "test_auc", "test_log_loss"]  # train_seconds are wall times
    pd.testing.assert_frame_equal(stored.metrics[metrics], direct.metrics[metrics])
    assert list(stored.fields["field"]) == ["colour", "size", "shape"]


def test_options_a_model_cannot_use_are_not_offered(served):
    from tests.app.web.dash_http import render_page

    space, url, _ = served
    options, value, hover = gates_intrinsic.source_choices(space, "dcnv2")
    assert value == "own" and options[1].get("disabled")
    assert "'dcnv2' has no attention sites" in hover and "--site-kind attention" in hover
    # the zoo's AutoInt reads both: its attention reader and its own attention sites
    options, _, hover = gates_intrinsic.source_choices(space, "autoint")
    assert not any(o.get("disabled") for o in options) and hover == ""
    assert gates_switches.offered(space, "optinter") == (False, "")
    disabled, reason = gates_switches.offered(space, "dcnv2")
    assert disabled and "'dcnv2' is not an OptInter" in reason
    assert gates_optfs.offered(space, "optfs") == (False, "")
    assert "'optinter' is not an OptFS" in gates_optfs.offered(space, "optinter")[1]
    page = render_page(url, "/gates", "?data=clicks&model=dcnv2")
    assert "is not an OptInter of the zoo" in page and "no attention sites" in page
    assert "is not an OptFS of the zoo" in page
    # a URL or script asking anyway is refused in one line, before any model runs
    with pytest.raises(ParameterError, match=r"^source: 'dcnv2' has no attention sites"):
        compute_result(space, "intrinsic", "dcnv2", {"source": "attention", **SMALL})
    with pytest.raises(ParameterError, match=r"^model: .*'autoint' is not an OptInter"):
        compute_result(space, "optinter_switches", "autoint", SMALL)


def _component(page: str, component_id: str) -> dict:
    """The props of the component ``component_id`` in a rendered page's JSON."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                found.append(node["props"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(page))
    [props] = found
    return props


def test_a_card_follows_the_model_never_showing_another_models_result(served):
    from tests.app.web.dash_http import fire_callback

    space, url, _ = served
    form = {"gates-data": "clicks", "intr-index": "sii", "intr-rows": 20, "intr-background": 10}
    compute_result(space, "intrinsic", "dcnv2", {"source": "own", **SMALL})
    shown = fire_callback(url, "intr-results.children", "gates-model.value", {**form})
    assert shown["intr-results"]["children"] is None  # no model chosen: nothing to show
    answer = fire_callback(
        url, "intr-results.children", "gates-model.value", {**form, "gates-model": "autoint"}
    )
    assert "No stored result for autoint: press Run." in json.dumps(answer["intr-results"])
    answer = json.dumps(
        fire_callback(
            url, "intr-results.children", "gates-model.value", {**form, "gates-model": "dcnv2"}
        )["intr-results"]
    )
    assert "dcnv2: " in answer and "cross0" in answer  # the stored result of the new model
    # the switches card keeps the pairs the next OptInter shares, and empties for another model
    values = {"gates-data": "clicks", "oswitch-pairs": ["colour,size"], "oswitch-index": "sii"}
    values |= {"oswitch-bootstrap": 20, "oswitch-rows": 20, "oswitch-background": 10}
    answer = fire_callback(
        url, "oswitch-results.children", "gates-model.value", {**values, "gates-model": "autoint"}
    )
    assert answer["oswitch-pairs"] == {"options": [], "value": []}
    assert answer["oswitch-results"]["children"] is None and answer["oswitch-run"]["disabled"]


def test_the_measured_index_is_a_choice_carried_by_the_url(served):
    from tests.app.web.dash_http import render_page

    space, url, _ = served
    page = render_page(url, "/gates", "?data=clicks&model=optinter&intr_index=h2&oswitch_index=fis")
    intrinsic_index, switch_index = (
        _component(page, "intr-index"),
        _component(page, "oswitch-index"),
    )
    assert intrinsic_index["value"] == "h2" and switch_index["value"] == "fis"
    offered = [o["value"] for o in intrinsic_index["options"]]
    assert (
        offered
        == [o["value"] for o in switch_index["options"]]
        == ["fis", "h2", "sii", "stii", "ksii"]
    )
    # a measured index the comparison cannot use is refused in one line, the defaults shown
    page = render_page(url, "/gates", "?data=clicks&model=dcnv2&intr_index=tree")
    assert "index: expected one of fis, h2, sii, stii, ksii, got 'tree'" in page
    form = {"gates-model": "dcnv2", "intr-source": "own", "intr-rows": 20, "intr-background": 10}
    search, page = _run(url, space, "intr", {**form, "intr-index": "h2"})
    assert "intr_index=h2" in search
    stored = stored_result(space, "intrinsic", "dcnv2", {"source": "own", "index": "h2", **SMALL})
    assert stored.measured_index == "h2" and "h2 measured" in page


def test_the_main_gates_job_keeps_the_cards_options_in_the_url(served):
    from tests.app.web.dash_http import start_job

    space, url, _ = served
    current = "?data=clicks&model=dcnv2&site=old&intr_index=h2&oswitch_pairs=colour%2Csize"
    form = {"gates-data": "clicks", "gates-model": "dcnv2", "gates-rows": 20}
    form |= {"gates-bootstrap": 10, "gates-attribution-rows": 2, "gates-interactions": "off"}
    form |= {"gates-permutations": 1, "gates-view-url": current}
    answer = start_job(url, "gates", {**form, "wb-workspace-key": str(space.root)}).wait(120)
    search = answer["response"]["gates-url"]["search"]
    assert "rows=20" in search and "intr_index=h2" in search
    assert "oswitch_pairs=colour%2Csize" in search and "site=" not in search
