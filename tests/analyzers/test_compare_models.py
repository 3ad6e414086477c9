"""Comparison across real models: scored through analyzers.interactions, then compared.

Synthetic formulas with known interactions on the factorial data of conftest.py (independent ±1
features), so every index has a closed form: an additive model has no interaction under any of
them, and x2·x3 is the only interacting pair of the planted model.
"""

from __future__ import annotations

import numpy as np
import pytest

from analyzers.compare import compare_models
from analyzers.compare_result import INSIDE_VERDICT, OUTSIDE_VERDICT
from analyzers.rashomon import explore_rashomon
from tests.conftest import factorial_dataset, oracle
from workbench.errors import ParameterError


def additive(x):
    return x[:, 0] + 0.8 * x[:, 1] - 0.6 * x[:, 2] + 0.4 * x[:, 3]


def planted(x):
    return additive(x) + 1.5 * x[:, 1] * x[:, 2]


@pytest.fixture(scope="module")
def data():
    return factorial_dataset(4, formula=planted)


def fitted_tree(formula, data):
    """A full-depth regression tree: on the factorial grid it reproduces the formula exactly."""
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(random_state=0).fit(data.X.numpy(), formula(data.X).numpy())


@pytest.mark.parametrize("index", ["sii", "stii", "ksii", "h2", "fis", "tree"])
def test_a_planted_interaction_and_its_additive_ablation_disagree_exactly_there(data, index):
    # Same main effects, interaction removed: the planted model spends all of its interaction
    # strength on x2 × x3 (share 1), the ablation has none (share 0), every other pair 0 in both.
    # "tree" scores fitted trees with shap's path-dependent TreeExplainer; on this balanced grid
    # its conditional expectations equal the interventional ones, so the same holds.
    make = (lambda f: fitted_tree(f, data)) if index == "tree" else oracle
    models = {"planted": make(planted), "ablation": make(additive)}
    comparison = compare_models(models, data, index, rows=32, background=32, approximator="exact")
    top = comparison.top_disagreements(1).iloc[0]
    assert (top["pair"], top["model_high"]) == ("x2 × x3", "planted")
    assert top["disagreement"] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(comparison.disagreement["disagreement"].iloc[1:], 0.0, atol=1e-6)
    summary = comparison.models_summary.set_index("model")["has_interactions"]
    assert summary["planted"] and not summary["ablation"]


def test_two_copies_of_one_model_agree_perfectly(data):
    def varied(x):  # distinct strengths for every pair, so the ranking is a real one
        return (
            planted(x) + 0.9 * x[:, 0] * x[:, 3] + 0.3 * x[:, 0] * x[:, 1] - 0.6 * x[:, 2] * x[:, 3]
        )

    models = {"one": oracle(varied), "copy": oracle(varied)}
    comparison = compare_models(models, data, "sii", rows=16, background=16, top_k=3)
    (row,) = comparison.agreement.itertuples(index=False)
    assert (row.spearman, row.kendall, row.top_k_overlap) == pytest.approx((1.0, 1.0, 1.0))
    np.testing.assert_array_equal(comparison.disagreement["disagreement"], 0.0)
    assert comparison.settings["dataset_fingerprint"] == data.fingerprint()


def test_rashomon_range_separates_a_copy_from_the_ablation(data):
    # The copy's FIS equals the reference FIS, which lies in its own range; the ablation's
    # x2 × x3 FIS is 0, far from the planted -2·Var(1.5·x2·x3) = -4.5 and its Rashomon range.
    reference = oracle(planted)
    fisc = explore_rashomon(reference, data, epsilon_rate=0.1, approximator="exact")
    models = {"planted": reference, "copy": oracle(planted), "ablation": oracle(additive)}
    comparison = compare_models(
        models, data, "fis", rashomon={"planted": fisc}, approximator="exact"
    )
    rows = comparison.rashomon.set_index(["model", "pair"])
    assert (rows.loc["copy", "verdict"] == INSIDE_VERDICT).all()
    assert rows.loc[("ablation", "x2 × x3"), "verdict"] == OUTSIDE_VERDICT
    planted_range = rows.loc[("ablation", "x2 × x3"), ["range_low", "range_high"]].to_numpy()
    assert planted_range.max() < -1.0
    others = rows.loc["ablation"].drop(index="x2 × x3")
    assert (others["verdict"] == INSIDE_VERDICT).all()


def test_bad_model_sets_give_one_line_errors(data):
    model = oracle(planted)
    cases = [
        (lambda: compare_models({"only": model}, data, "sii"), "at least two models"),
        (lambda: compare_models([model, model], data, "sii"), "mapping of name to model"),
        (
            lambda: compare_models({"a": model, "b": model}, data, "fis", rashomon={"c": None}),
            "unknown model name 'c'",
        ),
        (
            lambda: compare_models({"a": model, "b": model}, data, "h2", rashomon={"a": None}),
            "index 'fis' results only",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ParameterError, match=message) as error:
            call()
        assert "\n" not in str(error.value)
