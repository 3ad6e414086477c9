"""Compare: one index over several models on one data set; where they agree, where they differ,
and whether a difference lies inside a model's Rashomon range: a stored model set of the index
(any builder) or, for index "fis", a stored FISC result (``app.range_sources`` picks them).

Each model's scores are cached like the Interactions page's (the same store entries); the
comparison itself takes milliseconds and is rebuilt from them, so choosing other models
updates every view at once when their scores are stored.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html, no_update

from analyzers.compare_rashomon import range_label
from app.analyses import analysis, compute_result, stored_result
from app.applicability import tree_index_reason
from app.range_sources import RangeChoice, choose_range
from app.web.components import (
    diagnostics_card,
    export_stem,
    figure_card,
    metric,
    one_line,
    register_table_downloads,
    table_card,
)
from app.web.context import current_workspace
from app.web.jobs import JobIds, field, job_panel, register_job, results_area
from app.web.pages.compare_ranges import RANGE_HEADERS, range_units, ranges_card
from app.web.pages.interactions import INDEX_LABELS, index_options
from workbench.errors import ParameterError

PATH = "/compare"
PAGE = "compare"
JOB = JobIds("cmp")
DATA = "cmp-data"
MODELS = "cmp-models"
INDEX = "cmp-index"
RESULT_REFERENCE = "cmp-result-reference"


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Compare",
        order=3,
        title="Compare models",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    @app.callback(
        Output(MODELS, "options"),
        Output(MODELS, "value"),
        Input(DATA, "value"),
        prevent_initial_call=True,
    )
    def models_of_data(data):
        names = workspace.model_names(data)
        return names, names

    @app.callback(
        Output(JOB.view_url, "search", allow_duplicate=True),
        Output(JOB.results, "children", allow_duplicate=True),
        Input(MODELS, "value"),
        Input(INDEX, "value"),
        State(DATA, "value"),
        prevent_initial_call=True,
    )
    def choose(models, index, data):
        # Only the results area follows a new choice (the form stays under the pointer): at
        # once when every score is stored, else a note to press Run. The URL records it.
        if not models:
            return no_update, no_update
        return view_search(data, models, index), stored_view(workspace, data, models, index)

    def compare(progress, workspace, data, models, index):
        reason = index == "tree" and tree_reason(workspace, models or [])
        if reason:
            raise ParameterError(f"index: {reason}")
        choices = range_choices(workspace, models, index)
        comparison = compare_stored(workspace, models, index, progress=progress, choices=choices)
        done = f"Compared {len(models)} models; their scores are stored."
        view = result_view(comparison, data, models, index, choices=choices)
        return view_search(data, models, index), view, done

    register_job(
        app, JOB, [State(DATA, "value"), State(MODELS, "value"), State(INDEX, "value")], compare
    )

    def read(reference: dict):
        return compare_stored(workspace, reference["models"], reference["index"], compute=False)

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            "table": lambda ref: read(ref).table,
            "agreement": lambda ref: read(ref).agreement,
            "disagreement": lambda ref: read(ref).disagreement,
            "rashomon": lambda ref: read(ref).rashomon,
        },
    )


def compare_stored(
    workspace,
    models: list[str],
    index: str,
    progress=None,
    compute: bool = True,
    choices: list[RangeChoice] | None = None,
):
    """The comparison of ``models`` under ``index`` from their (cached, else computed) scores,
    each model checked against its stored Rashomon range where it has one (``choices``, else
    ``range_choices``).

    With ``compute=False`` a missing score returns None instead of running the analysis.
    """
    from analyzers.compare import compare_scored

    if not models or len(models) < 2:
        raise ParameterError("models: choose at least two models to compare")
    parameters = {"index": index}
    read = compute_result if compute else stored_result

    def score(model: str):
        return read(workspace, "interactions", model, parameters)

    chosen = {c.model: c.result for c in choices or range_choices(workspace, models, index)}
    return compare_scored(models, score, rashomon=chosen.get, progress=progress)


def range_choices(workspace, models: list[str], index: str) -> list[RangeChoice]:
    """Each model's stored Rashomon range for ``index`` (the most recent), or none."""
    return [choose_range(workspace, model, index) for model in models or []]


def tree_reason(workspace, models: list[str]) -> str | None:
    """Why index "tree" cannot score every one of ``models`` (the first model it cannot)."""
    return next(filter(None, (tree_index_reason(workspace, m) for m in models)), None)


