"""The Embeddings page's figure cards that a view choice re-renders alone.

The geometry (weighting, sort), spectrum (weighting), relations (relation measure) and map (map
colour) cards, each built once per report and choice (``app.web.view_cache``);
``pages.embeddings_view`` lays them out in their areas and ``pages.embeddings_choices``
re-renders them.
"""

from __future__ import annotations

from dash import html

from app.web.components import figure_card, how_to_read
from app.web.view_cache import cached_view

ATTRIBUTION_PREFIX = "attribution:"


def geometry_card(report, weighting: str, sort: str, export: str) -> html.Div:
    from analyzers.figures.embeddings import geometry_table

    def build():
        figure = geometry_table(report.geometry, weighting=weighting, sort_by=sort)
        return figure_card("emb-geometry", figure, "Geometry per field", export=export)

    return cached_view(report, ("emb-geometry", weighting, sort, export), build)


def spectrum_card(report, weighting: str, export: str) -> html.Div:
    from analyzers.figures.embeddings import spectrum_plot

    def build():
        figure = spectrum_plot(report.geometry, weighting=weighting)
        return figure_card("emb-spectrum", figure, "Spectrum", export=export)

    return cached_view(report, ("emb-spectrum", weighting, export), build)


def relations_card(report, relation: str, export: str) -> html.Div:
    from analyzers.figures.embeddings import cka_heatmap

    def build():
        figure = cka_heatmap(report.relations, relation)
        return figure_card("emb-relations", figure, "Relations between fields", export=export)

    return cached_view(report, ("emb-relations", relation, export), build)


def map_cards(report, colour: str | None, export: str) -> list:
    """The map coloured by ``colour`` and, for an attribution colour, how to read it."""
    from analyzers.figures.embeddings import projection_scatter

    if report.projection is None:
        return []

    def build():
        figure = projection_scatter(report.projection, color=colour)
        cards = [figure_card("emb-map", figure, "Map", export=export)]
        if colour and colour.startswith(ATTRIBUTION_PREFIX):
            cards.append(_attribution_note(colour))
        return cards

    return cached_view(report, ("emb-map", colour, export), build)


def _attribution_note(colour: str) -> html.Div:
    method = colour.removeprefix(ATTRIBUTION_PREFIX)
    return html.Div(
        how_to_read(
            f"Map colour {colour}: each point (a level of a field) takes its field's {method} "
            "attribution from the gates analyzer (captum, on the held-out rows): every level of "
            "one field shares one colour, so the colour says which fields the model leans on, "
            "and the map's layout says how each field's levels spread. Attribution is about "
            "the model's output, not this parametrisation of the embeddings."
        ),
        className="wb-card",
        id="emb-attribution-reading",
    )
