"""Interactions: every pair of groups of one model scored by an index (SII, STII, k-SII, H², FIS,
tree SHAP); click a heatmap cell to open that pair's halo on the Rashomon page."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from analyzers.interaction_result import InteractionResult
from app.analyses import analysis, compute_result, signature_default, stored_result
from app.applicability import fisc_data_reason, tree_index_reason
from app.reports.interactions import pair_table
from app.web.components import (
    diagnostics_card,
    export_stem,
    figure_card,
    metric,
    register_model_choices,
    register_table_downloads,
    table_card,
)
from app.web.context import current_workspace
from app.web.jobs import (
    NO_RESULT,
    JobIds,
    field,
    job_panel,
    number_field,
    register_job,
    results_area,
    select,
    updated_search,
)
from app.web.pages import interactions_local as local
from workbench.errors import ParameterError

PATH = "/interactions"
PAGE = "interactions"
JOB = JobIds("inter")
DATA = "inter-data"
MODEL = "inter-model"
INDEX = "inter-index"
#: the index field, whose hover text says why an option is not offered
INDEX_FIELD = "inter-index-field"
ROWS = "inter-rows"
BACKGROUND = "inter-background"
SCALE = "inter-scale"
CLIP = "inter-clip"
RESULT_REFERENCE = "inter-result-reference"
AGGREGATE = "inter-aggregate"
FIGURES = "inter-figures"
HEATMAP = {"type": "graph", "figure": "inter-heatmap"}
#: how the figures summarise a pair: strength (sign dropped) or the signed mean
AGGREGATE_LABELS = {"mean_abs": "mean |value| (strength)", "mean": "mean (signed)"}
#: the result's own default, which `workbench interactions --aggregate` shares
DEFAULT_AGGREGATE = signature_default(InteractionResult.global_scores, "aggregate")
INDEX_LABELS = {
    "sii": "Shapley interaction index (SII)",
    "stii": "Shapley-Taylor (STII)",
    "ksii": "k-SII",
    "h2": "Friedman's H²",
    "fis": "permutation FIS (loss)",
    "tree": "tree SHAP interaction values (×2, SII scale)",
}
FORM_PARAMETERS = ("index", "rows", "background", "output", "probability_clip")
#: the game's output scale; "auto" (a dropdown cannot hold None) is the analyzer's output=None
SCALE_LABELS = {
    "auto": "auto (logit for classifiers)",
    "logit": "logit (one-vs-rest log-odds)",
    "probability": "probability (no clip)",
}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Interactions",
        order=2,
        title="Interactions",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    register_model_choices(app, workspace, DATA, MODEL)

    def score(progress, workspace, data, model, index, rows, background, scale, clip, aggregate):
        parameters = {
            "index": index,
            "rows": rows,
            "background": background,
            "output": None if scale == "auto" else scale,
            "probability_clip": clip,
        }
        parameters = analysis(PAGE).parameters(parameters, from_form=True)
        # Refused before the model loads, not after seconds with shap's own message.
        reason = parameters["index"] == "tree" and tree_index_reason(workspace, model)
        if reason:
            raise ParameterError(f"index: {reason}")
        result = compute_result(workspace, "interactions", model, parameters, progress=progress)
        done = f"Done in {result.seconds:.1f} s; stored, so this view reloads from the store."
        view = result_view(
            result,
            data,
            model,
            parameters,
            aggregate,
            dataset=workspace.dataset(data),
            fisc_reason=fisc_data_reason(workspace, data),
        )
        return view_search(data, model, parameters, aggregate), view, done

    states = [State(DATA, "value"), State(MODEL, "value"), State(INDEX, "value")]
    form = [State(ROWS, "value"), State(BACKGROUND, "value"), State(SCALE, "value")]
    view = [State(CLIP, "value"), State(AGGREGATE, "value")]
    register_job(app, JOB, [*states, *form, *view], score)

    @app.callback(
        Output(INDEX, "options"),
        Output(INDEX_FIELD, "title"),
        Input(MODEL, "value"),
        prevent_initial_call=True,
    )
    def indices_of_model(model):
        # The chosen index stays (a choice is never silently replaced); Run says why not.
        reason = tree_index_reason(workspace, model) if model else None
        return index_options(reason), reason or ""

    @app.callback(
        Output(JOB.url, "href"),
        Input(HEATMAP, "clickData"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def open_halo(click, reference):
        if not click or not click.get("points") or not reference:
            return no_update
        point = click["points"][0]
        groups = reference["groups"]
        first, second = sorted((point["x"], point["y"]), key=groups.index)
        # No link to a Rashomon page that cannot show this data set (coded fields).
        if first == second or fisc_data_reason(workspace, reference["data"]):
            return no_update
        query = {"data": reference["data"], "model": reference["model"]}
        return "/rashomon?" + urlencode({**query, "pair": f"{first} × {second}"})

    def read(reference: dict):
        return stored_result(workspace, "interactions", reference["model"], reference["parameters"])

    @app.callback(
        Output(JOB.url, "search", allow_duplicate=True),
        Input(AGGREGATE, "value"),
        State(JOB.url, "search"),
        State({"type": local.PAIR["type"], "index": ALL}, "value"),
        State({"type": local.ROW["type"], "index": ALL}, "value"),
        prevent_initial_call=True,
    )
    def choose_aggregate(aggregate, search, pairs, rows):
        # A view choice: the URL keeps it and the page re-renders the stored result under it.
        # The local choices are read from the card: they reach the URL without a Location
        # update, so ``search`` may lack them.
        if aggregate not in AGGREGATE_LABELS:
            return no_update
        updated = updated_search(search, {"aggregate": aggregate, **local.local_query(pairs, rows)})
        return no_update if updated == search else updated

    local.register_local_views(app, workspace, read, RESULT_REFERENCE, JOB.url)

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            "global": lambda ref: pair_table(read(ref), ref.get("aggregate", DEFAULT_AGGREGATE)),
            "scores": lambda ref: read(ref).scores,
        },
    )


def layout(
    workspace, data=None, model=None, aggregate=None, pair=None, row=None, **query
) -> html.Div:
    chosen = select(workspace, "interactions", data, model, query, FORM_PARAMETERS)
    aggregate = aggregate if aggregate in AGGREGATE_LABELS else DEFAULT_AGGREGATE
    if chosen.result is not None:
        view = result_view(
            chosen.result,
            chosen.data,
            chosen.model,
            chosen.parameters,
            aggregate,
            dataset=workspace.dataset(chosen.data),
            pair=pair,
            row=row,
            fisc_reason=fisc_data_reason(workspace, chosen.data),
        )
    else:
        view = html.P(NO_RESULT, className="wb-muted")
    tree_reason = tree_index_reason(workspace, chosen.model) if chosen.model else None
    if chosen.parameters["index"] == "tree" and tree_reason and not chosen.problem:
        chosen = replace(chosen, problem=f"index: {tree_reason}")
    problem = html.Span(chosen.problem, className="wb-error") if chosen.problem else None
    form = _form(chosen, tree_reason)
    return html.Div(
        [
            html.H2("Feature interactions of one model"),
            html.Div([form, _aggregate_choice(aggregate)]),
            html.Div(problem, id=JOB.status),
            results_area(JOB, view),
        ]
    )


def index_options(tree_reason: str | None) -> list[dict]:
    """The index choices; "tree" disabled (and saying so) when ``tree_reason`` is given."""
    options = []
    for value, label in INDEX_LABELS.items():
        if value == "tree" and tree_reason:
            options.append(
                {"label": f"{label}: tree models only", "value": value, "disabled": True}
            )
        else:
            options.append({"label": label, "value": value})
    return options


def _form(chosen, tree_reason: str | None) -> html.Div:
    parameters = chosen.parameters
    index = dcc.Dropdown(index_options(tree_reason), parameters["index"], id=INDEX, clearable=False)
    data = dcc.Dropdown(chosen.data_names, chosen.data, id=DATA, clearable=False)
    return html.Div(
        [
            html.Div(
                [
                    field("Data set", data),
                    field(
                        "Model",
                        dcc.Dropdown(chosen.models, chosen.model, id=MODEL, clearable=False),
                    ),
                    html.Div(
                        [html.Label("Index"), index],
                        className="wb-field",
                        id=INDEX_FIELD,
                        title=tree_reason or "",
                    ),
                    number_field("Explained rows (sample)", PAGE, "rows", ROWS, parameters["rows"]),
                    number_field(
                        "Background rows",
                        PAGE,
                        "background",
                        BACKGROUND,
                        parameters["background"],
                    ),
                    field(
                        "Output scale",
                        dcc.Dropdown(
                            [{"label": label, "value": v} for v, label in SCALE_LABELS.items()],
                            parameters["output"] or "auto",
                            id=SCALE,
                            clearable=False,
                        ),
                    ),
                    number_field(
                        "Probability clip (logit scale of a probability output)",
                        PAGE,
                        "probability_clip",
                        CLIP,
                        parameters["probability_clip"],
                        step="any",
                    ),
                ],
                className="wb-form",
            ),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


def figure_cards(result, aggregate: str = "mean_abs", export: str | None = None) -> list:
    """The heatmap, network and bar of ``result`` under one aggregate (see AGGREGATE_LABELS);
    ``export`` is the stem of exported files' names (``export_stem``)."""
    from analyzers.figures.interactions import interaction_network, pair_heatmap, top_pairs_bar

    return [
        figure_card(
            "inter-heatmap", pair_heatmap(result, aggregate), "Pair heatmap", export=export
        ),
        figure_card(
            "inter-network",
            interaction_network(result, aggregate),
            "Interaction network",
            export=export,
        ),
        figure_card(
            "inter-top-pairs",
            top_pairs_bar(result, aggregate=aggregate),
            "Strongest pairs",
            export=export,
        ),
    ]


