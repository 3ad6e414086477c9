"""Compare verdicts against a model set's range: any builder, any index (issue 14)."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzers.compare import compare_results
from analyzers.compare_result import INSIDE_VERDICT, OUTSIDE_VERDICT
from analyzers.interaction_result import InteractionResult
from analyzers.model_sets import ModelSetResult
from analyzers.result import encode_value
from workbench.errors import ParameterError

GROUPS = ("a", "b", "c", "d")


def global_result(model, values, index):
    """A global (one value per pair) result of ``index`` with the given values."""
    scores = pd.DataFrame(
        {"model": model, "index": index, "pair": list(values), "value": list(values.values())}
    )
    return InteractionResult(model, index, GROUPS, scores, pd.DataFrame(), {}, 0.0)


def model_set(strengths: dict[str, list[float]], index="h2") -> ModelSetResult:
    """A set of len(values) in-set members with the given strength of each pair."""
    n = len(next(iter(strengths.values())))
    clouds = pd.DataFrame(
        [
            {"member": f"m{k}", "pair": pair, "strength": abs(v[k]), "value": v[k]}
            for pair, v in strengths.items()
            for k in range(n)
        ]
    )
    members = pd.DataFrame({"member": [f"m{k}" for k in range(n)], "in_set": True})
    empty = pd.DataFrame()
    return ModelSetResult(
        tuple(members["member"]), index, "retrained", GROUPS, members, clouds, empty,
        empty, empty, 0.5, 0.05, 3, {}, 0.0,
    )  # fmt: skip


def test_a_value_inside_the_sets_range_is_explained_and_outside_is_real():
    # Planted: a × b ranges over [0.2, 0.5] in the set, c × d over [0.0, 0.1].
    ranges = model_set({"a × b": [0.2, 0.35, 0.5], "c × d": [0.0, 0.05, 0.1]})
    results = [
        global_result("ref", {"a × b": 0.3, "c × d": 0.05}, index="h2"),
        global_result("other", {"a × b": 0.45, "c × d": 0.4}, index="h2"),
    ]
    comparison = compare_results(results, rashomon={"ref": ranges})
    verdicts = comparison.rashomon.set_index("pair")
    assert verdicts.loc["a × b", "verdict"] == INSIDE_VERDICT
    assert verdicts.loc["c × d", "verdict"] == OUTSIDE_VERDICT
    assert verdicts.loc["c × d", "distance"] == pytest.approx(0.3)
    assert (verdicts["range_low"].tolist(), verdicts["range_high"].tolist()) == (
        [0.2, 0.0],
        [0.5, 0.1],
    )
    assert verdicts.loc["a × b", "reference_value"] == pytest.approx(0.3)
    assert set(verdicts["model"]) == {"other"}
    # Three members are fewer than the FISC page trusts, and the verdict says so.
    assert verdicts["few_models"].all()


def test_a_set_of_another_index_is_refused_in_one_line():
    results = [global_result(m, {"a × b": 0.3}, index="sii") for m in ("ref", "other")]
    with pytest.raises(ParameterError) as error:
        compare_results(results, rashomon={"ref": model_set({"a × b": [0.2, 0.5]})})
    message = str(error.value)
    assert "\n" not in message
    assert "of index 'h2' but the comparison uses 'sii'" in message


def test_the_overlay_names_the_sets_range_not_a_fis_range():
    from dataclasses import replace

    from analyzers.figures.compare_overlay import rashomon_overlay_plot
    from analyzers.figures.reading import reading_of

    ranges = replace(
        model_set({"a × b": [0.2, 0.35, 0.5], "c × d": [0.0, 0.05, 0.1]}),
        settings={"epsilon_rate": 0.1},
    )
    results = [
        global_result("ref", {"a × b": 0.3, "c × d": 0.05}, index="h2"),
        global_result("other", {"a × b": 0.45, "c × d": 0.4}, index="h2"),
    ]
    comparison = compare_results(results, rashomon={"ref": ranges})
    assert comparison.settings["ranges"]["ref"]["builder"] == "retrained"
    fig = rashomon_overlay_plot(comparison, "ref")
    label = "range over the retrained set (3 members, ε = 10%)"
    assert fig.data[0].name == f"{label} of ref"
    assert label in fig.layout.title.text and label in reading_of(fig)
    shown = " ".join([fig.layout.title.text, fig.layout.xaxis.title.text, reading_of(fig)])
    assert "FIS" not in shown  # an H² range is not called a FIS range anywhere
    assert "H2 strength" in fig.layout.xaxis.title.text
    # Hover says the index and the unit beside each value (H² of the pair: a share).
    assert "H2 strength %{x:.4g} share of the pair" in fig.data[1].hovertemplate
    assert "H2 strength (share of the pair)" == fig.layout.xaxis.title.text


def test_the_csv_names_the_range_columns_by_what_they_hold(tmp_path):
    # Hand-built ranges, written to CSV and read back as a user would: the shown ends are
    # exactly the set's, under names that do not claim FIS, with the index and source per row.
    ranges = model_set({"a × b": [0.2, 0.35, 0.5], "c × d": [0.0, 0.05, 0.1]}, index="sii")
    results = [
        global_result("ref", {"a × b": 0.3, "c × d": 0.05}, index="sii"),
        global_result("other", {"a × b": 0.45, "c × d": 0.4}, index="sii"),
    ]
    comparison = compare_results(results, rashomon={"ref": ranges})
    comparison.rashomon.to_csv(tmp_path / "rashomon.csv", index=False)
    read = pd.read_csv(tmp_path / "rashomon.csv").set_index("pair")
    assert not {"fis_min", "fis_max", "reference_fis"} & set(read.columns)
    assert read.loc["a × b", ["range_low", "range_high"]].tolist() == [0.2, 0.5]
    assert read.loc["c × d", ["range_low", "range_high"]].tolist() == [0.0, 0.1]
    assert (read["index"] == "sii").all()
    assert (read["range_source"] == "model set: retrained, 3 members").all()


def test_a_comparison_stored_with_the_old_column_names_reads_back_under_the_new():
    ranges = model_set({"a × b": [0.2, 0.35, 0.5], "c × d": [0.0, 0.05, 0.1]})
    results = [
        global_result("ref", {"a × b": 0.3, "c × d": 0.05}, index="h2"),
        global_result("other", {"a × b": 0.45, "c × d": 0.4}, index="h2"),
    ]
    comparison = compare_results(results, rashomon={"ref": ranges})
    stored = comparison.to_dict()
    # As written before the rename: the old names, no index or source column.
    frame = comparison.rashomon.drop(columns=["index", "range_source"]).rename(
        columns={
            "reference_value": "reference_fis",
            "range_low": "fis_min",
            "range_high": "fis_max",
        }
    )
    stored["rashomon"] = encode_value(frame)
    read = type(comparison).from_dict(stored).rashomon
    pd.testing.assert_frame_equal(read, comparison.rashomon)
