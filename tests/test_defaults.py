"""One default per parameter: the Python API, the `workbench` CLI and the app give the same numbers.

The analyzer's signature is the one source (the CLI reads it with ``default_of``, the registry
with ``signature_defaults``); these tests fail when an entry point sets its own value, when a
default changes without the documentation, or when equal settings give different results.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzers.embeddings import analyze_embeddings
from analyzers.gates import analyze_gates
from analyzers.interactions import score_interactions
from analyzers.interactions.score import DEFAULT_ROWS
from analyzers.rashomon import explore_rashomon
from app.analyses import GATE_ROWS, analysis, compute_result
from app.cli.command import _parser
from workbench.workspace import DataEntry, ModelEntry, Workspace

ROOT = Path(__file__).resolve().parents[1]

# The values a user gets everywhere, written out: a changed default fails here (and must be
# changed here and in the README on purpose). See the report of issue 12 for their job times.
PINNED = {
    "rashomon": {"epsilon_rate": 0.1, "n_permutations": 30, "delta": 0.1, "order": 2},
    "interactions": {
        "index": "sii",
        "max_order": 2,
        "rows": 100,
        "background": 50,
        "probability_clip": 1e-7,
    },
    "gates": {"n_bootstrap": 200, "attribution_rows": 256, "n_permutations": 3, "rows": 500},
    "embeddings": {"max_rows": 20_000, "max_points": 5000, "projection": "pca", "top_k": 4},
}

# Per analysis: the analyzer, the CLI arguments that parse with every other option defaulted,
# and the CLI's name for a registry parameter where it differs.
SURFACES = {
    "rashomon": (explore_rashomon, ["fisc", "--data", "d.csv", "--target", "y"], {}),
    "interactions": (
        score_interactions,
        ["interactions", "--data", "d.csv", "--target", "y"],
        {},
    ),
    "gates": (analyze_gates, ["gates", "--model", "finalmlp"], {}),
    "embeddings": (
        analyze_embeddings,
        ["embeddings", "--model", "finalmlp"],
        {"projection_points": "points", "n_components": "components"},
    ),
}

# CLI options that describe the input, not the analysis, whatever an analyzer's parameter of
# the same name means (``--groups`` groups the CSV's columns; explore_rashomon's ``groups``
# restricts the analysis to some of them).
CLI_INPUT_OPTIONS = {"data", "target", "groups", "features", "model", "model_name", "out"}


def _cli_defaults(analysis_name: str) -> dict:
    """The parsed defaults of the analysis' subcommand, keyed by the analyzer's names."""
    _, argv, renamed = SURFACES[analysis_name]
    namespace = vars(_parser().parse_args([*argv, "--out", "o"]))
    for name in CLI_INPUT_OPTIONS:
        namespace.pop(name, None)
    for api_name, cli_name in renamed.items():
        namespace[api_name] = namespace.pop(cli_name)
    if "no_interactions" in namespace:
        namespace["compute_interactions"] = not namespace.pop("no_interactions")
    return namespace


def _signature_defaults(function) -> dict:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _effective(analysis_name: str, name: str, value):
    """What a default means: the analyzer's rows=None is a sample of DEFAULT_ROWS rows, the
    registry's "on"/"off" a bool, a CLI's comma list or "none" the analyzer's tuple or None."""
    if analysis_name == "interactions" and name == "rows" and value is None:
        return DEFAULT_ROWS
    if name == "compute_interactions" and isinstance(value, str):
        return value == "on"
    if name == "radii" and isinstance(value, str):
        return tuple(float(v) for v in value.split(","))
    if name == "radii":
        return tuple(value)
    return value


@pytest.mark.parametrize("analysis_name", list(SURFACES))
def test_the_registry_holds_the_analyzers_defaults(analysis_name):
    function, _, _ = SURFACES[analysis_name]
    signature = _signature_defaults(function)
    defaults = analysis(analysis_name).defaults
    shared = [name for name in defaults if name in signature]
    assert len(shared) >= 4, shared
    for name in shared:
        assert _effective(analysis_name, name, defaults[name]) == _effective(
            analysis_name, name, signature[name]
        ), name


