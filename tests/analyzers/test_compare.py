"""Comparison across models: alignment, shares, rank agreement, disagreement, Rashomon verdicts.

Expected numbers are derived by hand in the comments; end-to-end tests with real models (scored
through ``analyzers.interactions``) are in test_compare_models.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analyzers.compare import compare_results
from analyzers.compare_result import (
    INSIDE_VERDICT,
    NOT_ANALYSED_VERDICT,
    OUTSIDE_VERDICT,
    ComparisonResult,
)
from analyzers.interaction_result import InteractionResult
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError

GROUPS = ("a", "b", "c", "d")
PAIRS = ("a × b", "a × c", "a × d", "b × c", "b × d", "c × d")


def global_result(model, values, index="sii", groups=GROUPS, settings=None):
    """A global (one value per pair) result with the given values, pairs in the given order."""
    scores = pd.DataFrame(
        {"model": model, "index": index, "pair": list(values), "value": list(values.values())}
    )
    return InteractionResult(model, index, groups, scores, pd.DataFrame(), settings or {}, 0.0)


def local_result(model, values, index="sii"):
    """A local result: values is (rows, pairs), over PAIRS."""
    n_rows, n_pairs = values.shape
    scores = pd.DataFrame(
        {
            "model": model,
            "index": index,
            "pair": list(PAIRS[:n_pairs]) * n_rows,
            "value": values.reshape(-1),
            "row": pd.array(np.repeat(np.arange(n_rows), n_pairs), dtype="Int64"),
        }
    )
    return InteractionResult(model, index, GROUPS, scores, pd.DataFrame(), {}, 0.0)


def rashomon_result(reference_fis, clouds, absolute=False):
    """A FISC result with only the frames ``summary()`` reads.

    clouds: interaction -> list of (fis, in_set) of the sampled joint models.
    """
    reference = pd.DataFrame(
        {"interaction": list(reference_fis), "order": 2, "fis": list(reference_fis.values())}
    )
    cloud = pd.DataFrame(
        [
            {"model_id": i, "interaction": name, "fis": fis, "in_set": in_set}
            for name, points in clouds.items()
            for i, (fis, in_set) in enumerate(points)
        ]
    )
    return RashomonResult(
        model_names=("mlp",),
        reference_loss=1.0,
        epsilon=0.1,
        group_names=GROUPS,
        dropped_groups=(),
        settings={"loss": "mse", "absolute": absolute},
        seconds=0.0,
        reference_main_effects=pd.DataFrame(),
        reference_fis=reference,
        boundaries=pd.DataFrame(),
        trace=pd.DataFrame(),
        main_effect_cloud=pd.DataFrame(),
        fis_cloud=cloud,
    )


def test_two_copies_of_one_model_agree_perfectly(rng):
    values = rng.normal(size=(7, len(PAIRS)))
    comparison = compare_results(
        [local_result("mlp", values), local_result("copy", values)], top_k=3
    )
    (agreement,) = comparison.agreement.itertuples(index=False)
    assert agreement.spearman == pytest.approx(1.0)
    assert agreement.kendall == pytest.approx(1.0)
    assert agreement.top_k_overlap == 1.0
    assert agreement.n_pairs == len(PAIRS)
    np.testing.assert_array_equal(comparison.disagreement["disagreement"], 0.0)
    np.testing.assert_array_equal(comparison.disagreement["value_range"], 0.0)
    assert_frame_equal(comparison.to_frame(), comparison.table)
    wide = comparison.wide_table("share")
    np.testing.assert_allclose(wide["mlp"].sum(), 1.0)
    assert_frame_equal(
        comparison.agreement_matrix("kendall"),
        pd.DataFrame(1.0, index=["mlp", "copy"], columns=["mlp", "copy"]),
    )


def test_a_planted_interaction_and_its_ablation_disagree_on_that_pair_only():
    # The ablation's pairs are rounding noise: it has no interactions, so its shares are 0
    # (not noise divided by noise), and the planted pair is the whole of the other's budget.
    planted = dict.fromkeys(PAIRS, 1e-13) | {"b × c": 2.5}
    ablation = dict.fromkeys(PAIRS, 1e-13) | {"a × d": 3e-13}
    comparison = compare_results(
        [global_result("planted", planted), global_result("additive", ablation)]
    )
    top = comparison.top_disagreements(1).iloc[0]
    assert (top["pair"], top["model_high"], top["model_low"]) == ("b × c", "planted", "additive")
    assert top["disagreement"] == pytest.approx(1.0, abs=1e-12)
    others = comparison.disagreement["disagreement"].iloc[1:]
    np.testing.assert_allclose(others, 0.0, atol=1e-12)
    summary = comparison.models_summary.set_index("model")
    assert summary.loc["planted", "has_interactions"]
    assert not summary.loc["additive", "has_interactions"]
    assert comparison.agreement["spearman"].isna().all()


def test_shares_and_ranks_by_hand():
    # Signed mean: strengths 3, 1, 0 (total 4) -> shares 0.75, -0.25, 0; ranks by strength.
    values = {"a × b": 3.0, "a × c": -1.0, "b × c": 0.0}
    other = {"a × b": 1.0, "a × c": 1.0, "b × c": 2.0}
    comparison = compare_results(
        [
            global_result("m", values, groups=("a", "b", "c")),
            global_result("n", other, groups=("a", "b", "c")),
        ],
        aggregate="mean",
    )
    table = comparison.table.set_index(["model", "pair"])
    np.testing.assert_allclose(table.loc["m", "share"], [0.75, -0.25, 0.0])
    np.testing.assert_allclose(table.loc["n", "share"], [0.25, 0.25, 0.5])
    assert list(table.loc["m", "rank"]) == [1, 2, 3]
    assert list(table.loc["n", "rank"]) == [2, 2, 1]  # tied strengths share the better rank
    # Disagreement = max - min share: a × b 0.75 - 0.25, a × c 0.25 + 0.25, b × c 0.5 - 0.
    disagreement = comparison.disagreement.set_index("pair")["disagreement"]
    np.testing.assert_allclose(disagreement[["a × b", "a × c", "b × c"]], [0.5, 0.5, 0.5])
    assert comparison.disagreement.loc[0, "model_high"] == "m"


@pytest.mark.parametrize(
    ("a", "b", "spearman", "kendall", "overlap"),
    [
        # Reversed order: rho = tau = -1, the top 2 share nothing.
        ([3, 2, 1, 0.5], [0.5, 1, 2, 3], -1.0, -1.0, 0.0),
        # Two neighbours swapped twice: rho = 1 - 6·4/(4·15) = 0.6; tau = (4 - 2)/6.
        ([4, 3, 2, 1], [3, 4, 1, 2], 0.6, 1 / 3, 1.0),
    ],
)
def test_rank_agreement_by_hand(a, b, spearman, kendall, overlap):
    pairs = PAIRS[:4]
    comparison = compare_results(
        [
            global_result("a", dict(zip(pairs, a, strict=True))),
            global_result("b", dict(zip(pairs, b, strict=True))),
        ],
        top_k=2,
    )
    (row,) = comparison.agreement.itertuples(index=False)
    assert row.spearman == pytest.approx(spearman)
    assert row.kendall == pytest.approx(kendall)
    assert row.top_k_overlap == overlap


def test_pairs_are_restricted_to_those_every_model_scored():
    first = global_result("x", {"a × b": 1.0, "a × c": 2.0, "b × c": 3.0})
    second = global_result("y", {"b × c": 30.0, "a × b": 10.0})
    third = global_result("z", {"a × b": 5.0, "a × c": 2.0, "b × c": np.nan})
    comparison = compare_results([first, second])
    assert comparison.pairs == ("a × b", "b × c")
    np.testing.assert_allclose(comparison.wide_table("value")["y"], [10.0, 30.0])
    assert comparison.settings["unaligned_pairs"] == ["a × c"]
    # A pair an index could not score (NaN) is left out like a missing one.
    assert compare_results([first, third]).pairs == ("a × b", "a × c")


def rashomon_case(absolute=False):
    fisc = rashomon_result(
        {"a × b": -0.5, "a × c": 0.0},
        {
            "a × b": [(-0.8, True), (-0.3, True), (-1.5, False)],
            "a × c": [(-0.1, True), (0.1, True)],
        },
        absolute=absolute,
    )
    values = {"a × b": -1.2, "a × c": 0.3, "b × c": 0.05}
    reference = global_result("ref", {"a × b": -0.5, "a × c": 0.0, "b × c": 0.0}, index="fis")
    return fisc, reference, global_result("other", values, index="fis")


def test_rashomon_range_classifies_each_pair_by_hand():
    fisc, reference, other = rashomon_case()
    inside_set = compare_results([reference, other], rashomon={"ref": fisc})
    rows = inside_set.rashomon.set_index("pair")
    assert list(rows["model"]) == ["other"] * 3 and set(rows["reference_model"]) == {"ref"}
    # a × b: in-set range [-0.8, -0.3]; -1.2 lies 0.4 below it.
    assert (rows.loc["a × b", "range_low"], rows.loc["a × b", "range_high"]) == (-0.8, -0.3)
    assert rows.loc["a × b", "verdict"] == OUTSIDE_VERDICT
    assert rows.loc["a × b", "distance"] == pytest.approx(0.4)
    # a × c: range [-0.1, 0.1]; 0.3 is 0.2 above. b × c was not in the FISC result.
    assert rows.loc["a × c", "distance"] == pytest.approx(0.2) and not rows.loc["a × c", "inside"]
    assert rows.loc["b × c", "verdict"] == NOT_ANALYSED_VERDICT
    # Two in-set models per pair: the FISC page flags both ranges, and so does every verdict.
    assert rows.loc["a × b", "few_models"] and rows.loc["a × c", "few_models"]
    assert not rows.loc["b × c", "few_models"]  # not analysed: no range to flag
    # Over all sampled models the a × b range reaches -1.5, and -1.2 is explained by it.
    all_models = compare_results([reference, other], rashomon={"ref": fisc}, in_set_only=False)
    row = all_models.rashomon.set_index("pair").loc["a × b"]
    assert (row["range_low"], row["inside"], row["verdict"]) == (-1.5, True, INSIDE_VERDICT)
    assert row["distance"] == 0.0


def test_a_fisc_range_is_named_fis_in_rows_axis_and_hover():
    from analyzers.figures.compare_overlay import rashomon_overlay_plot

    fisc, reference, other = rashomon_case()
    comparison = compare_results([reference, other], rashomon={"ref": fisc})
    rows = comparison.rashomon
    assert (rows["index"] == "fis").all() and (rows["range_source"] == "fisc").all()
    fig = rashomon_overlay_plot(comparison, "ref")
    # No loss recorded in these hand-built results: the unit is named generically.
    assert fig.layout.xaxis.title.text == "permutation FIS (loss)"
    assert "FIS %{x:.4g} loss" in fig.data[1].hovertemplate


def test_an_absolute_fisc_result_is_compared_with_absolute_values():
    fisc, reference, other = rashomon_case(absolute=True)
    fisc.fis_cloud["fis"] = fisc.fis_cloud["fis"].abs()
    fisc.reference_fis["fis"] = fisc.reference_fis["fis"].abs()
    rows = compare_results([reference, other], rashomon={"ref": fisc}).rashomon.set_index("pair")
    # |-1.2| against the in-set |FIS| range [0.3, 0.8]: still 0.4 outside.
    assert rows.loc["a × b", "value"] == 1.2
    assert rows.loc["a × b", "distance"] == pytest.approx(0.4)


def test_round_trip_through_json_is_exact(rng):
    fisc, reference, other = rashomon_case()
    with_fisc = compare_results([reference, other], rashomon={"ref": fisc}, top_k=2)
    values = rng.normal(size=(3, len(PAIRS)))
    plain = compare_results([local_result("p", values), local_result("q", values[::-1].copy())])
    for comparison in (with_fisc, plain):
        back = ComparisonResult.from_json(json.dumps(json.loads(comparison.to_json())))
        for name in ("table", "models_summary", "agreement", "disagreement", "rashomon"):
            assert_frame_equal(getattr(back, name), getattr(comparison, name))
        assert back.to_dict() == comparison.to_dict()
        assert (back.index, back.model_names, back.pairs) == (
            comparison.index,
            comparison.model_names,
            comparison.pairs,
        )


def bad_cases():
    sii = global_result("a", dict.fromkeys(PAIRS, 1.0))
    fisc, reference, other = rashomon_case()
    return {
        "single model": ([sii], {}, "at least two models"),
        "different indices": (
            [sii, global_result("b", dict.fromkeys(PAIRS, 1.0), index="h2")],
            {},
            "uses index",
        ),
        "different groups": (
            [sii, global_result("b", {"a × b": 1.0}, groups=("a", "b"))],
            {},
            "one data set",
        ),
        "different data sets": (
            [
                global_result("x", {"a × b": 1.0}, settings={"dataset_fingerprint": "f" * 64}),
                global_result("y", {"a × b": 1.0}, settings={"dataset_fingerprint": "e" * 64}),
            ],
            {},
            "another data set",
        ),
        "different rows": (
            [
                global_result("x", {"a × b": 1.0}, settings={"rows": [0, 1, 2]}),
                global_result("y", {"a × b": 1.0}, settings={"rows": [0, 1, 3]}),
            ],
            {},
            "explains other rows",
        ),
        "repeated name": ([sii, sii], {}, "appears twice"),
        "no common pair": (
            [global_result("x", {"a × b": 1.0}), global_result("y", {"c × d": 1.0})],
            {},
            "share no scored interaction",
        ),
        "unknown rashomon model": (
            [reference, other],
            {"rashomon": {"nope": fisc}},
            "unknown model name 'nope'",
        ),
        "rashomon with another index": (
            [sii, global_result("b", dict.fromkeys(PAIRS, 1.0))],
            {"rashomon": {"a": fisc}},
            "index 'fis' results only",
        ),
        "rashomon on another loss": (
            [
                reference,
                global_result("o", {"a × b": 1.0}, index="fis", settings={"loss": "log_loss"}),
            ],
            {"rashomon": {"ref": fisc}},
            "loss='mse'",
        ),
        "bad top_k": ([reference, other], {"top_k": 0}, "top_k"),
        "bad aggregate": ([reference, other], {"aggregate": "median"}, "aggregate"),
        "not a result": ([reference, "other"], {}, "InteractionResults"),
    }


@pytest.mark.parametrize("case", list(bad_cases()))
def test_bad_inputs_give_one_line_errors(case):
    results, kwargs, message = bad_cases()[case]
    with pytest.raises(ParameterError, match=message) as error:
        compare_results(results, **kwargs)
    assert "\n" not in str(error.value)


def test_range_tolerance_absorbs_rounding_at_the_ends_of_a_range():
    fisc, reference, _ = rashomon_case()
    # a × c ranges over [-0.1, 0.1]; the scale is the largest |reference FIS|, 0.5.
    nudged = global_result("other", {"a × b": -0.5, "a × c": 0.1 + 2e-5, "b × c": 0.0}, "fis")

    def verdict(**kwargs):
        comparison = compare_results([reference, nudged], rashomon={"ref": fisc}, **kwargs)
        return comparison.rashomon.set_index("pair").loc["a × c", "verdict"]

    assert verdict() == INSIDE_VERDICT  # 2e-5 <= 1e-4 · 0.5
    assert verdict(range_tolerance=1e-5) == OUTSIDE_VERDICT  # 2e-5 > 1e-5 · 0.5


def test_rounding_noise_does_not_order_pairs():
    # Pairs at 1e-12 of a model whose total is 2 are no interaction: tied, not ranked by noise,
    # so two models with one real interaction on the same pair agree fully.
    first = {"a × b": 2.0, "a × c": 1e-12, "b × c": 3e-12}
    second = {"a × b": 5.0, "a × c": 4e-12, "b × c": 1e-12}
    groups = ("a", "b", "c")
    comparison = compare_results(
        [global_result("x", first, groups=groups), global_result("y", second, groups=groups)],
        top_k=1,
    )
    assert list(comparison.wide_table("rank")["x"]) == [1, 2, 2]
    (row,) = comparison.agreement.itertuples(index=False)
    assert (row.spearman, row.kendall, row.top_k_overlap) == pytest.approx((1.0, 1.0, 1.0))


def diagnostic_codes(comparison):
    return {d.code for d in comparison.diagnostics}


def test_models_without_interactions_are_diagnosed():
    zero = dict.fromkeys(PAIRS, 0.0)
    none = compare_results([global_result("x", zero), global_result("y", zero)])
    assert "no_interactions" in diagnostic_codes(none)
    assert (none.table["share"] == 0).all()
    one = compare_results([global_result("x", zero), global_result("y", {**zero, "a × b": 1.0})])
    assert diagnostic_codes(one) == {"one_model_with_interactions"}
    assert one.agreement["spearman"].isna().all()


def test_a_comparison_of_interacting_models_has_no_warning(rng):
    values = rng.normal(size=(3, len(PAIRS)))
    comparison = compare_results([local_result("p", values), local_result("q", values * 2)])
    assert comparison.diagnostics == ()


def test_pairs_not_scored_by_every_model_are_reported():
    comparison = compare_results(
        [global_result("x", {"a × b": 1.0, "a × c": 2.0}), global_result("y", {"a × b": 1.0})]
    )
    (diagnostic,) = comparison.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("unaligned_pairs", "info")
    assert "'a × c'" in diagnostic.message


def test_the_result_follows_the_result_protocol(rng):
    values = rng.normal(size=(3, len(PAIRS)))
    comparison = compare_results([local_result("p", values), local_result("q", values[::-1])])
    assert comparison.kind == "comparison" and comparison.model_names == ("p", "q")
    assert comparison.seconds >= 0
    back = ComparisonResult.from_dict(comparison.to_dict())
    assert back.model_names == ("p", "q") and back.diagnostics == comparison.diagnostics
    with pytest.warns(FutureWarning, match="model_names"):
        assert comparison.models == ("p", "q")


def test_compare_scored_reads_each_model_once_and_stops_at_a_missing_score():
    from analyzers.compare import compare_scored

    stored = {
        "x": global_result("x", {"a × b": 2.0, "a × c": 1.0}),
        "y": global_result("y", {"a × b": 1.0, "a × c": 2.0}),
    }
    asked, stages = [], []

    def score(name):
        asked.append(name)
        return stored.get(name)

    comparison = compare_scored(["x", "y"], score, progress=lambda *a: stages.append(a), top_k=1)
    assert asked == ["x", "y"] and comparison.model_names == ("x", "y")
    assert comparison.settings["top_k"] == 1
    assert stages == [("scoring x", 0, 2), ("scoring y", 1, 2), ("comparing", 2, 2)]
    assert compare_scored(["x", "missing", "y"], score) is None
    with pytest.raises(ParameterError, match="at least two"):
        compare_scored(["x"], score)
