"""Model sets: retrained and fitted builders, any index over the set, consensus, diagnostics.

Ground truth: y depends on x1·x2 strongly and x3·x4 weakly, x5 not at all (issue 14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from analyzers.model_sets import (
    FittedSetBuilder,
    ModelSetResult,
    RetrainedSetBuilder,
    consensus,
    explore_model_set,
)
from workbench import Dataset
from workbench.errors import ParameterError

GAME = {"rows": 30, "background": 20}


@pytest.fixture(scope="module")
def planted():
    """(train, explained) rows of the planted data, 400 rows seeded."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    logit = 3.0 * X[:, 0] * X[:, 1] + 1.0 * X[:, 2] * X[:, 3]
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
    frame["y"] = (rng.random(400) < 1 / (1 + np.exp(-logit))).astype(int)
    return Dataset.from_frame(frame, target="y").train_test_split(0.25, seed=0)


@pytest.fixture(scope="module")
def boosted_set(planted):
    train, explained = planted
    builder = RetrainedSetBuilder(
        GradientBoostingClassifier(n_estimators=40, max_depth=2),
        train,
        seeds=(0, 1),
        n_bootstrap=3,
    )
    return explore_model_set(builder, explained, "sii", epsilon_rate=0.5, **GAME)


def test_every_retrained_member_ranks_the_planted_pair_first(boosted_set):
    clouds = boosted_set.clouds
    assert boosted_set.n_in_set == 6 and clouds["member"].nunique() == 6
    firsts = clouds.loc[clouds.groupby("member")["strength"].idxmax(), "pair"]
    assert set(firsts) == {"x1 × x2"}
    # Consensus: x1·x2 is above every other pair in every member, and the Hasse diagram's top.
    others = [p for p in boosted_set.ranges["pair"] if p != "x1 × x2"]
    assert all(boosted_set.share_above("x1 × x2", p) == 1.0 for p in others)
    hasse = boosted_set.hasse
    assert "x1 × x2" not in set(hasse["weaker"]) and "x1 × x2" in set(hasse["stronger"])
    assert boosted_set.ranges["pair"].iloc[0] == "x1 × x2"


def test_pairs_with_the_irrelevant_feature_never_enter_the_robust_top_k(boosted_set):
    robust = boosted_set.robust_top_k()
    assert robust[0] == "x1 × x2"
    assert not [p for p in robust if "x5" in p]
    # Bootstrap members differ, so the set is not one model and the ranges are real.
    assert "collapsed_model_set" not in {d.code for d in boosted_set.diagnostics}
    assert (boosted_set.ranges["range"] > 0).all()


def test_a_deterministic_learner_retrained_with_seeds_is_one_model(planted):
    train, explained = planted
    builder = RetrainedSetBuilder(LogisticRegression(), train, seeds=range(5))
    result = explore_model_set(builder, explained, "h2", epsilon_rate=0.1, **GAME)
    assert result.n_in_set == 5
    assert (result.ranges["range"] == 0).all() and (result.ranges["rank_swing"] == 0).all()
    # Consensus total: every two pairs are ordered alike by all members, or tied in all.
    assert set(result.order_shares["share_above"]) <= {0.0, 1.0}
    collapsed = [d for d in result.diagnostics if d.code == "collapsed_model_set"]
    assert collapsed and "5 in-set members are one model" in collapsed[0].message


def test_the_result_round_trips_through_json(boosted_set):
    back = ModelSetResult.from_json(boosted_set.to_json())
    for name in ("members", "clouds", "ranges", "order_shares", "hasse"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(boosted_set, name))
    assert back.to_dict() == boosted_set.to_dict()
    assert back.diagnostics == boosted_set.diagnostics


def test_a_tight_epsilon_leaves_only_the_best_model(planted):
    train, explained = planted
    builder = RetrainedSetBuilder(
        GradientBoostingClassifier(n_estimators=10, max_depth=2), train, n_bootstrap=3
    )
    result = explore_model_set(builder, explained, "h2", epsilon=1e-9, rows=30)
    assert result.n_in_set == 1 and result.members["in_set"].sum() == 1
    best = result.members.loc[result.members["loss"].idxmin(), "member"]
    assert set(result.clouds["member"]) == {best}
    assert {d.code for d in result.diagnostics} == {"empty_model_set"}


def test_a_fitted_leaderboard_with_trees_scores_the_tree_index(planted):
    train, explained = planted
    X, y = train.X.numpy(), train.y.numpy().astype(int)
    models = [
        GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0).fit(X, y),
        RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y),
    ]
    builder = FittedSetBuilder(models, names=["gbt", "forest"], reference=0)
    result = explore_model_set(builder, explained, "tree", epsilon_rate=1.0, top_k=1, rows=30)
    assert result.builder == "fitted" and result.model_names == ("gbt", "forest")
    assert result.reference_loss == result.members.loc[0, "loss"]
    assert result.robust_top_k() == ("x1 × x2",)
    assert "few_models_in_set" in {d.code for d in result.diagnostics}


def test_hasse_edges_drop_what_transitivity_implies():
    # Two members agree on a > b > c; they disagree on d, which each puts differently.
    strengths = np.array([[3.0, 2.0, 1.0, 0.5], [3.0, 2.0, 1.0, 2.5]])
    edges = consensus.hasse_edges(strengths, ["a", "b", "c", "d"])
    assert set(map(tuple, edges.to_numpy())) == {("a", "b"), ("b", "c"), ("a", "d")}
    ranks = consensus.rank_table(strengths, ["a", "b", "c", "d"], top_k=2)
    assert ranks["robust_top_k"].tolist() == [True, False, False, False]
    assert ranks["rank_swing"].tolist() == [0, 1, 1, 2]


def test_bad_builder_arguments_say_which_one(planted):
    train, explained = planted
    with pytest.raises(ParameterError, match="param_grid"):
        RetrainedSetBuilder(LogisticRegression(), train, param_grid={"no_such": [1]}).build(
            explained
        )
    with pytest.raises(ParameterError, match="names: expected 1 names"):
        FittedSetBuilder([LogisticRegression()], names=["a", "b"]).build(explained)
    with pytest.raises(ParameterError, match="top_k"):
        explore_model_set(FittedSetBuilder([]), explained, top_k=0)
