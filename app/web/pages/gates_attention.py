"""The Gates page's Attention view: a model's attention maps (AutoInt), global and for one row.

Attention sites are (rows, heads, F, F) maps, not gates, so the gate job refuses them; this card
reads them instead through the "attention" analysis (``analyzers.attention_maps``): the mean map
over a seeded sample of held-out rows and the case map of the row picked by number, as the
AutoInt paper's Fig. 7. One pass over the sample takes seconds, so the card computes on
demand (stored, so a second look reads the store).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, html

from app.analyses import analysis, compute_result
from app.web.components import diagnostics_card, figure_card
from app.web.jobs import number_field
from workbench.errors import WorkbenchError

CARD = "gates-attention"
ROW = "gates-attention-row"
SHOW = "gates-attention-show"
VIEW = "gates-attention-view"
SITES = "gates-attention-sites"


def attention_card() -> html.Div:
    """The row picker and the place the maps go."""
    row = analysis("attention").defaults["row"]
    return html.Div(
        [
            html.H3("Attention"),
            html.P(
                "For a model with attention sites (AutoInt): each layer's and head's F×F "
                "attention, averaged over held-out rows and for one row picked by number.",
                className="wb-muted",
            ),
            html.P(id=SITES, className="wb-muted"),
            html.Div(
                [
                    number_field("Held-out row", "attention", "row", ROW, row),
                    html.Button("Show attention", id=SHOW, n_clicks=0),
                ],
                className="wb-form",
            ),
            html.Div(id=VIEW),
        ],
        id=CARD,
        className="wb-card",
    )


def register(app: Dash, workspace, model_id: str) -> None:
    @app.callback(
        Output(VIEW, "children"),
        Input(SHOW, "n_clicks"),
        State(model_id, "value"),
        State(ROW, "value"),
        prevent_initial_call=True,
    )
    def show(_clicks, model, row):
        return attention_view(workspace, model, row)

    @app.callback(Output(SITES, "children"), Input(model_id, "value"))
    def sites(model):
        return attention_sites_line(workspace, model)


def attention_sites_line(workspace, model: str | None) -> str:
    """Which attention sites the card reads for ``model``: a registered torch model's sites of
    kind "attention" (or how to register one), a zoo model's own."""
    if not model or model not in workspace.model_names():
        return ""
    entry = workspace.model_entry(model)
    if entry.kind != "torch":
        return "Reads the model's own attention sites (the zoo's AutoInt names them)."
    found = [
        item["site"]
        for item in entry.sites or []
        if isinstance(item, dict) and item.get("kind") == "attention"
    ]
    if not found:
        return (
            f"{model} has no attention sites; register one with `workbench add-model ... "
            "--site PATH --site-kind attention` (e.g. int_layers.0@softmax of a DeepCTR AutoInt)."
        )
    return f"Attention sites of {model}: " + ", ".join(found)


def attention_view(workspace, model: str | None, row) -> list:
    """The maps of ``model`` (global, then row ``row``), or one line saying why not."""
    from analyzers.figures.attention_maps import attention_map_figure

    try:
        if not model:
            return [html.Span("Choose a model first.", className="wb-error")]
        parameters = analysis("attention").parameters({"row": row}, from_form=True)
        result = compute_result(workspace, "attention", model, parameters)
    except WorkbenchError as error:
        return [html.Span(str(error), className="wb-error")]
    case = parameters["row"]
    return [
        *diagnostics_card(result.diagnostics),
        figure_card(f"{CARD}-global", attention_map_figure(result), "Mean attention"),
        figure_card(f"{CARD}-row", attention_map_figure(result, case), f"Attention of row {case}"),
    ]
