"""The user's own torch model (tests/user_ctr.py) registered in a workspace by its factory,
weights and sites: the registry, the Gates page and ``workbench add-model`` run it through the
generic path (sites by module path) with the numbers of a direct analyzer call."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from app.cli import command as cli
from tests.user_ctr import user_frame, user_model
from workbench.errors import WorkbenchError

FACTORY = "tests.user_ctr:user_model"
SITES = ["gate_sigmoid#0", {"site": "gate_sigmoid#1", "kind": "mask"}]
GATES = {"rows": 60, "n_bootstrap": 10, "attribution_rows": 10, "compute_interactions": "off"}


@pytest.fixture(scope="module")
def user_space(tmp_path_factory):
    """A workspace with data set 'clicks' and the user model 'mine' (saved weights differ
    from the factory's, so loading them is visible)."""
    from workbench.registration import register_torch_model
    from workbench.workspace import DataEntry, Workspace

    folder = tmp_path_factory.mktemp("user")
    user_frame(n_rows=200).to_csv(folder / "clicks.csv", index=False)
    model = user_model()
    with torch.no_grad():
        model.out.weight.mul_(3)
    torch.save(model.state_dict(), folder / "weights.pt")
    space = Workspace.create(folder / "ws")
    space.add_data(
        DataEntry(name="clicks", path=str(folder / "clicks.csv"), target="click", coding="fields")
    )
    register_torch_model(
        space, "mine", "clicks", FACTORY, weights=folder / "weights.pt", sites=SITES,
        embedding_site="embed",
    )  # fmt: skip
    return space, model, folder


def test_registry_gates_equal_a_direct_call_with_the_same_sites(user_space):
    from analyzers.gate_common import sample_rows
    from analyzers.gates import analyze_gates
    from app.analyses import analysis, compute_result
    from workbench.sites import parse_site

    space, model, _ = user_space
    report = compute_result(space, "gates", "mine", GATES)
    parameters = analysis("gates").parameters(GATES)
    data = space.dataset("clicks")
    rows = data.subset(sample_rows(data.n_rows, 60, parameters["random_state"]))
    direct = analyze_gates(
        model, rows, sites=[parse_site("gate_sigmoid#0"), parse_site("gate_sigmoid#1", "mask")],
        embedding="embed", attribution_rows=10, compute_interactions=False, n_bootstrap=10,
        n_permutations=parameters["n_permutations"], random_state=parameters["random_state"],
        model_name="mine",
    )  # fmt: skip
    assert report.ablation.sites == ("gate_sigmoid#0", "gate_sigmoid#1")
    pd.testing.assert_frame_equal(report.ablation.effects, direct.ablation.effects)
    pd.testing.assert_frame_equal(report.statistics.to_frame(), direct.statistics.to_frame())
    effects = report.ablation.effects.set_index(["site", "field", "mode"])["loss_increase"]
    assert effects[("gate_sigmoid#0", "A", "mean")] == 0  # field A's first gate is constant
    # the saved weights were loaded: the base loss is the saved model's on these rows
    with torch.no_grad():
        logits = model(rows.X)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, rows.y.float())
    assert report.ablation.base_loss == pytest.approx(float(expected), rel=1e-5)


def test_registry_embeddings_equal_a_direct_call_with_the_same_site(user_space):
    from analyzers.embeddings import analyze_embeddings
    from app.analyses import analysis, compute_result

    space, model, _ = user_space
    report = compute_result(space, "embeddings", "mine", {"max_rows": 100})
    parameters = analysis("embeddings").parameters({"max_rows": 100})
    shared = {k: parameters[k] for k in ("projection", "projection_points", "n_components")}
    shared |= {k: parameters[k] for k in ("top_k", "max_points", "n_steps", "random_state")}
    direct = analyze_embeddings(
        model, space.dataset("clicks"), model_name="mine", embedding_site="embed",
        max_rows=100, **shared,
    )  # fmt: skip
    pd.testing.assert_frame_equal(report.to_frame(), direct.to_frame())
    # the field vectors are the model's own tables: three fields of dimension 2
    assert list(report.geometry.field_names) == ["A", "B", "C"]


