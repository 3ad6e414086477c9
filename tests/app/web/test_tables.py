"""Result tables (AG Grid) and exported file names, read from the Dash component trees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from app.web.components import figure_card, figure_file_name
from app.web.tables import export_stem, table_card


def frame(rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "pair": [f"g{i} × h{i}" for i in range(rows)],
            "rank": np.arange(1, rows + 1),
            "loss_increase": rng.normal(size=rows),
            "few_models": [i % 2 == 0 for i in range(rows)],
        }
    ).assign(loss_increase=lambda f: f["loss_increase"].where(f["rank"] != 3))


def grid_of(card):
    [grid] = [part for part in card.children if type(part).__name__ == "AgGrid"]
    return grid


def test_grid_holds_every_row_with_its_raw_values():
    data = frame(40)  # more than a page (20) and than the old 15-row preview
    grid = grid_of(table_card("page", "summary", data, "Summary"))
    assert len(grid.rowData) == 40
    assert [row["pair"] for row in grid.rowData] == data["pair"].tolist()
    # The browser sorts the full values; only the display is rounded.
    assert grid.rowData[0]["loss_increase"] == data["loss_increase"].iloc[0]
    assert grid.rowData[2]["loss_increase"] is None  # NaN → an empty cell, not "0" or "NaN"
    json.dumps(grid.rowData)  # plain JSON: no numpy scalars left


def test_columns_are_sortable_filterable_paged_formatted_and_carry_units():
    grid = grid_of(table_card("page", "summary", frame(), "Summary", units={"rank": "place"}))
    assert grid.defaultColDef["sortable"] and grid.defaultColDef["filter"]
    assert grid.dashGridOptions["pagination"] is True
    columns = {c["field"]: c for c in grid.columnDefs}
    assert columns["loss_increase"]["headerName"] == "loss_increase (Δ loss)"  # a known unit
    assert columns["rank"]["headerName"] == "rank (place)"  # a unit the page gives
    assert columns["pair"]["headerName"] == "pair"
    assert columns["loss_increase"]["filter"] == "agNumberColumnFilter"
    assert columns["pair"]["filter"] == "agTextColumnFilter"
    assert "'.4~g'" in columns["loss_increase"]["valueFormatter"]["function"]
    assert "',d'" in columns["rank"]["valueFormatter"]["function"]
    assert "valueFormatter" not in columns["few_models"]


def test_csv_and_figure_files_are_named_by_analysis_data_and_model():
    stem = export_stem("fisc", "compas", "compas-mlp")
    assert stem == "fisc_compas_compas-mlp"
    assert export_stem("compare", "adult", ["a", "b/c"]) == "compare_adult_a+b-c"
    card = table_card("rashomon", "summary", frame(3), "Summary", export=stem)
    [name] = [p.data for p in card.children if type(p).__name__ == "Store"]
    assert name == "fisc_compas_compas-mlp_summary.csv"
    assert figure_file_name("fisc-swarm", stem) == "fisc_compas_compas-mlp_swarm"


def test_figure_card_fills_its_card_and_names_the_camera_download():
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).update_layout(width=640, height=500)
    card = figure_card("fisc-halo", figure, "Halo", export="fisc_compas_compas-mlp")
    [graph] = [p for p in card.children if type(p).__name__ == "Graph"]
    assert graph.figure.layout.width is None and graph.figure.layout.height == 500
    assert graph.responsive is True
    # A responsive graph is as tall as its container: the container gets the figure's height
    # (else plotly's 450 px squeezes a tall chart and skips every other row label).
    assert graph.style == {"width": "100%", "height": "500px"}
    assert graph.config["toImageButtonOptions"]["filename"] == "fisc_compas_compas-mlp_halo"


def test_grid_assets_are_served_by_the_app_not_a_cdn():
    """The app runs offline: AG Grid's script comes from the installed package."""
    import dash_ag_grid

    from app.web.tables import results_grid

    grid = results_grid("page", "t", frame(2))
    scripts = type(grid)._js_dist
    assert scripts and all(
        (Path(dash_ag_grid.__file__).parent / s["relative_package_path"]).exists()
        for s in scripts
        if "relative_package_path" in s
    )
    assert type(grid)._css_dist == []  # styles come with the script (AG Grid theming API)


def test_column_widths_come_with_the_grid_and_fit_the_longest_text():
    """Widths are set from the frame, not measured in the browser (AG Grid's auto-size lays
    out every cell): a column is wide enough for its header and its longest value."""
    from app.web.tables import _CHARACTER_PX

    data = frame(3).assign(pair=["a × b", "a long group name × another long group name", "c × d"])
    grid = grid_of(table_card("page", "summary", data, "Summary"))
    assert getattr(grid, "columnSize", None) is None  # no auto-size pass after the first draw
    assert grid.defaultColDef["flex"] == 1  # columns share the card's spare width
    columns = {c["field"]: c for c in grid.columnDefs}
    longest = len("a long group name × another long group name")
    assert columns["pair"]["minWidth"] >= longest * _CHARACTER_PX
    header = columns["loss_increase"]["headerName"]  # "loss_increase (Δ loss)"
    assert columns["loss_increase"]["minWidth"] >= len(header) * _CHARACTER_PX
    # A short text column is narrower than the long one, but never below the floor.
    assert 90 <= columns["few_models"]["minWidth"] < columns["pair"]["minWidth"]


def test_only_a_grid_asked_for_virtual_columns_leaves_off_screen_columns_out_of_the_dom():
    """Every cell of a grid is in the page (Ctrl+F finds it) unless the grid is one so wide
    that its off-screen cells cost more than they give (the FIS cloud)."""
    from app.web.tables import results_grid

    options = results_grid("page", "t", frame(2)).dashGridOptions
    assert options["suppressColumnVirtualisation"] is True
    wide = results_grid("page", "t", frame(2), virtual_columns=True).dashGridOptions
    assert wide["suppressColumnVirtualisation"] is False


def test_a_lazy_grid_waits_behind_a_line_that_counts_its_rows_and_holds_every_row():
    """A lazy card shows no grid until scrolled near, says what waits there, and carries the
    same grid (every row, the same columns) for the browser to build."""
    import plotly

    from app.web.tables import LAZY_SEEN, LAZY_SLOT, LAZY_SPEC

    data = frame(40)
    eager = grid_of(table_card("page", "summary", data, "Summary"))
    card = table_card("page", "summary", data, "Summary", lazy=True)
    assert not any(type(part).__name__ == "AgGrid" for part in card.children)
    by_type = {
        part.id["type"]: part
        for part in card.children
        if isinstance(getattr(part, "id", None), dict)
    }
    assert by_type[LAZY_SLOT].children.children == "Table of 40 rows: built when scrolled to"
    spec = json.loads(json.dumps(by_type[LAZY_SPEC].data, cls=plotly.utils.PlotlyJSONEncoder))
    assert (spec["namespace"], spec["type"]) == ("dash_ag_grid", "AgGrid")
    assert spec["props"]["rowData"] == json.loads(json.dumps(eager.rowData))
    assert spec["props"]["columnDefs"] == eager.columnDefs
    assert spec["props"]["id"] == eager.id
    # Its place is as tall as the grid (20 rows, a page) will be: building it moves nothing.
    assert by_type[LAZY_SLOT].style == {"minHeight": "948px"}  # measured in Chromium
    assert LAZY_SEEN in by_type  # written by assets/lazy_grids.js, which spells the type itself
    script = (Path(__file__).parents[3] / "app/web/assets/lazy_grids.js").read_text()
    assert f'"{LAZY_SEEN}"' in script
