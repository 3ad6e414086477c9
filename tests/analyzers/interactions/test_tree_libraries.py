"""xgboost, lightgbm and scikit-learn's HistGradientBoosting through every interaction index:
the tree index is shap's TreeExplainer ×2 on pairs, and the perturbation indices find a planted
x1·x2 interaction (in memory, as a Booster, and read back from a native file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from analyzers.interactions import score_interactions
from workbench import Dataset
from workbench.models import load_model_file, wrap_model

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")

PLANTED = "x1 × x2"


@pytest.fixture(scope="module")
def planted():
    """Four independent features; the label's log-odds is 3·x1·x2 plus a weak x3 term."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(600, 4)), columns=["x1", "x2", "x3", "x4"])
    logit = 3.0 * frame["x1"] * frame["x2"] + 0.5 * frame["x3"]
    frame["y"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, Dataset.from_frame(frame, target="y")


@pytest.fixture(scope="module")
def xgb_model(planted):
    frame, _ = planted
    model = xgboost.XGBClassifier(n_estimators=40, max_depth=3, learning_rate=0.3)
    return model.fit(frame[["x1", "x2", "x3", "x4"]], frame["y"])


def _tree_models(frame):
    X, y = frame[["x1", "x2", "x3", "x4"]], frame["y"]
    value = frame["x1"] * frame["x2"]
    small = {"n_estimators": 15, "max_depth": 3}
    return {
        "xgb classifier": xgboost.XGBClassifier(**small).fit(X, y),
        "xgb booster": xgboost.XGBRegressor(**small).fit(X, value).get_booster(),
        "lgb classifier": lightgbm.LGBMClassifier(**small, verbose=-1).fit(X, y),
        "lgb booster": lightgbm.LGBMRegressor(**small, verbose=-1).fit(X, value).booster_,
        "hist classifier": HistGradientBoostingClassifier(max_iter=15, max_leaf_nodes=8).fit(X, y),
        "hist regressor": HistGradientBoostingRegressor(max_iter=15, max_leaf_nodes=8).fit(
            X, value
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "xgb classifier",
        "xgb booster",
        "lgb classifier",
        "lgb booster",
        "hist classifier",
        "hist regressor",
    ],
)
def test_tree_index_is_shaps_interaction_values_times_two(kind, planted):
    frame, data = planted
    model = _tree_models(frame.iloc[:300])[kind]
    result = score_interactions(model, data, "tree", rows=12, random_state=1)
    rows = np.asarray(result.settings["rows"])
    explained = data.X.numpy()[rows].astype(np.float64)
    values = np.asarray(shap.TreeExplainer(model).shap_interaction_values(explained))
    if values.ndim == 4:  # one slice per class
        values = values[..., 1]
    expected = [2.0 * values[r, i, j] for r in range(len(rows)) for i, j in _pairs(4)]
    np.testing.assert_allclose(result.scores["value"], expected, rtol=1e-5, atol=1e-6)
    classifier = "classifier" in kind
    assert result.settings["output"] == ("logit" if classifier else "value")


def _pairs(p: int):
    return [(i, j) for i in range(p) for j in range(i + 1, p)]


@pytest.mark.parametrize("index", ["sii", "stii", "ksii", "h2", "fis"])
def test_every_perturbation_index_ranks_the_planted_pair_first(index, planted, xgb_model):
    _, data = planted
    rows = 40 if index != "fis" else 200
    result = score_interactions(
        xgb_model, data, index, rows=rows, background=30, random_state=0, device="cpu"
    )
    ranked = result.global_scores().sort_values("value", ascending=False)["pair"]
    assert ranked.iloc[0] == PLANTED


@pytest.mark.parametrize("library", ["lightgbm", "hist"])
def test_lightgbm_and_hist_gradient_boosting_find_the_planted_pair(library, planted):
    frame, data = planted
    X, y = frame[["x1", "x2", "x3", "x4"]], frame["y"]
    if library == "lightgbm":
        model = lightgbm.LGBMClassifier(n_estimators=40, max_depth=3, verbose=-1).fit(X, y)
    else:
        model = HistGradientBoostingClassifier(max_iter=40, max_depth=3).fit(X, y)
    result = score_interactions(model, data, "sii", rows=30, background=20, device="cpu")
    assert result.global_scores().sort_values("value")["pair"].iloc[-1] == PLANTED


def test_a_native_file_scores_as_the_model_it_was_saved_from(planted, xgb_model, tmp_path):
    _, data = planted
    path = tmp_path / "model.json"
    xgb_model.save_model(str(path))
    loaded = load_model_file(path, device="cpu", feature_names=data.feature_names)
    options = {"rows": 20, "background": 20, "random_state": 3}
    from_file = score_interactions(loaded, data, "sii", **options)
    in_memory = score_interactions(wrap_model(xgb_model, device="cpu"), data, "sii", **options)
    np.testing.assert_allclose(
        from_file.scores["value"], in_memory.scores["value"], rtol=1e-4, atol=1e-5
    )
    tree = score_interactions(xgboost.Booster(model_file=str(path)), data, "tree", rows=20)
    assert tree.global_scores().sort_values("value")["pair"].iloc[-1] == PLANTED


@pytest.mark.slow  # FISC's boundary search and three members: ~10 s on an idle core
def test_fisc_and_a_model_set_run_on_xgboost_models(planted, xgb_model):
    from analyzers.model_sets import FittedSetBuilder, explore_model_set
    from analyzers.rashomon import explore_rashomon

    frame, data = planted
    small = data.subset(np.arange(200))
    adapter = wrap_model(xgb_model, device="cpu")
    fisc = explore_rashomon(adapter, small, n_permutations=3, n_refinements=1, random_state=0)
    strength = fisc.reference_fis.set_index("interaction")["fis"].abs()  # FIS is signed
    assert strength.idxmax() == PLANTED
    X = frame[["x1", "x2", "x3", "x4"]]
    members = [
        xgboost.XGBClassifier(n_estimators=30, max_depth=3, random_state=seed, subsample=0.8)
        .fit(X, frame["y"])
        .get_booster()
        for seed in range(3)
    ]
    result = explore_model_set(
        FittedSetBuilder(members, device="cpu"),
        small,
        "h2",
        epsilon_rate=1.0,
        rows=30,
    )
    assert len(result.members) == 3
    assert result.ranges["pair"].iloc[0] == PLANTED  # strongest mean over the set first