def test_gates_page_runs_the_user_model_and_shows_its_sites(user_space):
    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.app.web.dash_http import render_page, start_job

    space, _, _ = user_space
    server = serve_in_thread(create_app(space))
    try:
        page = render_page(server.url, "/gates", "?data=clicks&model=mine")
        values = {"gates-data": "clicks", "gates-model": "mine", "gates-rows": 40}
        values |= {"gates-bootstrap": 10, "gates-attribution-rows": 10}
        values |= {"gates-interactions": "off", "gates-permutations": 1}
        values["wb-workspace-key"] = str(space.root)
        answer = start_job(server.url, "gates", values).wait(240)
        search = answer["response"]["gates-url"]["search"]
        view = render_page(server.url, "/gates", search)  # the view the finished job links to
    finally:
        server.stop()
    assert '"mine"' in page  # offered in the model dropdown
    assert "Done in" in json.dumps(answer), json.dumps(answer)[-600:]
    assert "gate_sigmoid#0" in view and "gate_sigmoid#1" in view


def test_add_model_cli_round_trip(user_space, capsys):
    from workbench.workspace import Workspace

    space, model, folder = user_space
    code = cli.main(
        ["add-model", "--workspace", str(space.root), "--name", "cli", "--data", "clicks",
         "--factory", FACTORY, "--weights", str(folder / "weights.pt"),
         "--site", "gate_sigmoid#1", "--site-kind", "mask", "--embedding-site", "embed"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "added torch model 'cli'" in capsys.readouterr().out
    manifest = json.loads((space.root / "workspace.json").read_text())
    [entry] = [m for m in manifest["models"] if m["name"] == "cli"]
    assert entry["kind"] == "torch" and entry["factory"] == FACTORY
    assert entry["sites"] == [{"site": "gate_sigmoid#1", "kind": "mask"}]
    loaded = Workspace.open(space.root).model("cli")  # a fresh process reads it back
    assert [(s.path, s.call, s.kind) for s in loaded.sites] == [("gate_sigmoid", 1, "mask")]
    X = space.dataset("clicks").X[:5]
    with torch.no_grad():
        torch.testing.assert_close(loaded.adapter.predict(X), model(X))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--factory", "tests.user_ctr:nope"], "factory 'tests.user_ctr:nope': cannot import it"),
        (["--factory", FACTORY, "--site", "gate_sigmoi"], "closest: gate_sigmoid"),
        (["--factory", FACTORY, "--site", "unused"], "never runs during a forward pass"),
        (["--factory", FACTORY, "--site", "gate_sigmoid#2"], "runs 2 time(s) per forward"),
        (["--factory", FACTORY, "--weights", "clicks.csv"], "not a state_dict file"),
        (["--factory", FACTORY, "--weights", "other.pt"], "does not match the module"),
        (["--file", "weights.pt", "--site", "gate_sigmoid"], "--site: only with --factory"),
        (["--file", "weights.pt", "--factory-kwargs", "{}"], "--factory-kwargs: only with"),
        (["--factory", FACTORY, "--factory-kwargs", "[1]"], "expected a JSON object"),
        (["--factory", FACTORY, "--factory-kwargs", '{"width": 2}'], "takes no argument 'width'"),
        # its logits leave [0, 1]: read as probabilities every loss would be wrong
        (
            ["--factory", FACTORY, "--weights", "weights.pt", "--output-kind", "probability"],
            "outside [0, 1]; if it returns logits, register it with output 'logit'",
        ),
    ],
)
def test_bad_entries_are_one_line_and_leave_the_manifest(user_space, capsys, options, message):
    from tests.user_ctr import UserCtr

    space, _, folder = user_space
    torch.save(UserCtr(dim=3).state_dict(), folder / "other.pt")
    before = (space.root / "workspace.json").read_text()
    options = [str(folder / o) if o.endswith((".csv", ".pt")) else o for o in options]
    base = ["add-model", "--workspace", str(space.root), "--name", "bad", "--data", "clicks"]
    assert cli.main(base + options) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert message in err, err
    assert (space.root / "workspace.json").read_text() == before


def test_a_manifest_site_that_does_not_exist_is_one_line(user_space):
    from workbench.workspace import ModelEntry

    space = user_space[0]
    entry = ModelEntry("typo", "clicks", "torch", factory=FACTORY, sites=["gate_sigmod#1"])
    space.add_model(entry, save=False)
    try:
        with pytest.raises(WorkbenchError, match=r"^site 'gate_sigmod': .*closest: gate_sigmoid"):
            space.model("typo")
    finally:
        space._forget([], ["typo"])


def test_interactions_run_on_the_user_model_as_on_any_torch_model(user_space):
    from app.analyses import compute_result

    space = user_space[0]
    result = compute_result(space, "interactions", "mine", {"index": "h2", "rows": 40})
    scores = result.to_frame()
    # pairs of the data set's fields (its groups), scored on the model the entry builds
    assert list(scores["pair"]) == ["A × B", "A × C", "B × C"]
    assert (scores["value"] >= 0).all() and scores["value"].max() > 0  # H² of a gated model


