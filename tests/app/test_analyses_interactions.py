"""The "interactions" analysis of the registry: defaults from the analyzer, parameters passed on."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest

from analyzers.interactions import score_interactions
from app.analyses import analysis
from tests.conftest import factorial_dataset, oracle
from workbench.errors import ParameterError


def product(x):
    return x[:, 0] * x[:, 1] + x[:, 2]


def test_defaults_are_the_analyzers_own_but_the_sample_sizes():
    defaults = analysis("interactions").defaults
    signature = inspect.signature(score_interactions).parameters
    for name in ("index", "max_order", "approximator", "random_state"):
        assert defaults[name] == signature[name].default
    assert (defaults["rows"], defaults["background"]) == (100, 50)


def test_parameters_reach_the_analyzer_under_their_new_names():
    spec = analysis("interactions")
    data = factorial_dataset(3, formula=product)
    model = SimpleNamespace(name="oracle", adapter=oracle(product), rows=data, estimator=None)
    parameters = spec.parameters({"index": "fis", "max_order": 3, "random_state": 1})
    result = spec.compute(model, parameters, None)
    assert result.model_names == ("oracle",) and len(result.pairs) == 3 + 1
    assert result.settings["n_rows"] == data.n_rows  # "fis" scores every row
    with pytest.raises(ParameterError, match="unknown parameter 'order'"):
        spec.parameters({"order": 3})


def test_the_app_offers_the_output_scale_and_keys_results_by_it(xor_workspace):
    from app.analyses import compute_result

    space = xor_workspace("mlp")
    small = {"rows": 20, "background": 10}
    natural = compute_result(space, "interactions", "xor-mlp", small)
    probability = compute_result(
        space, "interactions", "xor-mlp", {**small, "output": "probability"}
    )
    assert natural.settings["output"] == "logit"
    assert probability.settings["output"] == "probability"
    assert len(space.store.entries("interactions")) == 2  # two scales, two stored results
    # A probability is squashed: its interactions are smaller than on the logit scale.
    strength = {
        r.settings["output"]: r.global_scores()["value"].max() for r in (natural, probability)
    }
    assert 0 < strength["probability"] < strength["logit"]
    with pytest.raises(ParameterError, match="output: expected one of"):
        analysis("interactions").parameters({"output": "raw"})