def _aggregate_choice(aggregate: str) -> html.Div:
    options = [{"label": label, "value": value} for value, label in AGGREGATE_LABELS.items()]
    return html.Div(
        field(
            "Pair score in the figures and the ranking",
            dcc.RadioItems(options, aggregate, id=AGGREGATE, inline=True),
        ),
        className="wb-card",
    )


def result_view(
    result,
    data: str,
    model: str,
    parameters: dict,
    aggregate: str = DEFAULT_AGGREGATE,
    *,
    dataset=None,
    pair: str | None = None,
    row=None,
    fisc_reason: str | None = None,
) -> list:
    """Metrics, diagnostics, the global figures, the local views (given the ``dataset`` the
    result was computed on; ``pair`` and ``row`` chosen, defaults otherwise) and the tables.
    ``fisc_reason``: why the heatmap does not link to the Rashomon page (None: it does)."""
    from analyzers.figures.interaction_reading import score_unit

    table = pair_table(result, aggregate)
    ranked = AGGREGATE_LABELS[aggregate]
    export = export_stem("interactions", data, model)
    unit = score_unit(result.index, result.settings)
    units = {name: unit for name in ("value", "standard_error")}
    reference = {
        "data": data,
        "model": model,
        "parameters": parameters,
        "groups": list(result.group_names),
        "aggregate": aggregate,
        "export": export,
    }
    local_views = [] if dataset is None else [local.local_card(result, dataset, pair, row, export)]
    return [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        html.Div(
            [
                metric("index", INDEX_LABELS.get(result.index, result.index)),
                metric("groups", str(len(result.group_names))),
                metric("pairs", str(len(table))),
                metric("explained rows", str(result.settings.get("n_rows", "all"))),
                metric("analysis time", f"{result.seconds:.2f} s"),
            ],
            className="wb-card wb-metrics",
        ),
        *diagnostics_card(result.diagnostics),
        html.P(
            f"The Rashomon page is not linked: {fisc_reason}."
            if fisc_reason
            else "Click a cell of the heatmap to open the pair's halo plot on the Rashomon page.",
            className="wb-muted",
        ),
        html.Div(figure_cards(result, aggregate, export=export), id=FIGURES),
        *local_views,
        table_card(
            PAGE,
            "global",
            table,
            f"Global score per pair (ranked by {ranked})",
            export=export,
        ),
        table_card(
            PAGE,
            "scores",
            result.scores,
            "All scores (per row for local indices)",
            units=units,
            export=export,
        ),
    ]


def view_search(data: str, model: str, parameters: dict, aggregate: str | None = None) -> str:
    query = {"data": data, "model": model}
    query.update({name: parameters[name] for name in FORM_PARAMETERS if parameters.get(name)})
    if aggregate in AGGREGATE_LABELS:
        query["aggregate"] = aggregate
    return "?" + urlencode(query)