@pytest.mark.parametrize("analysis_name", list(SURFACES))
def test_the_cli_holds_the_analyzers_defaults(analysis_name):
    function, _, _ = SURFACES[analysis_name]
    signature = _signature_defaults(function)
    cli = _cli_defaults(analysis_name)
    shared = [name for name in cli if name in signature]
    assert len(shared) >= 4, shared
    for name in shared:
        assert _effective(analysis_name, name, cli[name]) == _effective(
            analysis_name, name, signature[name]
        ), name


@pytest.mark.parametrize("analysis_name", list(SURFACES))
def test_the_cli_and_the_app_agree_on_the_apps_own_parameters(analysis_name):
    """Parameters the analyzer does not take (the gate row sample, the gate site colouring the
    embedding map) have one default in the CLI and the app too."""
    function, _, _ = SURFACES[analysis_name]
    signature = _signature_defaults(function)
    cli = _cli_defaults(analysis_name)
    for name, value in analysis(analysis_name).defaults.items():
        if name not in signature and name in cli:
            assert cli[name] == value, name


@pytest.mark.parametrize("analysis_name", list(PINNED))
def test_the_defaults_are_the_documented_values(analysis_name):
    function, _, _ = SURFACES[analysis_name]
    signature = _signature_defaults(function)
    defaults = analysis(analysis_name).defaults
    cli = _cli_defaults(analysis_name)
    for name, value in PINNED[analysis_name].items():
        assert _effective(analysis_name, name, defaults[name]) == value, name
        if name in signature:
            assert _effective(analysis_name, name, signature[name]) == value, name
        if name in cli:
            assert _effective(analysis_name, name, cli[name]) == value, name


def test_every_command_runs_on_the_same_device_as_the_api():
    for analysis_name, (function, _, _) in SURFACES.items():
        assert _cli_defaults(analysis_name)["device"] == "auto", analysis_name
        if "device" in inspect.signature(function).parameters:
            assert _signature_defaults(function)["device"] == "auto", analysis_name


def test_the_pair_score_and_the_clip_are_one_choice_in_the_cli_and_the_interactions_page():
    """The Interactions page's controls (clip, mean |value| vs signed mean) are options of
    `workbench interactions` and `workbench compare` with the same defaults."""
    from analyzers.interaction_result import InteractionResult
    from app.web.pages import interactions as page

    signature = _signature_defaults(InteractionResult.global_scores)["aggregate"]
    assert signature == page.DEFAULT_AGGREGATE == "mean_abs"
    assert _cli_defaults("interactions")["aggregate"] == signature
    assert page.FORM_PARAMETERS.count("probability_clip") == 1
    clip = PINNED["interactions"]["probability_clip"]
    assert analysis("interactions").defaults["probability_clip"] == clip
    for command in ("interactions", "compare"):
        argv = [command, "--data", "d.csv", "--target", "y", "--out", "o"]
        if command == "compare":
            argv += ["--model", "a", "--model", "b"]
        assert vars(_parser().parse_args(argv))["probability_clip"] == clip, command


def test_the_model_sets_coalition_budget_is_one_default():
    """SII on 14 groups (Adult) stays exact: 2**14 = 16,384 coalitions per row. Sampling at
    14 groups was measured no cheaper (10 draws per interaction: 0.7x the time of exact, with
    noise), so the budget starts sampling at 15 groups (issue 13's model-set cost report)."""
    from analyzers.model_sets import explore_model_set

    budget = _signature_defaults(explore_model_set)["max_coalitions"]
    assert budget == analysis("model_set").defaults["max_coalitions"] == 16_384
    argv = ["rashomon-set", "--data", "d.csv", "--target", "y", "--out", "o"]
    assert vars(_parser().parse_args(argv))["max_coalitions"] == budget


