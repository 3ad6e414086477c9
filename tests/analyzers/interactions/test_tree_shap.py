"""shap's tree interaction values ×2 against our interventional SII, where the two games agree."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.tree import DecisionTreeRegressor

from analyzers.interactions import score_interactions
from workbench import Dataset, wrap_model
from workbench.errors import ParameterError


@pytest.fixture
def grid():
    """A full factorial grid: every tree node's cover splits like the independent marginals."""
    X = np.array(list(itertools.product([0.0, 1.0, 2.0], [0.0, 1.0], [0.0, 1.0, 2.0], [0.0, 1.0])))
    y = X[:, 0] * X[:, 1] + 0.5 * X[:, 2] - X[:, 3] * X[:, 2]
    return X, y


def test_path_dependent_tree_shap_equals_interventional_sii_on_its_grid(grid):
    # shap's default value function follows the tree's covers (tree_path_dependent); trained
    # on a full grid and explained with that grid as background, the covers are the product
    # of the marginals, so it is the interventional game and SII must agree exactly.
    X, y = grid
    data = Dataset.from_arrays(X, y)
    tree = DecisionTreeRegressor(random_state=0).fit(X, y)
    shap_result = score_interactions(tree, data, "tree", rows=20, random_state=4)
    ours = score_interactions(
        wrap_model(tree, task="regression", device="cpu"),
        data,
        "sii",
        rows=20,
        background=X,
        random_state=4,
    )
    np.testing.assert_allclose(shap_result.scores["value"], ours.scores["value"], atol=1e-9)
    assert list(shap_result.scores["row"]) == list(ours.scores["row"])
    assert shap_result.settings["value_function"] == "path_dependent"


def test_boosted_classifier_agrees_on_the_logit_scale(grid):
    X, y = grid
    labels = (y > 1.5).astype(int)
    data = Dataset.from_arrays(X, labels)
    model = GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0).fit(X, labels)
    shap_result = score_interactions(model, data, "tree", rows=None)
    ours = score_interactions(model, data, "sii", rows=None, background=X)
    assert shap_result.settings["output"] == ours.settings["output"] == "logit"
    # Our adapter sees float32 probabilities, turned back into logits.
    np.testing.assert_allclose(shap_result.scores["value"], ours.scores["value"], atol=1e-5)


def test_tree_index_refuses_adapters_and_the_interventional_option(grid):
    X, y = grid
    data = Dataset.from_arrays(X, y)
    tree = DecisionTreeRegressor(max_depth=2).fit(X, y)
    with pytest.raises(ParameterError, match="needs the fitted tree model itself"):
        score_interactions(wrap_model(tree, task="regression", device="cpu"), data, "tree")
    with pytest.raises(ParameterError, match="use index='sii'"):
        score_interactions(tree, data, "tree", tree_value_function="interventional")
