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
