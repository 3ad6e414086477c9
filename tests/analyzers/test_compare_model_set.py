"""Compare verdicts against a model set's range: any builder, any index (issue 14)."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzers.compare import compare_results
from analyzers.compare_result import INSIDE_VERDICT, OUTSIDE_VERDICT
from analyzers.interaction_result import InteractionResult
from analyzers.model_sets import ModelSetResult
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
    assert (verdicts["fis_min"].tolist(), verdicts["fis_max"].tolist()) == ([0.2, 0.0], [0.5, 0.1])
    assert verdicts.loc["a × b", "reference_fis"] == pytest.approx(0.3)
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
    # The CSV columns keep their names (readers of rashomon.csv do not break).
    assert {"fis_min", "fis_max", "reference_fis"} <= set(comparison.rashomon.columns)
