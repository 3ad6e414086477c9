"""The Model sets page's job over HTTP (no browser): a retrained set of the demo's boosted trees
is computed, stored and read back, and builders that do not apply say why in one line."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

SMALL = {"members": 3, "n_bootstrap": 1, "index": "h2", "top_k": 2, "rows": 20}


@pytest.fixture(scope="module")
def demo_space(tmp_path_factory):
    from workbench.workspace import demo_workspace

    return demo_workspace(tmp_path_factory.mktemp("workspace"))


def test_a_retrained_set_of_the_boosted_trees_runs_as_a_job_and_is_stored(demo_space):
    from app.analyses import analysis, stored_result
    from app.web import create_app
    from app.web.pages.model_sets import view_search
    from app.web.server import serve_in_thread
    from tests.app.web.dash_http import start_job

    parameters = analysis("model_set").parameters({"builder": "retrain", **SMALL})
    server = serve_in_thread(create_app(demo_space))
    try:
        values = {"mset-data": "compas", "mset-model": "compas-gbt", "mset-builder": "retrain"}
        values |= {"mset-epsilon-rate": 0.1, "mset-members": 3, "mset-n-bootstrap": 1}
        values |= {"mset-index": "h2", "mset-top-k": 2, "mset-rows": 20}
        values["mset-max-coalitions"] = parameters["max_coalitions"]  # the form's default
        values["wb-workspace-key"] = str(demo_space.root)
        answer = start_job(server.url, "mset", values).wait(240)
    finally:
        server.stop()
    text = json.dumps(answer)
    assert "Done in" in text, text[-600:]
    assert view_search("compas", "compas-gbt", parameters) in text  # the URL holds the view
    result = stored_result(demo_space, "model_set", "compas-gbt", parameters)
    assert result is not None and result.builder == "retrained"
    assert len(result.model_names) == 3 and result.settings["output"] == "logit"
    # bootstrap resamples give different trees: a range to read, not a collapsed set
    assert result.ranges["range"].max() > 0
    assert not any(d.code == "collapsed_model_set" for d in result.diagnostics)


def test_builders_that_do_not_apply_are_disabled_with_their_reason(demo_space):
    from app.web.pages.model_sets import builder_options

    options, note = builder_options(demo_space, "compas-gbt")
    offered = {o["value"]: o["disabled"] for o in options}
    assert offered == {"retrain": False, "dropout": True, "masks": False}
    assert (
        note == "dropout: dropout masks a torch model's layers; 'compas-gbt' is not a torch model"
    )
    # The Adult FinalMLP: dropout applies; retraining a zoo model and scaling codes do not.
    options, note = builder_options(demo_space, "adult-finalmlp")
    offered = {o["value"]: o["disabled"] for o in options}
    assert offered == {"retrain": True, "dropout": False, "masks": True}
    assert "input masks scale inputs" in note


def test_an_input_mask_set_of_the_logistic_model_is_stored(demo_space):
    from app.analyses import compute_result

    result = compute_result(
        demo_space, "model_set", "compas-logistic", {"builder": "masks", **SMALL}
    )
    assert result.builder == "masks" and len(result.members) == 3
    # member 0 is the reference model itself (every mask 1): its loss is L*
    assert result.members["loss_increase"].iloc[0] == 0


def test_a_dropout_set_of_a_tree_model_fails_in_one_line(demo_space):
    from app.analyses import compute_result
    from workbench.errors import ParameterError

    with pytest.raises(ParameterError, match=r"^builder: dropout masks a torch model's layers"):
        compute_result(demo_space, "model_set", "compas-gbt", {"builder": "dropout", **SMALL})


def test_a_retrained_set_with_more_members_trains_only_the_new_ones(demo_space):
    from app.analyses import compute_result

    stages = []

    def progress(stage, done, total):
        stages.append((stage, total))

    compute_result(demo_space, "model_set", "compas-logistic", {"builder": "retrain", **SMALL})
    bigger = {"builder": "retrain", **SMALL, "members": 4}
    compute_result(demo_space, "model_set", "compas-logistic", bigger, progress=progress)
    # The 3 members of the first run come from the workspace's store; only the 4th is fitted.
    assert ("cached members", 3) in stages and ("training members", 1) in stages


@pytest.mark.parametrize("model", ["adult-finalmlp", "adult-gdcn"])
def test_a_dropout_set_of_an_adult_ctr_model_has_ranges_and_a_consensus(demo_space, model):
    from app.analyses import compute_result

    result = compute_result(demo_space, "model_set", model, {"builder": "dropout", **SMALL})
    assert result.builder == "dropout" and result.n_in_set >= 2
    rate = result.settings["builder_settings"]["rate"]
    assert 0 < rate <= 0.5  # searched: members within ε at the largest such rate
    # Members under different dropout masks score the field pairs differently.
    assert result.ranges["range"].max() > 0
    # Every edge of the consensus graph holds in every in-set member's cloud.
    strength = result.clouds.pivot(index="member", columns="pair", values="strength")
    for stronger, weaker in result.hasse[["stronger", "weaker"]].itertuples(index=False):
        assert (strength[stronger] > strength[weaker]).all()


def test_every_interaction_index_is_offered_over_a_set():
    from analyzers.interaction_result import INTERACTION_INDICES
    from app.analyses import analysis

    # Any index over any set (issue 14): the page offers what the CLI and Python take.
    assert set(analysis("model_set").choices["index"]) == set(INTERACTION_INDICES)


def test_a_shapley_taylor_set_is_computed_and_stored(demo_space):
    from app.analyses import compute_result

    parameters = {"builder": "retrain", **SMALL, "index": "stii"}
    result = compute_result(demo_space, "model_set", "compas-logistic", parameters)
    assert result.index == "stii" and len(result.ranges) > 0


@pytest.mark.slow  # a dropout set of the Adult FinalMLP, two members on two rows: ~20 s
def test_the_page_states_the_cost_and_samples_above_the_coalition_budget(demo_space):
    """Adult has 14 groups: exact SII is 2**14 = 16,384 coalitions per row, the default budget;
    under a budget of 4,096 the page says it samples 10 draws per interaction (10 × 392 =
    3,920 coalitions) and the job runs that sampled path, its standard errors in the table."""
    from app.analyses import stored_result
    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.app.web.dash_http import render_page, start_job

    chosen = {"data": "adult", "model": "adult-finalmlp", "builder": "dropout", "index": "sii"}
    server = serve_in_thread(create_app(demo_space))
    try:
        default_page = render_page(server.url, "/model-sets", "?" + urlencode(chosen))
        budget = {**chosen, "members": 2, "rows": 2, "max_coalitions": 4096}
        budget_page = render_page(server.url, "/model-sets", "?" + urlencode(budget))
        values = {"mset-data": "adult", "mset-model": "adult-finalmlp", "mset-builder": "dropout"}
        values |= {"mset-epsilon-rate": 0.1, "mset-members": 2, "mset-n-bootstrap": 1}
        values |= {"mset-index": "sii", "mset-top-k": 2, "mset-rows": 2}
        values |= {"mset-max-coalitions": 4096, "wb-workspace-key": str(demo_space.root)}
        answer = start_job(server.url, "mset", values).wait(240)
    finally:
        server.stop()
    assert (
        "Cost: SII on 14 groups: exact, 16,384 coalitions × 100 rows × 50 background rows × "
        "8 members" in _text(default_page)
    )
    assert (
        "Cost: SII on 14 groups: sampled, 10 draws per interaction = 3,920 coalitions × 2 rows "
        "× 50 background rows × 2 members" in _text(budget_page)
    )
    assert "Done in" in json.dumps(answer), json.dumps(answer)[-600:]
    parameters = {k: v for k, v in budget.items() if k not in ("data", "model")} | {"top_k": 2}
    result = stored_result(demo_space, "model_set", "adult-finalmlp", parameters)
    assert result.settings["shapley_plan"].startswith("SII on 14 groups: sampled, 10 draws")
    assert result.ranges["sampling_error"].gt(0).any()
    assert any(d.code == "sampled_shapley" for d in result.diagnostics)


def _text(answer: str) -> str:
    """A rendered page's JSON with its characters as a user reads them (× not \\u00d7)."""
    return json.dumps(json.loads(answer), ensure_ascii=False)


def test_the_cost_line_follows_the_settings_and_says_when_it_cannot(demo_space):
    from app.web.pages.model_sets import settings_cost

    given = {"builder": "retrain", "members": 3, "n_bootstrap": 2, "index": "sii", "rows": 20}
    # COMPAS: 7 groups, 2**7 = 128 coalitions; retrain makes 3 seeds × 2 resamples = 6 members
    assert settings_cost(demo_space, "compas-gbt", given).startswith(
        "Cost: SII on 7 groups: exact, 128 coalitions × 20 rows × 50 background rows × 6 members"
    )
    refused = settings_cost(demo_space, "compas-gbt", {**given, "rows": None})
    assert refused.startswith("Cost: unknown until the settings are valid (rows:")
    # an index without coalitions is named as the page names it
    h2 = settings_cost(demo_space, "compas-gbt", {**given, "index": "h2"})
    assert h2 == "Cost: Friedman H² on 20 rows × up to 6 members (no coalitions to enumerate)"
