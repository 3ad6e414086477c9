"""The Embeddings page's view controls: which weighting, sort, relation and map colour to show.

``view_choices`` reads a view (from the URL) against what the report holds; ``_view_controls``
lays out the dropdowns whose ids the page's view callbacks (``pages.embeddings_choices``) listen
to.
"""

from __future__ import annotations

from dash import dcc, html

from app.web.jobs import field
from app.web.pages.embeddings_cards import ATTRIBUTION_PREFIX

COLOR = "emb-color"
WEIGHTING = "emb-weighting"
RELATION = "emb-relation"
SORT = "emb-sort"

RELATION_MEASURES = ("linear_cka", "subspace_overlap", "fm_strength", "centroid_cosine")
SORT_COLUMNS = (
    "effective_rank",
    "participation_ratio",
    "stable_rank",
    "information_abundance",
    "dim_95",
    "mean_norm",
    "mean_pairwise_cosine",
    "mean_vector_ratio",
)


def view_choices(report, view: dict) -> dict:
    """The weighting, sort, relation and map colour ``view`` asks for where the report has
    them, else the defaults (the map opens coloured by an attribution asked for in the form)."""
    weightings = list(dict.fromkeys(report.geometry.geometry["weighting"]))
    colours = _colour_columns(report.projection)
    asked = [c for c in colours if c.startswith(ATTRIBUTION_PREFIX)]
    return {
        "weightings": weightings,
        "weighting": _valid(view.get("weighting"), weightings, weightings[-1]),
        "sort": _valid(view.get("sort"), SORT_COLUMNS, SORT_COLUMNS[0]),
        "relation": _valid(view.get("relation"), RELATION_MEASURES, RELATION_MEASURES[0]),
        "colours": colours,
        "color": _valid(view.get("color"), colours, (asked or colours or [None])[0]),
    }


def _view_controls(chosen: dict, invariance) -> html.Div:
    weightings, weighting, sort = chosen["weightings"], chosen["weighting"], chosen["sort"]
    relation, colours, colour = chosen["relation"], chosen["colours"], chosen["color"]

    def relation_label(measure: str) -> str:
        kind = invariance.get(measure, "").partition(":")[0]
        return f"{measure} ({kind})" if kind else measure

    controls = [
        field(
            "Geometry weighting", dcc.Dropdown(weightings, weighting, id=WEIGHTING, clearable=False)
        ),
        field("Sort geometry by", dcc.Dropdown(list(SORT_COLUMNS), sort, id=SORT, clearable=False)),
        field(
            "Relation measure",
            dcc.Dropdown(
                [{"label": relation_label(m), "value": m} for m in RELATION_MEASURES],
                relation,
                id=RELATION,
                clearable=False,
                style={"minWidth": "18rem"},
            ),
        ),
    ]
    if colours:
        controls.append(
            field("Map colour", dcc.Dropdown(colours, colour, id=COLOR, clearable=False))
        )
    return html.Div([html.H3("View"), html.Div(controls, className="wb-form")], className="wb-card")


def _colour_columns(projection) -> list[str]:
    if projection is None:
        return []
    frame = projection.coordinates
    return [c for c in frame.columns if c not in ("point", "row", "level", *projection.axes)]


def _valid(value, allowed, default):
    return value if value in allowed else default