def test_the_optfs_search_defaults_follow_the_paper():
    """OptFS's penalty is λ · Σ_x σ(τ m_x), a sum over values as the paper's code
    (``MaskEmbedding.reg``), whose λ·N (N values) is 0.01..0.07; λ = 1e-4 puts Adult's 160
    values at λ·N = 0.016 and keeps 66 % of them (it was a mean with λ = 1e-3, which kept
    95.6 %). The search runs 10 epochs, all of them (OptFS's README tunes 5..20), with
    τ → 200 (OptFS's final_temp default). Measured in issue 15's OptFS report."""
    from analyzers.optfs_selection import optfs_selection
    from workbench.zoo.optfs import OptFS

    model = _signature_defaults(OptFS)
    assert (model["penalty"], model["final_temperature"], model["mask_init"]) == (1e-4, 200.0, 0.5)
    search_epochs = _signature_defaults(optfs_selection)["search_epochs"]
    assert search_epochs == 10
    argv = ["optfs", "--data", "adult"]
    assert vars(_parser().parse_args(argv))["search_epochs"] == search_epochs


def test_gate_rows_are_the_apps_sample():
    assert GATE_ROWS == PINNED["gates"]["rows"]


def test_the_readme_states_the_default_epsilon_rate():
    readme = (ROOT / "README.md").read_text()
    stated = re.findall(r"Defaults: `epsilon_rate=([0-9.]+)`", readme)
    assert stated, "the README no longer states the default epsilon_rate"
    assert {float(value) for value in stated} == {
        _signature_defaults(explore_rashomon)["epsilon_rate"]
    }


# --- equal settings, equal results -------------------------------------------------------------


@pytest.fixture
def planted_csv(tmp_path):
    """Binary features with a planted a×b interaction in the label."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(rng.integers(0, 2, size=(n, 4)), columns=["a", "b", "c", "d"])
    logit = 2.5 * (frame["a"] * frame["b"]) - 1.0 + 0.8 * frame["c"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path / "planted.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def workspace(tmp_path, planted_csv):
    space = Workspace.create(tmp_path / "ws")
    space.add_data(DataEntry("planted", str(planted_csv), "y"))
    space.add_model(ModelEntry("planted-logistic", "planted", "sample", sample="logistic"))
    space.add_model(ModelEntry("planted-mlp", "planted", "sample", sample="mlp"))
    return space


def _cli_result(command: str, model: str, csv: Path, out: Path) -> dict:
    from app.cli.command import main

    argv = [command, "--data", str(csv), "--target", "y", "--model", model, "--out", str(out)]
    assert (
        main(
            [
                *argv,
                "--formats",
                "",
                "--no-cache",
            ]
        )
        == 0
    )
    return json.loads((out / "result.json").read_text())


def test_rashomon_gives_the_same_numbers_through_api_cli_and_app(workspace, planted_csv, tmp_path):
    from analyzers.rashomon_result import RashomonResult

    model = workspace.model("planted-logistic")
    api = explore_rashomon(model.adapter, model.rows, model_name="logistic")
    app = compute_result(workspace, "rashomon", "planted-logistic", {})
    cli = RashomonResult.from_dict(_cli_result("fisc", "logistic", planted_csv, tmp_path / "fisc"))
    assert api.epsilon == pytest.approx(api.reference_loss * PINNED["rashomon"]["epsilon_rate"])
    assert api.fis_cloud["fis"].abs().max() > 1e-3
    for other in (app, cli):
        assert other.epsilon == api.epsilon
        pd.testing.assert_frame_equal(
            other.fis_cloud.reset_index(drop=True),
            api.fis_cloud.reset_index(drop=True),
            check_dtype=False,
        )


def test_interactions_give_the_same_numbers_through_api_cli_and_app(
    workspace, planted_csv, tmp_path
):
    from analyzers.interaction_result import InteractionResult

    model = workspace.model("planted-mlp")
    api = score_interactions(model.adapter, model.rows, model_name="mlp")
    app = compute_result(workspace, "interactions", "planted-mlp", {})
    cli = InteractionResult.from_dict(
        _cli_result("interactions", "mlp", planted_csv, tmp_path / "sii")
    )
    assert api.global_scores().sort_values("value")["pair"].iloc[-1] == "a × b"  # planted
    for other in (app, cli):
        assert other.settings["rows"] == api.settings["rows"]
        pd.testing.assert_frame_equal(
            other.scores.drop(columns="model").reset_index(drop=True),
            api.scores.drop(columns="model").reset_index(drop=True),
            check_dtype=False,
        )
