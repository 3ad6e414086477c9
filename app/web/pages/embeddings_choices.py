"""The Embeddings page's view choices: each re-renders only the figures that depend on it and
records the view in the URL (``view_url``, a Location that does not navigate)."""

from __future__ import annotations

import dash
from dash import Dash, Input, Output, State, no_update

from app.analyses import stored_result
from app.web.components import export_stem
from app.web.jobs import updated_search
from app.web.pages.embeddings_view import (
    COLOR,
    GEOMETRY_AREA,
    MAP_AREA,
    PAGE,
    RELATION,
    RELATIONS_AREA,
    RESULT_REFERENCE,
    SORT,
    SPECTRUM_AREA,
    WEIGHTING,
    geometry_card,
    map_cards,
    relations_card,
    spectrum_card,
    view_choices,
)


def register_view_choices(app: Dash, workspace, view_url: str) -> None:
    """Each view choice re-renders only the figures that depend on it (the colour the map, the
    weighting the geometry and spectrum, the sort the geometry, the relation measure the
    relations heatmap) and records the view in the URL without the page re-render a navigation
    would cost (seconds on a loaded machine)."""

    def read(reference):
        if not reference:
            return None
        return stored_result(workspace, PAGE, reference["model"], reference["parameters"])

    def export(reference) -> str:
        return export_stem("embeddings", reference["data"], reference["model"])

    @app.callback(
        Output(view_url, "search", allow_duplicate=True),
        Output(MAP_AREA, "children"),
        Input(COLOR, "value"),
        State(view_url, "search"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def choose_colour(colour, search, reference):
        report = read(reference)
        if report is None or report.projection is None:
            return no_update, no_update
        chosen = view_choices(report, {"color": colour})
        cards = map_cards(report, chosen["color"], export(reference))
        return updated_search(search, {"color": chosen["color"]}), cards

    @app.callback(
        Output(view_url, "search", allow_duplicate=True),
        Output(GEOMETRY_AREA, "children"),
        Output(SPECTRUM_AREA, "children"),
        Input(WEIGHTING, "value"),
        Input(SORT, "value"),
        State(view_url, "search"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def choose_geometry(weighting, sort, search, reference):
        report = read(reference)
        if report is None:
            return no_update, no_update, no_update
        chosen = view_choices(report, {"weighting": weighting, "sort": sort})
        weighting, sort = chosen["weighting"], chosen["sort"]
        geometry = geometry_card(report, weighting, sort, export(reference))
        # The sort orders the geometry table only; the spectrum follows the weighting.
        spectrum = (
            no_update
            if dash.ctx.triggered_id == SORT
            else spectrum_card(report, weighting, export(reference))
        )
        return updated_search(search, {"weighting": weighting, "sort": sort}), geometry, spectrum

    @app.callback(
        Output(view_url, "search", allow_duplicate=True),
        Output(RELATIONS_AREA, "children"),
        Input(RELATION, "value"),
        State(view_url, "search"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def choose_relation(relation, search, reference):
        report = read(reference)
        if report is None:
            return no_update, no_update
        relation = view_choices(report, {"relation": relation})["relation"]
        card = relations_card(report, relation, export(reference))
        return updated_search(search, {"relation": relation}), card
