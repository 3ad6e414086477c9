"""The FISC page and the Compare page show the same FIS range for every pair of one model.

Both pages are rendered from the same FISC result (no browser: the Dash component trees), and
their tables are read cell by cell, as a user would read them.
"""

from __future__ import annotations

import pytest

from analyzers.compare import compare_results
from analyzers.interaction_result import InteractionResult
from analyzers.rashomon import explore_rashomon
from app.web.pages import compare as compare_page
from app.web.pages import rashomon as rashomon_page
from tests.conftest import factorial_dataset, oracle


def product_plus_linear(x):
    return x[:, 0] * x[:, 1] + x[:, 2]


def fis_scores(model: str, values: dict[str, float], groups) -> InteractionResult:
    import pandas as pd

    scores = pd.DataFrame(
        {"model": model, "index": "fis", "pair": list(values), "value": list(values.values())}
    )
    return InteractionResult(model, "fis", groups, scores, pd.DataFrame(), {}, 0.0)


def table_rows(children, title_start: str) -> list[dict]:
    """Rows the grid under the heading that starts with ``title_start`` holds (every row, the
    values the browser sorts on)."""
    for card in children:
        parts = getattr(card, "children", None)
        if not isinstance(parts, list) or not parts or getattr(parts[0], "children", None) is None:
            continue
        if str(parts[0].children).startswith(title_start):
            # The grid itself, or a lazy grid's Store holding it (app/web/tables.py lazy_grid).
            for part in parts[1:]:
                if hasattr(part, "rowData"):
                    return part.rowData
                if isinstance(getattr(part, "data", None), dict) and "props" in part.data:
                    return part.data["props"]["rowData"]
    raise AssertionError(f"no table titled {title_start!r}")


@pytest.fixture(scope="module")
def fisc():
    # Two rings: every pair has models inside the set (ring 1) and outside it (ring 2), so the
    # in-set range differs from the range over every sampled model.
    return explore_rashomon(
        oracle(product_plus_linear),
        factorial_dataset(3, formula=product_plus_linear),
        epsilon_rate=0.4,
        approximator="exact",
        radii=(1.0, 2.0),
        model_name="mlp",
    )


def test_fisc_and_compare_pages_show_the_same_range_for_every_pair(fisc):
    assert fisc.fis_cloud["in_set"].any() and not fisc.fis_cloud["in_set"].all()
    groups = tuple(fisc.group_names)
    pairs = list(fisc.interactions)
    reference = fis_scores("mlp", dict(zip(pairs, fisc.reference_fis["fis"], strict=True)), groups)
    other = fis_scores("other", {pair: -1.9 for pair in pairs}, groups)
    comparison = compare_results([reference, other], rashomon={"mlp": fisc})

    fisc_view = rashomon_page.result_view(fisc, None, "mlp", {})
    compare_view = compare_page.result_view(comparison, "toy", ["mlp", "other"], "fis")
    on_fisc = {row["interaction"]: row for row in table_rows(fisc_view, "FIS range")}
    on_compare = {row["pair"]: row for row in table_rows(compare_view, "Explained by")}
    assert set(on_fisc) == set(on_compare) == set(pairs)
    for pair in pairs:
        assert (on_fisc[pair]["min"], on_fisc[pair]["max"]) == (
            on_compare[pair]["range_low"],
            on_compare[pair]["range_high"],
        ), pair
    # And the numbers behind them, to float precision, in the set and over every model.
    for in_set_only in (True, False):
        verdicts = compare_results(
            [reference, other], rashomon={"mlp": fisc}, in_set_only=in_set_only
        ).rashomon.set_index("pair")
        summary = fisc.summary(include_outside=not in_set_only).set_index("interaction")
        for pair in pairs:
            assert verdicts.loc[pair, "range_low"] == summary.loc[pair, "min"]
            assert verdicts.loc[pair, "range_high"] == summary.loc[pair, "max"]


def test_outside_models_are_shown_only_when_asked_and_then_said_so(fisc):
    def swarm(children):
        for card in children:
            for part in getattr(card, "children", None) or []:
                if getattr(part, "id", None) == {"type": "graph", "figure": "fisc-swarm"}:
                    return part.figure
        raise AssertionError("no swarm")

    def legend(figure) -> list[str]:
        return [trace.name for trace in figure.data if trace.showlegend is not False and trace.name]

    in_set = rashomon_page.result_view(fisc, None, "mlp", {})
    everything = rashomon_page.result_view(fisc, None, "mlp", {}, include_outside=True)
    assert not any("outside the set" in name for name in legend(swarm(in_set)))
    assert any("outside the set" in name for name in legend(swarm(everything)))
    # The range table says what it covers, and is wider over every sampled model.
    title = next(
        str(card.children[0].children)
        for card in everything
        if str(getattr(getattr(card, "children", [None])[0], "children", "")).startswith(
            "FIS range"
        )
    )
    assert "every sampled model (in and outside the set)" in title
    narrow = {r["interaction"]: float(r["range"]) for r in table_rows(in_set, "FIS range")}
    wide = {r["interaction"]: float(r["range"]) for r in table_rows(everything, "FIS range")}
    assert all(wide[pair] >= narrow[pair] for pair in narrow)
    assert any(wide[pair] > narrow[pair] for pair in narrow)
