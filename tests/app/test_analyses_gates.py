"""The "gates" analysis of the workspace: computed once on the demo's FinalMLP, then read back."""

from __future__ import annotations

import pandas as pd
import pytest

from app.analyses import GATE_ROWS, analysis, compute_result, result_key, stored_result
from workbench.errors import ParameterError
from workbench.workspace import Workspace, demo_workspace

# Small settings: the page's defaults are measured in the browser test's job.
SMALL = {"rows": 120, "n_bootstrap": 20, "attribution_rows": 8, "n_permutations": 1}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_workspace(tmp_path_factory.mktemp("gates-workspace"))


@pytest.mark.slow
def test_gates_are_computed_once_then_read_back_from_the_store(demo, monkeypatch):
    stages = []
    report = compute_result(
        demo, "gates", "adult-finalmlp", SMALL, progress=lambda *step: stages.append(step)
    )
    model = demo.model("adult-finalmlp")
    sites = [site.name for site in model.estimator.gate_sites()]
    assert list(report.ablation.sites) == sites
    # The seeded row sample, not all held-out rows, is what every part analysed.
    assert report.statistics.settings["n_rows"] == SMALL["rows"] < model.rows.n_rows
    assert report.ablation.settings["n_bootstrap"] == SMALL["n_bootstrap"]
    assert report.attributions.settings["rows"] == SMALL["attribution_rows"]
    fields = len(model.rows.group_names)
    assert len(report.interactions) == fields * (fields - 1) // 2
    # One progress step per stage (statistics, ablation, attributions, interactions), then done.
    assert [step[1:] for step in stages] == [(done, 4) for done in range(5)]
    # The store's header records the wall time and the model, as for every result.
    (entry,) = demo.store.entries("gates")
    assert entry["seconds"] == report.seconds > 0
    assert entry["model_names"] == ["adult-finalmlp"] == list(report.model_names)

    import app.analyses

    def must_not_run(*args, **kwargs):
        raise AssertionError("a stored gate report was recomputed")

    monkeypatch.setattr(app.analyses, "analyze_gates", must_not_run)
    reopened = Workspace.open(demo.root)  # another process reads the same files
    cached = stored_result(reopened, "gates", "adult-finalmlp", SMALL)
    assert cached is not None
    pd.testing.assert_frame_equal(cached.ablation.effects, report.ablation.effects)
    pd.testing.assert_frame_equal(cached.statistics.per_level, report.statistics.per_level)
    pd.testing.assert_frame_equal(cached.interactions, report.interactions)
    pd.testing.assert_frame_equal(
        cached.attributions.rank_agreement, report.attributions.rank_agreement
    )
    assert cached.ablation.base_auc == report.ablation.base_auc
    assert cached.seconds == report.seconds and cached.model_name == "adult-finalmlp"


def test_interactions_off_leaves_them_out_and_is_a_different_result(demo):
    parameters = {**SMALL, "compute_interactions": "off"}
    stages = []
    report = compute_result(
        demo, "gates", "adult-gdcn", parameters, progress=lambda *step: stages.append(step)
    )
    assert report.interactions.empty
    assert [step[1:] for step in stages] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    with_them = result_key(demo, "gates", "adult-gdcn", SMALL)
    assert with_them != result_key(demo, "gates", "adult-gdcn", parameters)


def test_defaults_are_json_safe_and_bad_parameters_are_one_line_errors(demo):
    spec = analysis("gates")
    assert spec.parameters({"rows": "300"})["rows"] == 300
    with pytest.raises(ParameterError, match="compute_interactions: expected one of on, off"):
        spec.parameters({"compute_interactions": "maybe"})
    with pytest.raises(ParameterError, match="n_bootstrap: expected a int"):
        spec.parameters({"n_bootstrap": "many"})
    with pytest.raises(ParameterError, match="rows: expected at least 2"):
        compute_result(demo, "gates", "adult-finalmlp", {**SMALL, "rows": 1})


def test_defaults_are_the_analyzers_but_for_the_app_sample():
    import inspect

    from analyzers.gates import analyze_gates

    signature = inspect.signature(analyze_gates).parameters
    defaults = analysis("gates").defaults
    for name in ("n_bootstrap", "attribution_rows", "n_permutations", "random_state"):
        assert defaults[name] == signature[name].default, name
    assert defaults["compute_interactions"] == (
        "on" if signature["compute_interactions"].default else "off"
    )
    # analyze_gates analyses the rows it is given; the app's job takes a seeded sample.
    assert defaults["rows"] == GATE_ROWS
    assert "seed" not in defaults and "interactions" not in defaults


def test_a_model_without_gates_is_refused_in_one_line(demo):
    with pytest.raises(ParameterError, match="'compas-logistic' has no gates"):
        compute_result(demo, "gates", "compas-logistic", SMALL)


def test_attention_only_model_is_refused_in_one_line(demo):
    """AutoInt's sites are (rows, heads, F, F) attention maps, not (rows, width) gates: the
    gates job says where they are read instead of failing inside the ablation kernel."""
    with pytest.raises(ParameterError, match=r"^model: AutoInt has only attention sites"):
        compute_result(demo, "gates", "adult-autoint", SMALL)