@pytest.mark.parametrize("command", ["gates", "embeddings"])
def test_factory_options_with_a_zoo_model_are_one_line(command, tmp_path, capsys):
    # refused before the zoo model trains: our zoo's models return logits
    options = ["--model", "finalmlp", "--output-kind", "probability", "--out", str(tmp_path)]
    assert cli.main([command, *options]) != 0
    err = capsys.readouterr().err.strip()
    assert err.endswith("--output-kind: only with --model package.module:callable"), err


def _level_means(rows, gate: torch.Tensor) -> dict[tuple[str, str], float]:
    """(field, level label) -> mean of the field's gate over the rows holding that level."""
    codes = rows.X.long()
    means = {}
    for f, name in enumerate(rows.group_names):
        for code, label in enumerate(rows.code_levels[name]):
            means[(name, label)] = float(gate[codes[:, f] == code, f].mean())
    return means


def test_embedding_map_gate_and_attribution_colours_equal_a_hand_computation(user_space):
    """Issue 15: the Embeddings page colours a user's model by its gates (sites by module
    path, as registered) and by attribution, as the zoo's: values recomputed by hand."""
    from app.analyses import compute_result

    space, model, _ = user_space
    rows = space.model("mine").rows
    asked = {"max_rows": 100, "attribution": "feature_ablation"}
    first = compute_result(space, "embeddings", "mine", asked).projection.coordinates
    second = compute_result(
        space, "embeddings", "mine", {"max_rows": 100, "gate_site": "gate_sigmoid#1"}
    ).projection.coordinates
    with torch.no_grad():
        h = model.embed(rows.X)  # (rows, fields, dim)
        gate_0 = torch.sigmoid(model.layers[0](h.flatten(1)))  # (rows, fields)
        gate_1 = torch.sigmoid(model.layers[1]((h * gate_0.unsqueeze(-1)).flatten(1)))
        logits = model(rows.X)
        mode = torch.mode(rows.X.long(), dim=0).values
        ablated = []
        for f in range(rows.X.shape[1]):
            X = rows.X.clone()
            X[:, f] = mode[f]
            ablated.append(float((logits - model(X)).abs().mean()))
    for frame, column, gate in [
        (first, "gate:gate_sigmoid#0", gate_0),  # "auto": the first registered site
        (second, "gate:gate_sigmoid#1", gate_1),
    ]:
        shown = frame.set_index(["field", "level"])[column]
        expected = _level_means(rows, gate)
        assert set(shown.index) == set(expected)
        for key, value in expected.items():
            assert shown[key] == pytest.approx(value, rel=1e-5), (column, key)
    # Field A's first-layer gate is constant (its weight row is 0): one colour for its levels.
    assert first.loc[first["field"] == "A", "gate:gate_sigmoid#0"].nunique() == 1
    per_field = first.groupby("field")["attribution:feature_ablation"].first()
    assert list(per_field) == pytest.approx(ablated, rel=1e-5)


def test_gate_colour_is_off_with_a_reason_for_a_model_without_gate_sites(user_space):
    from app.web.pages.embeddings import layout
    from app.web.pages.embeddings_options import (
        GATE_SITE,
        GATE_SITE_FIELD,
        option_availability,
    )
    from tests.app.web.layout_tree import find
    from workbench.workspace import ModelEntry

    space = user_space[0]
    with_gates = option_availability(space, "mine", "table")
    assert with_gates["gate_site"] is None
    assert with_gates["gate_sites"] == ["auto", "none", "gate_sigmoid#0", "gate_sigmoid#1"]
    assert "table map only" in option_availability(space, "mine", "rows")["gate_site"]
    space.add_model(
        ModelEntry("plain", "clicks", "torch", factory=FACTORY, embedding_site="embed"),
        save=False,
    )
    try:
        page = layout(space, data="clicks", model="plain")
        dropdown, wrapper = find(page, GATE_SITE), find(page, GATE_SITE_FIELD)
        assert dropdown.disabled and dropdown.options == ["auto", "none"]
        assert "gate or mask site" in wrapper.title and "\n" not in wrapper.title
        # attribution needs no gate site: it stays on for this model
        assert option_availability(space, "plain", "table")["attribution"] is None
    finally:
        space._forget([], ["plain"])