def layout(workspace, data=None, models=None, index=None, **_) -> html.Div:
    data_names = workspace.data_names
    data = data if data in data_names else (data_names[0] if data_names else None)
    available = workspace.model_names(data) if data else []
    chosen = [m for m in (models or "").split(",") if m in available] or available
    index = index if index in INDEX_LABELS else analysis("interactions").defaults["index"]
    not_tree = tree_reason(workspace, chosen)
    view = stored_view(workspace, data, chosen, index)
    form = html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field("Models", dcc.Dropdown(available, chosen, id=MODELS, multi=True)),
                    html.Div(
                        [
                            html.Label("Index"),
                            dcc.Dropdown(index_options(not_tree), index, id=INDEX, clearable=False),
                        ],
                        className="wb-field",
                        title=not_tree or "",
                    ),
                ],
                className="wb-form",
            ),
            *job_panel(JOB),
        ],
        className="wb-card",
    )
    return html.Div(
        [
            html.H2("Compare interactions across models"),
            form,
            html.Div(id=JOB.status),
            results_area(JOB, view),
        ]
    )


def stored_view(workspace, data: str, models: list[str], index: str) -> list:
    """The comparison from stored scores, or why there is none (press Run, a one-line error)."""
    not_tree = index == "tree" and tree_reason(workspace, models)
    if not_tree:
        return [html.Span(f"index: {not_tree}", className="wb-error")]
    try:
        choices = range_choices(workspace, models, index)
        comparison = compare_stored(workspace, models, index, compute=False, choices=choices)
    except Exception as error:  # unreadable stored scores, a model that fails to load
        return [html.Span(one_line(error), className="wb-error")]
    if comparison is None:
        return [html.P(NOT_STORED, className="wb-muted"), ranges_card(choices, data, index)]
    return result_view(comparison, data, models, index, choices=choices)


NOT_STORED = "Not every chosen model has stored scores for this index yet: press Run."


def result_view(
    comparison, data: str, models: list[str], index: str, choices: list[RangeChoice] | None = None
) -> list:
    """The comparison's views; ``choices`` (the ranges the page looked up) adds the card that
    says which range each model's verdicts use, or how to build one."""
    from analyzers.figures import agreement_heatmap, model_dumbbell_plot, rashomon_overlay_plot

    reference = {"data": data, "models": list(models), "index": index}
    export = export_stem("compare", data, models)
    top = comparison.top_disagreements(1)
    children = [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        html.Div(
            [
                metric("index", INDEX_LABELS.get(index, index)),
                metric("models", str(len(models))),
                metric("pairs", str(len(comparison.pairs))),
                metric(
                    "largest disagreement",
                    f"{top['pair'].iloc[0]}" if len(top) else "none",
                ),
            ],
            className="wb-card wb-metrics",
        ),
        *diagnostics_card(comparison.diagnostics),
        figure_card(
            "cmp-dumbbell",
            model_dumbbell_plot(comparison),
            "Share per pair and model",
            export=export,
        ),
        figure_card(
            "cmp-agreement",
            agreement_heatmap(comparison),
            "Rank agreement (Spearman)",
            export=export,
        ),
    ]
    if choices is not None:
        children.append(ranges_card(choices, data, index))
    sources = comparison.settings.get("ranges", {})
    if not comparison.rashomon.empty:
        for model in comparison.rashomon["reference_model"].unique():
            children.append(
                figure_card(
                    f"cmp-rashomon-{model}",
                    rashomon_overlay_plot(comparison, model),
                    f"Other models against the {range_label(sources.get(model))} of {model}",
                    export=export,
                )
            )
    children += [
        table_card(
            PAGE,
            "disagreement",
            comparison.disagreement,
            "Pairs by disagreement",
            export=export,
        ),
        table_card(
            PAGE, "agreement", comparison.agreement, "Agreement between models", export=export
        ),
        table_card(PAGE, "table", comparison.table, "Aligned pair × model table", export=export),
    ]
    if not comparison.rashomon.empty:
        used = "; ".join(f"{model}: {range_label(source)}" for model, source in sources.items())
        children.append(
            table_card(
                PAGE,
                "rashomon",
                comparison.rashomon,
                "Explained by the Rashomon set?",
                f"Ranges: {used}. Each row names its index and range source; the values are "
                "in the unit the headers give.",
                export=export,
                headers=RANGE_HEADERS,
                units=range_units(comparison),
            )
        )
    return children


def view_search(data: str, models: list[str], index: str) -> str:
    return "?" + urlencode({"data": data, "models": ",".join(models), "index": index})
