"""A DeepCTR-Torch model trained in the user's own code, saved as a state_dict and registered
with the ready factory ``workbench.deepctr:build``: the workspace, the CLI and the Gates page
run it as a probability model with exactly the numbers of ``wrap_deepctr`` in Python."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import plotly
import pytest
import torch

# As tests/workbench/test_deepctr.py: never a plain import of deepctr_torch (its network check).
if importlib.util.find_spec("deepctr_torch") is None:
    pytest.skip("deepctr-torch is not installed", allow_module_level=True)

from analyzers.gate_results import GateReport
from analyzers.gates import gate_ablation, gate_statistics
from app.cli import command as cli
from tests.deepctr_planted import (
    PLANTED_PAIR,
    TARGET,
    factory_kwargs,
    planted_clicks,
    planted_model,
    write_planted_csv,
)
from workbench.deepctr import wrap_deepctr
from workbench.factory_models import load_factory_model

FIELDS = list(planted_clicks()[1].feature_names)

KWARGS = factory_kwargs("FiBiNET")
SITE = "SE.excitation.3"


@pytest.fixture(scope="module")
def deepctr_space(tmp_path_factory):
    """The planted click table (``tests.deepctr_planted``) registered as coded fields, and the
    FiBiNET that learned its f0 × f1 pair, saved and registered through ``workbench add-model``
    as the user would: the workspace codes the CSV into the very columns it was trained on."""
    from workbench.workspace import Workspace

    folder = tmp_path_factory.mktemp("deepctr")
    write_planted_csv(folder / "clicks.csv")
    assert cli.main(
        ["add-data", "--workspace", str(folder / "ws"), "--name", "clicks", "--data",
         str(folder / "clicks.csv"), "--target", TARGET, "--coding", "fields"]
    ) == 0  # fmt: skip
    space = Workspace.open(folder / "ws")
    model = planted_model("FiBiNET")
    assert torch.equal(space.dataset("clicks").X, planted_clicks()[1].X)
    torch.save(model.state_dict(), folder / "fibinet.pt")
    code = cli.main(
        ["add-model", "--workspace", str(space.root), "--name", "fibinet", "--data", "clicks",
         "--factory", "workbench.deepctr:build", "--factory-kwargs", json.dumps(KWARGS),
         "--weights", str(folder / "fibinet.pt"), "--output-kind", "probability",
         "--site", SITE]
    )  # fmt: skip
    assert code == 0
    return space, model, folder


def test_the_registered_model_is_the_trained_one_read_as_probabilities(deepctr_space):
    from workbench.workspace import Workspace

    space, model, _ = deepctr_space
    manifest = json.loads((space.root / "workspace.json").read_text())
    [entry] = [m for m in manifest["models"] if m["name"] == "fibinet"]
    assert entry["output"] == "probability" and entry["factory_kwargs"] == KWARGS
    loaded = Workspace.open(space.root).model("fibinet")  # a fresh process reads the manifest
    data = space.dataset("clicks")
    assert loaded.adapter.output_kind == "probability"
    assert torch.equal(loaded.adapter.predict(data.X), wrap_deepctr(model).predict(data.X))
    untrained = load_factory_model("workbench.deepctr:build", factory_kwargs=KWARGS, dataset=data)
    assert not torch.equal(untrained(data.X), model(data.X))  # so the weights were loaded
    ours = gate_statistics(loaded.adapter, loaded.rows, sites=loaded.sites).per_field
    direct = gate_statistics(wrap_deepctr(model), data, sites=loaded.sites).per_field
    pd.testing.assert_frame_equal(ours, direct, check_exact=True)
    assert list(ours["field"]) == FIELDS  # one SENET weight per field
    assert ours["std"].gt(1e-3).all()  # equal on gates that vary with the row, not on constants


def test_the_gates_cli_rebuilds_the_model_from_the_factory(deepctr_space, tmp_path):
    space, model, folder = deepctr_space
    code = cli.main(
        ["gates", "--model", "workbench.deepctr:build", "--factory-kwargs", json.dumps(KWARGS),
         "--weights", str(folder / "fibinet.pt"), "--output-kind", "probability",
         "--data", str(folder / "clicks.csv"), "--target", TARGET, "--site", SITE,
         "--rows", "0", "--no-attributions", "--no-interactions", "--n-bootstrap", "10",
         "--no-cache", "--formats", "", "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    report = GateReport.from_dict(json.loads((tmp_path / "report.json").read_text()))
    data = space.dataset("clicks")  # the CLI codes the CSV as the workspace does
    direct = gate_statistics(wrap_deepctr(model), data, sites=[SITE]).per_field
    pd.testing.assert_frame_equal(report.statistics.per_field, direct, check_exact=True)
    # the ablation too, on effects the model has: zeroing a planted field's gate costs loss
    ablated = gate_ablation(wrap_deepctr(model), data, sites=[SITE], n_bootstrap=10).effects
    pd.testing.assert_frame_equal(report.ablation.effects, ablated, check_exact=True)
    zero = ablated[ablated["mode"] == "zero"].set_index("field")
    assert zero.loc[["f0", "f1"], "loss_increase_low"].gt(0).all()
    # the base loss is the log loss of the probabilities, not of them read as logits
    with torch.no_grad():
        p = model(data.X).squeeze(1)
    expected = torch.nn.functional.binary_cross_entropy(p, data.y)
    assert report.ablation.base_loss == pytest.approx(float(expected), rel=1e-5)


def test_output_kind_is_checked_on_the_check_rows(deepctr_space, capsys):
    space, _, folder = deepctr_space
    base = ["add-model", "--workspace", str(space.root), "--data", "clicks",
            "--factory", "workbench.deepctr:build", "--factory-kwargs", json.dumps(KWARGS),
            "--weights", str(folder / "fibinet.pt")]  # fmt: skip
    assert cli.main([*base, "--name", "as-logit"]) == 0  # registered, with one warning line
    err = capsys.readouterr().err.strip()
    assert err.startswith("warning: model 'as-logit': output 'logit', but all its outputs")
    assert len(err.splitlines()) == 1, err


def test_gates_page_runs_the_registered_deepctr_model(deepctr_space):
    from app.web import create_app
    from app.web.server import serve_in_thread
    from tests.app.web.dash_http import start_job

    space = deepctr_space[0]
    server = serve_in_thread(create_app(space))
    try:
        values = {"gates-data": "clicks", "gates-model": "fibinet", "gates-rows": 40}
        values |= {"gates-bootstrap": 10, "gates-attribution-rows": 10}
        values |= {"gates-interactions": "off", "gates-permutations": 1}
        values["wb-workspace-key"] = str(space.root)
        answer = start_job(server.url, "gates", values).wait(240)
    finally:
        server.stop()
    assert "Done in" in json.dumps(answer), json.dumps(answer)[-600:]


def test_the_interactions_cli_reads_the_factory_model_as_probabilities(deepctr_space, tmp_path):
    from analyzers.interaction_result import InteractionResult
    from analyzers.interactions import score_interactions

    space, model, folder = deepctr_space
    code = cli.main(
        ["interactions", "--model", "workbench.deepctr:build", "--factory-kwargs",
         json.dumps(KWARGS), "--weights", str(folder / "fibinet.pt"), "--output-kind",
         "probability", "--data", str(folder / "clicks.csv"), "--target", TARGET,
         "--index", "h2", "--rows", "10", "--no-cache", "--formats", "", "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    ours = InteractionResult.from_dict(json.loads((tmp_path / "result.json").read_text()))
    direct = score_interactions(
        wrap_deepctr(model), space.dataset("clicks"), "h2", rows=10, model_name="build"
    )  # the factory's name, as the CLI names a factory model
    pd.testing.assert_frame_equal(ours.to_frame(), direct.to_frame(), check_exact=True)
    h2 = ours.global_scores().set_index("pair")["value"]
    assert h2.idxmax() == PLANTED_PAIR and h2.max() > 0.1  # the planted pair, clearly


def test_the_embeddings_analysis_reads_deepctrs_per_field_tables(deepctr_space, tmp_path):
    from analyzers.embeddings import EmbeddingReport, analyze_embeddings
    from app.analyses import analysis, compute_result
    from workbench.deepctr import DEEPCTR_EMBEDDING_SITE
    from workbench.workspace import Workspace

    space, model, folder = deepctr_space
    assert cli.main(
        ["add-model", "--workspace", str(space.root), "--name", "fibinet-emb", "--data", "clicks",
         "--factory", "workbench.deepctr:build", "--factory-kwargs", json.dumps(KWARGS),
         "--weights", str(folder / "fibinet.pt"), "--output-kind", "probability",
         "--embedding-site", DEEPCTR_EMBEDDING_SITE]
    ) == 0  # fmt: skip
    space = Workspace.open(space.root)  # as the app does, after the CLI wrote the manifest
    parameters = analysis("embeddings").parameters({"max_rows": 100})
    report = compute_result(space, "embeddings", "fibinet-emb", parameters)
    direct = analyze_embeddings(
        wrap_deepctr(model), space.model("fibinet-emb").rows, projection=None, max_rows=100,
        embedding_site=DEEPCTR_EMBEDDING_SITE,
    )  # fmt: skip
    pd.testing.assert_frame_equal(report.geometry.to_frame(), direct.geometry.to_frame())
    # the map's table points are every level of each field's own table, in the data's order
    points = report.projection.coordinates
    sizes = [model.embedding_dict[f].weight.shape[0] for f in FIELDS]
    assert points.groupby("field", sort=False).size().reindex(FIELDS).le(sizes).all()
    code = cli.main(
        ["embeddings", "--model", "workbench.deepctr:build", "--factory-kwargs",
         json.dumps(KWARGS), "--weights", str(folder / "fibinet.pt"), "--output-kind",
         "probability", "--data", str(folder / "clicks.csv"), "--target", TARGET,
         "--embedding-site", DEEPCTR_EMBEDDING_SITE, "--projection", "none",
         "--no-cache", "--formats", "", "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    written = EmbeddingReport.from_dict(json.loads((tmp_path / "result.json").read_text()))
    assert list(written.geometry.to_frame()["field"].unique()) == FIELDS


def test_a_registered_autoint_attention_site_feeds_the_attention_analysis(deepctr_space, capsys):
    from analyzers.attention_maps import attention_maps
    from app.analyses import analysis, compute_result
    from app.web.pages.gates_attention import attention_sites_line
    from workbench.workspace import Workspace

    space, _, folder = deepctr_space
    kwargs = factory_kwargs("AutoInt")  # one attention layer of two heads, no DNN
    model = planted_model("AutoInt")
    torch.save(model.state_dict(), folder / "autoint.pt")
    base = ["add-model", "--workspace", str(space.root), "--data", "clicks",
            "--factory", "workbench.deepctr:build", "--factory-kwargs", json.dumps(kwargs),
            "--weights", str(folder / "autoint.pt"), "--output-kind", "probability"]  # fmt: skip
    site = "int_layers.0@softmax"
    assert cli.main([*base, "--name", "autoint", "--site", site, "--site-kind", "attention"]) == 0
    space = Workspace.open(space.root)
    parameters = analysis("attention").parameters({"row": 5})
    result = compute_result(space, "attention", "autoint", parameters)
    loaded = space.model("autoint")
    direct = attention_maps(wrap_deepctr(model), loaded.rows, rows=[5], sites=[site],
                            sample=parameters["sample"],
                            random_state=parameters["random_state"])  # fmt: skip
    pd.testing.assert_frame_equal(result.maps, direct.maps)
    assert np.ptp(result.maps["attention"].dropna()) > 1e-2  # a trained map: pairs differ
    assert result.heads(site) == (0, 1) and len(result.field_names) == len(FIELDS)
    assert attention_sites_line(space, "autoint") == f"Attention sites of autoint: {site}"
    assert "no attention sites" in attention_sites_line(space, "fibinet")
    # a site that is not attention over the fields is refused at registration, in one line
    capsys.readouterr()
    assert cli.main([*base, "--name", "not-attention", "--site", "dnn_linear",
                     "--site-kind", "attention"]) != 0  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert f"not attention over the {len(FIELDS)} fields" in err and len(err.splitlines()) == 1, err
    assert "not-attention" not in Workspace.open(space.root).model_names()


def test_gates_with_the_stacked_embedding_site_attribute_on_the_inputs(deepctr_space):
    """``embedding_dict.*`` can be read, not replaced, so captum cannot interpolate it: the Gates
    run falls back to the model inputs, says so in a note the page shows, and its attributions
    are captum's on the coded inputs (feature ablation; the gate site's conductance and
    integrated gradients interpolate the inputs too, as for a model without an embedding)."""
    from captum.attr import FeatureAblation

    from analyzers.gate_attributions import mode_baseline
    from analyzers.gate_common import sample_rows
    from app.analyses import analysis, compute_result
    from app.web.pages.gates_view import result_view
    from workbench.deepctr import DEEPCTR_EMBEDDING_SITE
    from workbench.workspace import Workspace

    space, model, folder = deepctr_space
    assert cli.main(
        ["add-model", "--workspace", str(space.root), "--name", "fibinet-stacked", "--data",
         "clicks", "--factory", "workbench.deepctr:build", "--factory-kwargs",
         json.dumps(KWARGS), "--weights", str(folder / "fibinet.pt"), "--output-kind",
         "probability", "--site", SITE, "--embedding-site", DEEPCTR_EMBEDDING_SITE]
    ) == 0  # fmt: skip
    space = Workspace.open(space.root)
    parameters = analysis("gates").parameters(
        {"rows": 60, "attribution_rows": 8, "n_bootstrap": 10, "compute_interactions": "off"}
    )
    report = compute_result(space, "gates", "fibinet-stacked", parameters)
    [note] = [d for d in report.diagnostics if d.code == "embedding_site_read_only"]
    assert note.severity == "info" and "attributions are on the model inputs" in note.message
    page = json.dumps(
        result_view(report, "clicks", "fibinet-stacked", parameters, SITE, "zero", None),
        cls=plotly.utils.PlotlyJSONEncoder,
    )
    assert "Read with care" in page and note.message in page
    # the rows the run analysed, and the attribution sample among them
    loaded = space.model("fibinet-stacked")
    rows = loaded.rows.subset(sample_rows(loaded.rows.n_rows, 60, 0))
    per_field = report.attributions.per_field
    assert "integrated_gradients" not in set(per_field["method"])  # none on the embeddings
    X = rows.X[sample_rows(rows.n_rows, 8, 0)]  # (rows, fields) codes
    mask = torch.arange(len(FIELDS))[None]  # one field per column
    by_hand = FeatureAblation(model).attribute(
        X, baselines=mode_baseline(rows.X), feature_mask=mask
    )
    ablation = per_field[per_field["method"] == "feature_ablation"].set_index("field")
    np.testing.assert_allclose(
        ablation.loc[FIELDS, "mean_abs_attribution"], by_hand.abs().mean(0).double(), rtol=1e-5
    )
    assert ablation["mean_abs_attribution"].max() > 1e-2  # a model that reacts to its fields
