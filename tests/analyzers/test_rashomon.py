"""FISC against closed forms (fisc.md section 1) on designs where they hold exactly.

``factorial_dataset`` holds every ±1 combination of the features with balanced noise, so the
features are exactly independent with variance 1 under the empirical distribution, and
L(f_m) − L* = E[(f_m − f)²] for an oracle f. With the exact approximator there is no sampling noise,
so the expectations below hold to float precision, not "approximately".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from analyzers.rashomon import explore_rashomon
from analyzers.rashomon_result import RashomonResult
from tests.conftest import factorial_dataset, oracle
from workbench import Dataset
from workbench.errors import ParameterError

SEARCH_RESOLUTION = 1e-4  # the last of 4 refinements of a 0.1 step


def product_plus_linear(x):
    return x[:, 0] * x[:, 1] + x[:, 2]


@pytest.fixture(scope="module")
def product_result() -> RashomonResult:
    dataset = factorial_dataset(3, formula=product_plus_linear)
    return explore_rashomon(
        oracle(product_plus_linear), dataset, epsilon_rate=0.4, approximator="exact"
    )


def test_reference_fis_of_a_product_is_minus_twice_the_variance_product(product_result):
    fis = product_result.reference_fis.set_index("interaction")["fis"]
    # FIS_12 = -2 Var(x1) Var(x2) = -2; x3 enters additively: FIS_13 = FIS_23 = 0.
    assert fis["x1 × x2"] == pytest.approx(-2.0, abs=1e-9)
    assert fis["x1 × x3"] == pytest.approx(0.0, abs=1e-9)
    assert fis["x2 × x3"] == pytest.approx(0.0, abs=1e-9)


def test_fis_of_each_joint_model_is_computed_on_that_model(product_result):
    # f_m = a x1 x2 + x3 with a = m1 m2, against y = x1 x2 + x3 + noise: replacing x1, x2 or
    # both gives E[(a x1' x2 - x1 x2)^2] - (a - 1)^2 = 2a, so FIS_12(f_m) = 2a - 4a = -2 m1 m2.
    # The reference code's "mixed" score (joint effect of f_m minus main effects of the
    # single-mask models, fisc.md B5) gives 2 (m1 m2 - m1 - m2) instead, which this rejects.
    cloud = product_result.fis_cloud.query("interaction == 'x1 × x2'")
    expected = -2.0 * cloud["mask_1"] * cloud["mask_2"]
    np.testing.assert_allclose(cloud["fis"], expected, rtol=1e-6)  # float32 model
    assert len(cloud) == 36
    assert (product_result.fis_cloud.query("interaction != 'x1 × x2'")["fis"].abs() < 1e-9).all()


def test_boundary_masks_match_the_closed_form_loss_curve(product_result):
    # Scaling one group by m raises the loss by c (m - 1)^2 with c = E[g_i^2] = 1 here,
    # so the boundary for budget t·ε sits at 1 ± sqrt(t ε).
    eps = product_result.epsilon
    bounds = product_result.boundaries
    expected = 1 + np.where(bounds["direction"] == "+", 1, -1) * np.sqrt(bounds["t"] * eps)
    # The search approaches from inside: within one final step of the boundary, never past it.
    distance_inside = np.where(
        bounds["direction"] == "+", expected - bounds["mask"], bounds["mask"] - expected
    )
    assert (distance_inside >= -1e-12).all()
    assert (distance_inside <= SEARCH_RESOLUTION + 1e-9).all()


def test_boundary_masks_are_the_last_point_of_the_search_grid_inside_the_budget():
    # Steps of 0.1 refined 4 times (0.1, 0.01, 0.001, 0.0001), m never reset: the search stops
    # on the last multiple of 1e-4 from 1 whose loss increase (m − 1)² stays below t·ε, i.e.
    # |m − 1| = floor(sqrt(t ε) / 1e-4) · 1e-4. ε = 0.037 keeps sqrt(t ε) off that grid (at
    # least 0.03 grid steps away), so float rounding cannot tip a point either way. One more
    # refinement would land up to 9e-5 further out.
    result = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon=0.037,
        approximator="exact",
        interactions=[("x1", "x3")],
    )
    bounds = result.boundaries
    sign = np.where(bounds["direction"] == "+", 1.0, -1.0)
    grid_steps = np.floor(np.sqrt(bounds["t"] * 0.037) / SEARCH_RESOLUTION)
    np.testing.assert_allclose(
        bounds["mask"], 1 + sign * grid_steps * SEARCH_RESOLUTION, atol=1e-12
    )


def test_each_main_effect_of_a_joint_model_belongs_to_its_own_group(product_result):
    # On f_m = m1 x1 x2 + m3 x3, replacing x1 alone raises the loss by 2 m1 and x3 alone by
    # 2 m3 (the same algebra as for the product above). The two masks differ at every split
    # but 5:5, so main effects swapped between the groups of a pair are off by 2 |m1 − m3|.
    for label in ("x1 × x3", "x2 × x3"):
        cloud = product_result.fis_cloud[product_result.fis_cloud["interaction"] == label]
        assert (cloud["mask_1"] - cloud["mask_2"]).abs().max() > 0.1
        np.testing.assert_allclose(cloud["main_effect_1"], 2 * cloud["mask_1"], atol=1e-6)
        np.testing.assert_allclose(cloud["main_effect_2"], 2 * cloud["mask_2"], atol=1e-6)


def test_every_accepted_step_stays_inside_its_budget(product_result):
    trace = product_result.trace
    assert len(trace) > 0
    assert (trace["loss_increase"] < trace["t"] * product_result.epsilon).all()
    bounds = product_result.boundaries
    assert (bounds["loss_increase"] < bounds["budget"] + 1e-15).all()


def test_boundaries_are_monotone_because_the_mask_is_never_reset(product_result):
    for (_, direction), rows in product_result.boundaries.groupby(["group", "direction"]):
        steps = np.diff(rows.sort_values("t")["mask"].to_numpy())
        assert (steps >= 0).all() if direction == "+" else (steps <= 0).all()


def test_halo_of_a_non_interacting_pair_lies_on_the_ring(product_result):
    cloud = product_result.fis_cloud.query("interaction == 'x1 × x3'")
    ratio = cloud["loss_increase"] / product_result.epsilon
    np.testing.assert_allclose(ratio, 1.0, atol=0.01)


def test_halo_of_a_product_pair_bulges_in_same_sign_quadrants(product_result):
    cloud = product_result.fis_cloud.query("interaction == 'x1 × x2'")
    ratio = cloud["loss_increase"] / product_result.epsilon
    same_sign = cloud["signs"].isin(["++", "--"])
    assert (ratio[same_sign] > 1.0).all()
    assert (ratio[~same_sign] < 1.0).all()
    assert not cloud.loc[same_sign, "in_set"].any()
    assert cloud.loc[~same_sign, "in_set"].all()


def test_additive_model_on_independent_features_scores_zero_everywhere():
    additive = lambda x: x[:, 0] + 2 * x[:, 1] - x[:, 2]  # noqa: E731
    result = explore_rashomon(
        oracle(additive),
        factorial_dataset(3, formula=additive),
        epsilon_rate=0.2,
        approximator="exact",
    )
    assert result.fis_cloud["fis"].abs().max() < 1e-9
    assert result.reference_fis["fis"].abs().max() < 1e-9


def test_correlated_additive_pair_does_not_score_zero(rng):
    # Permuting x1 and x2 separately breaks their correlation, so the joint effect gains a
    # cross term: for f = x1 + x2, FIS_12 = +2 Cov(x1, x2) (fisc.md section 1), not 0.
    x1 = rng.choice([-1.0, 1.0], size=400)
    x2 = np.where(rng.random(400) < 0.8, x1, -x1)  # correlated copy
    X = np.column_stack([x1, x2])
    y = x1 + x2 + rng.normal(scale=0.3, size=400)
    additive = lambda x: x[:, 0] + x[:, 1]  # noqa: E731
    result = explore_rashomon(
        oracle(additive), Dataset.from_arrays(X, y), epsilon_rate=0.1, approximator="exact"
    )
    covariance = np.mean(x1 * x2) - x1.mean() * x2.mean()
    assert result.reference_fis["fis"].iloc[0] == pytest.approx(2 * covariance, rel=1e-6)
    assert covariance > 0.5


def test_ignored_feature_is_dropped_and_never_walked():
    formula = lambda x: x[:, 0] * x[:, 1]  # noqa: E731  (x3 ignored)
    result = explore_rashomon(
        oracle(formula),
        factorial_dataset(3, formula=formula),
        epsilon_rate=0.3,
        approximator="exact",
    )
    assert result.dropped_groups == ("x3",)
    assert "x3" not in set(result.boundaries["group"]) | set(result.trace["group"])
    assert list(result.interactions) == ["x1 × x2"]
    asked = explore_rashomon(
        oracle(formula),
        factorial_dataset(3, formula=formula),
        epsilon_rate=0.3,
        approximator="exact",
        interactions=[("x1", "x3"), ("x1", "x2")],
    )
    assert list(asked.interactions) == ["x1 × x2"]
    assert asked.extra["skipped_interactions"] == ["x1 × x3"]


def test_third_order_fis_of_a_triple_product():
    # f = x1 x2 x3 has one ANOVA component, so φ_S = 2 for every non-empty S and
    # FIS_123 = φ_123 - φ_1 - φ_2 - φ_3 = -4; on f_m = a x1 x2 x3 every φ_S is 2a, so the
    # joint models score -4 m1 m2 m3. The 36 splits × 8 signs give 288 models.
    formula = lambda x: x[:, 0] * x[:, 1] * x[:, 2]  # noqa: E731
    result = explore_rashomon(
        oracle(formula),
        factorial_dataset(3, formula=formula),
        epsilon_rate=0.3,
        order=3,
        approximator="exact",
    )
    assert result.reference_fis["fis"].iloc[0] == pytest.approx(-4.0, abs=1e-9)
    cloud = result.fis_cloud
    assert len(cloud) == 288
    expected = -4.0 * cloud["mask_1"] * cloud["mask_2"] * cloud["mask_3"]
    np.testing.assert_allclose(cloud["fis"], expected, rtol=1e-6)


def test_extra_rings_scale_the_budget():
    result = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        radii=(0.5, 1.0),
        approximator="exact",
        interactions=[("x1", "x3")],
    )
    cloud = result.fis_cloud
    for radius in (0.5, 1.0):
        ratio = cloud.query("radius == @radius")["loss_increase"] / result.epsilon
        np.testing.assert_allclose(ratio, radius, atol=0.01)


def test_batching_is_invisible():
    dataset = factorial_dataset(3, formula=product_plus_linear)
    kwargs = dict(epsilon_rate=0.4, approximator="permutation", n_permutations=5, random_state=3)
    tiny = explore_rashomon(oracle(product_plus_linear), dataset, max_batch_rows=1, **kwargs)
    large = explore_rashomon(oracle(product_plus_linear), dataset, max_batch_rows=10**5, **kwargs)
    for name in ("boundaries", "fis_cloud", "main_effect_cloud"):
        left, right = getattr(tiny, name), getattr(large, name)
        numeric = left.select_dtypes("number").columns
        np.testing.assert_allclose(left[numeric], right[numeric], rtol=1e-6, atol=1e-12)


def test_absolute_option_reports_magnitudes(product_result):
    absolute = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        approximator="exact",
        absolute=True,
    )
    np.testing.assert_allclose(absolute.fis_cloud["fis"], product_result.fis_cloud["fis"].abs())


def test_result_round_trips_through_json(product_result):
    again = RashomonResult.from_json(product_result.to_json())
    assert again.epsilon == product_result.epsilon
    assert again.settings == product_result.settings
    pd.testing.assert_frame_equal(again.fis_cloud, product_result.fis_cloud, check_dtype=False)
    pd.testing.assert_frame_equal(again.summary(), product_result.summary(), check_dtype=False)


def test_relative_epsilon_with_zero_reference_loss_is_a_clear_error():
    formula = lambda x: x[:, 0] + x[:, 1]  # noqa: E731
    noise_free = factorial_dataset(2, noise=0.0, formula=formula)
    with pytest.raises(ParameterError, match=r"reference loss is 0.*epsilon="):
        explore_rashomon(oracle(formula), noise_free, epsilon_rate=0.1)
    result = explore_rashomon(oracle(formula), noise_free, epsilon=0.05, approximator="exact")
    assert result.epsilon == 0.05


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delta": 0.3}, "delta"),
        ({"epsilon_rate": -0.1}, "epsilon_rate"),
        ({"order": 4}, "order"),
        ({"groups": ["nope"]}, "unknown group 'nope'"),
        ({"interactions": [("x1", "zz")]}, "unknown group 'zz'"),
        ({"radii": [0]}, "radii"),
        ({"approximator": "fast"}, "approximator"),
    ],
)
def test_bad_parameters_get_one_line_errors(kwargs, message):
    dataset = factorial_dataset(2, formula=lambda x: x[:, 0])
    with pytest.raises(ParameterError, match=message) as error:
        explore_rashomon(oracle(lambda x: x[:, 0] + x[:, 1]), dataset, **kwargs)
    assert "\n" not in str(error.value)


def test_multiclass_and_cpu_models_run_through_the_same_kernel(rng):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from workbench import wrap_model

    X = rng.integers(0, 2, size=(300, 3)).astype(float)
    y = (X[:, 0] + X[:, 1] * X[:, 2] + (rng.random(300) < 0.2)).astype(int)  # classes 0..2
    dataset = Dataset.from_arrays(X, y)
    for estimator in (LogisticRegression(max_iter=500), RandomForestClassifier(20, random_state=0)):
        fitted = estimator.fit(X, y)
        result = explore_rashomon(
            wrap_model(fitted, device="cpu"), dataset, epsilon_rate=0.1, approximator="exact"
        )
        expected = log_loss(y, fitted.predict_proba(X))
        assert result.reference_loss == pytest.approx(expected, rel=1e-5)
        assert len(result.fis_cloud) == 3 * 36


def test_main_effect_cloud_is_each_models_own_main_effect(product_result):
    # f_m = x1 x2 + m x3 (or m x1 x2 + x3): replacing the scaled group gives
    # E[(m g' - g)^2] - (m - 1)^2 = 2m. The reference code's cache (fisc.md B4) returned
    # another feature's effect here.
    cloud = product_result.main_effect_cloud
    np.testing.assert_allclose(cloud["main_effect"], 2.0 * cloud["mask"], rtol=1e-6)
    assert set(cloud["group"]) == {"x1", "x2", "x3"}
    assert len(cloud) == 3 * 2 * 11  # groups × directions × boundary fractions


def test_any_delta_that_divides_one_builds_its_own_splits():
    # The reference code hard-codes tenths and crashes for other δ (fisc.md B2).
    result = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        approximator="exact",
        delta=0.25,
        interactions=[("x1", "x3")],
    )
    cloud = result.fis_cloud
    assert sorted(set(cloud["split"])) == ["1:3", "2:2", "3:1"]
    assert len(cloud) == 3 * 4
    np.testing.assert_allclose(cloud["loss_increase"] / result.epsilon, 1.0, atol=0.01)
    assert sorted(set(result.boundaries["t"])) == [0.0, 0.25, 0.5, 0.75, 1.0]


# ---------------------------------------------------------------------------- protocol and names
def test_result_follows_the_result_protocol(product_result):
    assert product_result.kind == "rashomon"
    assert product_result.model_names == ("model",) and product_result.model_name == "model"
    assert product_result.seconds > 0
    assert product_result.to_frame() is product_result.fis_cloud
    named = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        approximator="exact",
        model_name="mlp",
        interactions=[("x1", "x2")],
    )
    again = RashomonResult.from_dict(named.to_dict())
    assert again.model_names == ("mlp",)
    assert again.diagnostics == named.diagnostics


def test_old_parameter_names_still_work_with_a_future_warning():
    dataset = factorial_dataset(3, formula=product_plus_linear)
    kwargs = dict(epsilon_rate=0.4, n_permutations=3, interactions=[("x1", "x2")])
    with pytest.warns(FutureWarning, match="estimator= is renamed approximator="):
        with pytest.warns(FutureWarning, match="seed= is renamed random_state="):
            old = explore_rashomon(
                oracle(product_plus_linear), dataset, estimator="permutation", seed=4, **kwargs
            )
    new = explore_rashomon(
        oracle(product_plus_linear), dataset, approximator="permutation", random_state=4, **kwargs
    )
    pd.testing.assert_frame_equal(old.fis_cloud, new.fis_cloud)
    assert new.settings["approximator"] == "permutation" and new.settings["random_state"] == 4


def test_order_three_scores_only_triples_not_pairs():
    # ``order`` is the one order analysed (not shapiq's max_order): order=3 gives no pairs.
    result = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        order=3,
        approximator="exact",
    )
    assert set(result.reference_fis["order"]) == {3}
    assert set(result.fis_cloud["order"]) == {3}


# ---------------------------------------------------------------------------- diagnostics
def codes(result) -> set[str]:
    return {d.code for d in result.diagnostics}


def test_a_well_behaved_exploration_has_no_diagnostics(product_result):
    assert product_result.diagnostics == ()


def test_boosted_trees_over_binary_features_are_a_flat_model_class(rng):
    from sklearn.ensemble import GradientBoostingClassifier

    from workbench import wrap_model

    # Scaling a 0/1 input by m > 0.5 crosses no split threshold: the loss stays flat along
    # every mask axis, every search stalls, and the sampled models all predict like f*.
    X = rng.integers(0, 2, size=(300, 4)).astype(float)
    y = ((X[:, 0] + X[:, 1] * X[:, 2] + (rng.random(300) < 0.2)) > 1).astype(int)
    trees = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    result = explore_rashomon(
        wrap_model(trees, device="cpu"), Dataset.from_arrays(X, y), approximator="exact"
    )
    assert set(result.boundaries.query("t > 0")["stop"]) == {"stall"}
    (flat,) = [d for d in result.diagnostics if d.code == "flat_model_class"]
    assert flat.severity == "warning" and "8 of 8" in flat.message  # 4 groups × 2 directions
    assert "permutation FIS or Shapley" in flat.message and "Interactions page" in flat.message
    # "Most", not "all": one search that ends at a split threshold (compas-gbt has one) does
    # not make the class less flat.
    from analyzers.rashomon_diagnostics import rashomon_diagnostics

    walks = result.boundaries.copy()
    first = (walks["group"] == walks["group"].iloc[0]) & (walks["direction"] == "+")
    walks.loc[first, "stop"] = "boundary"
    mostly = rashomon_diagnostics(dataclasses.replace(result, boundaries=walks))
    assert "7 of 8" in next(d for d in mostly if d.code == "flat_model_class").message


def test_searches_stalled_on_some_groups_only_are_named():
    # sign(m x) = sign(x) for every m > 0: the "+" walks of x1 and x2 find no boundary (their
    # "-" walks stop where m crosses 0); x3 enters linearly.
    formula = lambda x: torch.sign(x[:, 0]) * torch.sign(x[:, 1]) + x[:, 2]  # noqa: E731
    result = explore_rashomon(
        oracle(formula), factorial_dataset(3, formula=formula), epsilon_rate=0.2
    )
    assert "flat_model_class" not in codes(result)
    (stalled,) = [d for d in result.diagnostics if d.code == "boundary_search_stalled"]
    assert stalled.severity == "info"
    assert stalled.message.startswith("2 of 6") and stalled.message.endswith("x1 (+), x2 (+)")


def test_an_interaction_with_no_joint_model_inside_the_set_is_flagged():
    dataset = factorial_dataset(3, formula=product_plus_linear)
    kwargs = dict(epsilon_rate=0.4, approximator="exact", interactions=[("x1", "x3")])
    # A single ring at 2ε: every joint model lies outside the set (L − L* ≈ 2ε).
    outside = explore_rashomon(oracle(product_plus_linear), dataset, radii=(2.0,), **kwargs)
    assert not outside.fis_cloud["in_set"].any()
    (flag,) = [d for d in outside.diagnostics if d.code == "interaction_outside_set"]
    assert "x1 × x3" in flag.message
    both = explore_rashomon(oracle(product_plus_linear), dataset, radii=(1.0, 2.0), **kwargs)
    assert "interaction_outside_set" not in codes(both)


def test_dropped_groups_skipped_and_missing_interactions_are_flagged():
    formula = lambda x: x[:, 0] * x[:, 1]  # noqa: E731  (x3 ignored)
    dataset = factorial_dataset(3, formula=formula)
    asked = explore_rashomon(
        oracle(formula),
        dataset,
        epsilon_rate=0.3,
        approximator="exact",
        interactions=[("x1", "x3")],
    )
    assert codes(asked) == {"insensitive_groups_dropped", "interactions_skipped", "no_interactions"}
    dropped = next(d for d in asked.diagnostics if d.code == "insensitive_groups_dropped")
    assert dropped.severity == "info" and dropped.message.endswith(": x3")


# ---------------------------------------------------------------------------- summary
def test_summary_ranges_over_the_models_in_the_set_by_default(product_result):
    # x1 × x2: the opposite-sign quadrants are in the set, the same-sign ones are not
    # (test above); FIS = −2 m1 m2 on each model and −2 on the reference, which is in its own set.
    cloud = product_result.fis_cloud.query("interaction == 'x1 × x2'")
    inside = cloud[cloud["signs"].isin(["+-", "-+"])]
    expected_in_set = np.append(-2.0 * inside["mask_1"] * inside["mask_2"], -2.0)
    expected_all = np.append(-2.0 * cloud["mask_1"] * cloud["mask_2"], -2.0)
    summary = product_result.summary().set_index("interaction")
    row = summary.loc["x1 × x2"]
    assert row["min"] == pytest.approx(expected_in_set.min(), rel=1e-6)
    assert row["max"] == pytest.approx(expected_in_set.max(), rel=1e-6)
    assert (row["n_models"], row["n_in_set"], row["n_sampled"]) == (19, 18, 36)
    assert "in the set" in summary.attrs["ranges_over"]
    assert set(summary["ranges_over"]) == {summary.attrs["ranges_over"]}
    everything = product_result.summary(include_outside=True).set_index("interaction")
    assert everything.loc["x1 × x2", "min"] == pytest.approx(expected_all.min(), rel=1e-6)
    assert everything.loc["x1 × x2", "range"] > row["range"]
    assert "every sampled model" in everything.attrs["ranges_over"]
    with pytest.warns(FutureWarning, match="include_outside"):
        old = product_result.summary(in_set_only=False)
    pd.testing.assert_frame_equal(old, product_result.summary(include_outside=True))


def test_interactions_with_few_models_in_the_set_are_flagged_not_ranked():
    # At a single ring of 2ε every x1 × x3 model sits at L − L* ≈ 2ε, outside the set; the
    # opposite-sign x1 × x2 models stay inside (≈ 0.16 · 2ε). The empty pair would rank first
    # by range over all models; in the set it has only the reference, so it is flagged.
    result = explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        approximator="exact",
        radii=(2.0,),
        interactions=[("x1", "x3"), ("x1", "x2")],
    )
    summary = result.summary()
    assert list(summary["interaction"]) == ["x1 × x2", "x1 × x3"]
    assert list(summary["few_models"]) == [False, True]
    assert summary["rank"].iloc[0] == 1 and pd.isna(summary["rank"].iloc[1])
    assert summary["n_in_set"].iloc[1] == 0 and summary["range"].iloc[1] == 0.0


def test_a_pair_with_some_but_too_few_models_in_the_set_gets_a_diagnostic(product_result):
    from analyzers.rashomon_diagnostics import rashomon_diagnostics
    from analyzers.rashomon_result import MIN_IN_SET_MODELS

    cloud = product_result.fis_cloud.copy()
    pair = cloud["interaction"] == "x1 × x3"
    kept = cloud.index[pair & cloud["in_set"]][: MIN_IN_SET_MODELS - 1]
    cloud.loc[pair, "in_set"] = cloud.index[pair].isin(kept)
    few = dataclasses.replace(product_result, fis_cloud=cloud)
    (flag,) = rashomon_diagnostics(few)
    assert flag.code == "few_models_in_set"
    assert flag.message.endswith(f"x1 × x3 ({MIN_IN_SET_MODELS - 1})")
    assert few.summary().set_index("interaction").loc["x1 × x3", "few_models"]
