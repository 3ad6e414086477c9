"""Screen-then-refine: planted pairs are refined, and refined values are the full computation's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analyzers.interactions import score_interactions, screen_and_refine
from analyzers.screen_refine_result import ScreenRefineResult
from workbench.data.planted import PlantedFunction, planted_interactions
from workbench.errors import ParameterError
from workbench.models import wrap_model


@pytest.fixture(autouse=True)
def one_thread():
    # The kernel runs one small focus at a time: on a shared CPU, thread hand-offs cost more
    # than the arithmetic (14x slower at 2 threads under load).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _planted_pairs(planted) -> set[str]:
    return {f"{a} × {b}" for a, b in planted.pairs}


def _check_against_full(planted, result, **full_settings) -> None:
    adapter = wrap_model(planted.model, task="regression", device="cpu")
    full = score_interactions(adapter, planted.dataset, index="fis", **full_settings)
    exact = full.scores.set_index("pair")["value"]
    refined = result.pairs[result.pairs["refined"]].set_index("pair")["refined_value"]
    assert _planted_pairs(planted) <= set(refined.index)
    np.testing.assert_array_equal(refined.to_numpy(), exact[refined.index].to_numpy())


def test_planted_pairs_refined_with_the_full_values():
    planted = planted_interactions(n_rows=96, n_features=14, n_pairs=3, seed=3)
    adapter = wrap_model(planted.model, task="regression", device="cpu")
    settings = {"approximator": "permutation", "n_permutations": 3, "random_state": 5}
    result = screen_and_refine(
        adapter, planted.dataset, top_k=3, screen_rows=48, screen_replicates=3, **settings
    )
    top = set(result.pairs.nsmallest(3, "screen_rank")["pair"])
    assert top == _planted_pairs(planted)
    assert set(result.top(3)["pair"]) == _planted_pairs(planted)
    # Unrefined pairs keep their screen value and error, and no refined value.
    rest = result.pairs[~result.pairs["refined"]]
    assert len(rest) > 0 and rest["refined_value"].isna().all()
    assert (rest["screen_standard_error"] > 0).all()
    _check_against_full(planted, result, **settings)
    back = ScreenRefineResult.from_json(result.to_json())
    assert back.refined_pairs == result.refined_pairs
    np.testing.assert_array_equal(back.pairs["screen_high"], result.pairs["screen_high"])


def test_model_without_interactions_screen_finds_nothing_and_says_so():
    planted = planted_interactions(n_rows=64, n_features=8, n_pairs=0, seed=1)
    # f(x) = x0: replacing any other group changes nothing, so every FIS is 0 in every replicate.
    weights = np.eye(1, 8, dtype=np.float32)[0]
    model = PlantedFunction(weights, np.zeros((0, 2), dtype=np.int64), np.zeros(0, np.float32))
    result = screen_and_refine(
        model, planted.dataset, top_k=2, screen_rows=32, approximator="permutation"
    )
    codes = {d.code for d in result.diagnostics}
    assert "screen_found_nothing" in codes
    assert "ambiguous_boundary" in codes  # every pair's interval reaches the boundary
    assert result.settings["n_refined"] == len(result.pairs)  # so every pair is refined


def test_bad_arguments_name_the_argument():
    planted = planted_interactions(n_rows=16, n_features=4, n_pairs=1)
    with pytest.raises(ParameterError, match="screen_replicates"):
        screen_and_refine(planted.model, planted.dataset, screen_replicates=1)
    with pytest.raises(ParameterError, match="refine_index"):
        screen_and_refine(planted.model, planted.dataset, refine_index="sii")


def test_two_hundred_features_five_planted_pairs():
    """The issue's ground truth: 200 features, 5 planted pairs, all refined, values exact.

    The reference is FIS of all 19,900 pairs: a few seconds through the batched permutation
    path (it took over ten minutes with one kernel focus per pair), so it runs everywhere.
    """
    planted = planted_interactions(n_rows=64, n_features=200, n_pairs=5, seed=0)
    settings = {"approximator": "permutation", "n_permutations": 2, "random_state": 0}
    result = screen_and_refine(
        planted.model,
        planted.dataset,
        top_k=20,
        screen_rows=32,
        screen_replicates=2,
        max_refined=60,
        **settings,
    )
    _check_against_full(planted, result, **settings)
