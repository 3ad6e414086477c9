"""The Shapley cost of a model set: the plan's counts are hand counts, "auto" samples only where
exact needs more coalitions than the budget, and a sampled set agrees with the exact one within
the standard errors it reports (planted pair: y = x1 + x2 + 3·x1·x2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from analyzers.model_sets import FittedSetBuilder, explore_model_set
from analyzers.model_sets.cost import shapley_plan
from workbench import Dataset
from workbench.models import wrap_model

GAME = {"approximator": "auto", "n_samples": 64}


def test_an_exact_plan_counts_every_coalition_of_every_row():
    plan = shapley_plan("sii", 4, n_rows=10, n_background=5, n_members=3, max_coalitions=16, **GAME)
    # 2**4 = 16 coalitions; 16 × 10 × 5 × 3 = 2,400 model rows at most
    assert plan.approximator == "exact" and plan.coalitions_per_row == 16
    assert plan.text() == (
        "SII on 4 groups: exact, 16 coalitions × 10 rows × 5 background rows × 3 members "
        "(at most 2,400 model rows; groups a row shares with a background row are skipped)"
    )


def test_auto_samples_as_many_draws_as_fit_the_budget_when_exact_does_not():
    # 14 groups (Adult): exact is 2**14 = 16,384 coalitions. One draw per interaction costs
    # C(14,1)·2 + C(14,2)·4 = 28 + 364 = 392 coalitions; a budget of 4,096 fits 10 draws.
    plan = shapley_plan(
        "sii", 14, n_rows=100, n_background=50, n_members=8, max_coalitions=4096, **GAME
    )
    assert (plan.approximator, plan.n_samples, plan.coalitions_per_row) == ("sampling", 10, 3920)
    assert plan.text() == (
        "SII on 14 groups: sampled, 10 draws per interaction = 3,920 coalitions × 100 rows × "
        "50 background rows × 8 members (at most 156,800,000 model rows); standard errors "
        "reported"
    )
    # Within the budget, exact; and 64 draws (25,088 coalitions) would cost more than exact.
    at_budget = shapley_plan(
        "sii", 14, n_rows=1, n_background=1, n_members=1, max_coalitions=16_384, **GAME
    )
    assert at_budget.approximator == "exact"


def test_sampling_that_draws_as_many_coalitions_as_exact_stays_exact():
    # 5 groups: 32 exact coalitions; one draw is 5·2 + 10·4 = 50 coalitions already.
    plan = shapley_plan("sii", 5, n_rows=1, n_background=1, n_members=1, max_coalitions=8, **GAME)
    assert plan.approximator == "exact" and plan.coalitions_per_row == 32


def test_stii_samples_its_top_order_and_enumerates_the_lower_ones():
    # top order 2: 3 draws × C(5,2)·4 = 120; lower orders exact: C(5,0) + C(5,1) = 6
    plan = shapley_plan(
        "stii",
        5,
        n_rows=2,
        n_background=2,
        n_members=1,
        approximator="sampling",
        n_samples=3,
        max_coalitions=8,
    )
    assert plan.coalitions_per_row == 126 and plan.n_samples == 3


@pytest.fixture(scope="module")
def planted_pair():
    """Four binary-ish groups; y = x1 + x2 + 3·x1·x2 (x3, x4 are noise), two fitted members."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3", "x4"])
    frame["y"] = X[:, 0] + X[:, 1] + 3 * X[:, 0] * X[:, 1]
    data = Dataset.from_frame(frame, target="y")

    def model(scale):
        def f(x):
            x = torch.as_tensor(x)
            return x[:, 0] + x[:, 1] + scale * x[:, 0] * x[:, 1] + 0.1 * x[:, 2]

        return wrap_model(f, task="regression")

    return data, FittedSetBuilder([model(3.0), model(2.9)], names=["a", "b"])


def test_a_sampled_set_agrees_with_the_exact_one_within_its_standard_errors(planted_pair):
    data, builder = planted_pair
    common = {"epsilon_rate": 10.0, "rows": 12, "background": 10}
    exact = explore_model_set(builder, data, "sii", approximator="exact", **common)
    # 4 groups: "auto" stays exact (one draw costs more than 2**4), so sampling is asked for
    sampled = explore_model_set(
        builder, data, "sii", approximator="sampling", n_samples=40, **common
    )
    assert sampled.settings["shapley_plan"].startswith("SII on 4 groups: sampled, 40 draws")
    assert exact.ranges["pair"].iloc[0] == sampled.ranges["pair"].iloc[0] == "x1 × x2"
    merged = exact.clouds.merge(sampled.clouds, on=["member", "pair"], suffixes=("", "_s"))
    errors = sampled.ranges.set_index("pair")["sampling_error"]
    gap = (merged["value"] - merged["value_s"]).abs().to_numpy()
    bound = 4 * merged["pair"].map(errors).to_numpy() + 1e-9
    assert (gap <= bound).all(), merged.assign(gap=gap, bound=bound)
    assert errors["x1 × x2"] > 0  # an honest, non-zero error on the planted pair
    codes = {d.code: d for d in sampled.diagnostics}
    assert "sampled_shapley" in codes and "sampling_error" in codes["sampled_shapley"].message
    assert "sampled_shapley" not in {d.code for d in exact.diagnostics}
    assert "sampling_error" not in exact.ranges


def test_a_member_reports_its_coalition_batches(planted_pair):
    data, builder = planted_pair
    stages = []
    explore_model_set(
        builder,
        data,
        "sii",
        epsilon_rate=10.0,
        rows=4,
        background=3,
        max_batch_rows=16,
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )
    batches = [s for s in stages if s[0] == "member 2 of 2: coalition batches"]
    assert batches and batches[-1][1] == batches[-1][2] > 1, stages


def test_auto_runs_the_sampled_path_above_the_budget():
    # 11 groups: exact 2**11 = 2,048 > 1,024; a draw costs 11·2 + 55·4 = 242, so 4 draws fit
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(20, 11)), columns=[f"x{i}" for i in range(11)])
    frame["y"] = frame["x0"] * frame["x1"]
    data = Dataset.from_frame(frame, target="y")
    model = wrap_model(
        lambda x: torch.as_tensor(x)[:, 0] * torch.as_tensor(x)[:, 1], task="regression"
    )
    builder = FittedSetBuilder([model, model], names=["a", "b"])
    result = explore_model_set(
        builder, data, "sii", epsilon_rate=1.0, rows=3, background=3, max_coalitions=1024
    )
    assert result.settings["shapley_plan"].startswith(
        "SII on 11 groups: sampled, 4 draws per interaction = 968 coalitions × 3 rows"
    )
    assert result.ranges["sampling_error"].notna().all()


def test_row_counts_read_every_way_rows_are_given():
    from analyzers.model_sets.cost import row_count

    assert row_count(None, 40, 100) == 40  # the default sample, capped at the rows there are
    assert row_count(np.int64(7), 40, 100) == 7
    assert row_count(np.arange(5), 40, 100) == 5
