"""The Gates page's "Intrinsic vs measured" card: does a CTR model's own pair weight mean what it
looks like?

Runs the "intrinsic" analysis (``analyzers.intrinsic_interactions``) of the model chosen at the
top of the page as a background job: the model's own pair weights (the zoo's AutoInt attention,
DCN-V2 cross weights, FinalMLP's bilinear heads, OptInter's operation), or the mean attention at
its attention sites (a torch model registered with ``--site-kind attention``, such as DeepCTR's
AutoInt or AFM through ``workbench.deepctr:build``; the zoo's AutoInt), beside the measured
interaction per field pair and their rank agreement. A source that cannot apply to the model is
shown disabled, with the reason on hover. The options live in the page URL (``intr_source``,
``intr_index``...; see ``gates_cards``).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from app.analyses import analysis, stored_result
from app.applicability import intrinsic_source_reason
from app.intrinsic_runs import INTRINSIC_SOURCES
from app.web.components import diagnostics_card, figure_card, register_table_downloads
from app.web.jobs import JobIds, field, job_panel, number_field, register_job, results_area
from app.web.pages.gates_cards import (
    card_job,
    card_parameters,
    form_view,
    stored_view,
)
from app.web.pages.interactions_form import INDEX_LABELS
from app.web.tables import export_stem, table_card
from workbench.errors import ParameterError

PAGE = "intrinsic"
JOB = JobIds("intr")
SOURCE = "intr-source"
#: the source field, whose hover text says why a source is not offered
SOURCE_FIELD = "intr-source-field"
INDEX = "intr-index"
ROWS = "intr-rows"
BACKGROUND = "intr-background"
REFERENCE = "intr-reference"
#: the options a URL carries (as ``intr_<name>``); random_state keeps its default
FORM_PARAMETERS = ("source", "index", "rows", "background")
SOURCE_LABELS = {
    "own": "the model's own pair weights",
    "attention": "mean attention at its attention sites",
}
TABLES = {"agreement": lambda result: result.agreement, "pairs": lambda result: result.pairs}


def source_choices(workspace, model: str | None) -> tuple[list[dict], str | None, str]:
    """(dropdown options, the value to show, hover text): a source that cannot apply to
    ``model`` is disabled and its reason is in the hover text."""
    if not model:
        return [], None, ""
    reasons = {s: intrinsic_source_reason(workspace, model, s) for s in INTRINSIC_SOURCES}
    options = [
        {"label": SOURCE_LABELS[s] + (": not for this model" if reasons[s] else ""), "value": s}
        | ({"disabled": True} if reasons[s] else {})
        for s in INTRINSIC_SOURCES
    ]
    usable = [s for s in INTRINSIC_SOURCES if not reasons[s]]
    hover = " ".join(f"{SOURCE_LABELS[s]}: {r}." for s, r in reasons.items() if r)
    return options, (usable[0] if usable else None), hover


def index_options(analysis_name: str) -> list[dict]:
    """The measured indices the analysis takes (every pair index; a CTR model has no trees)."""
    allowed = analysis(analysis_name).choices["index"]
    return [{"label": INDEX_LABELS[index], "value": index} for index in allowed]


def intrinsic_card(workspace, data: str | None, model: str | None, query: dict) -> html.Div:
    """The card: source, measured index, rows and background (from the URL ``query``),
    Run/Cancel and the stored result of the model and these options."""
    parameters, problem = card_parameters("intrinsic", JOB.prefix, FORM_PARAMETERS, query)
    options, value, hover = source_choices(workspace, model)
    if parameters["source"] in {o["value"] for o in options if not o.get("disabled")}:
        value = parameters["source"]  # the URL's source, where the model has it
    shown = {**parameters, "source": value}
    view = stored_view(workspace, "intrinsic", data, model, shown, result_view, problem)
    return html.Div(
        [
            html.H3("Intrinsic vs measured interactions"),
            html.P(
                "The model's own weight per field pair (attention, cross weights, bilinear "
                "heads, OptInter's operation) beside the interaction its inputs show when "
                "intervened on (the measured index), and how well the two rankings agree.",
                className="wb-muted",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Pair weights"),
                            dcc.Dropdown(options, value, id=SOURCE, clearable=False),
                        ],
                        className="wb-field",
                        id=SOURCE_FIELD,
                        title=hover,
                    ),
                    field(
                        "Measured index",
                        dcc.Dropdown(
                            index_options("intrinsic"),
                            parameters["index"],
                            id=INDEX,
                            clearable=False,
                        ),
                    ),
                    number_field("Explained rows", "intrinsic", "rows", ROWS, parameters["rows"]),
                    number_field(
                        "Background rows",
                        "intrinsic",
                        "background",
                        BACKGROUND,
                        parameters["background"],
                    ),
                ],
                className="wb-form",
            ),
            *job_panel(JOB),
            html.Div(id=JOB.status),
            results_area(JOB, view),
        ],
        className="wb-card",
    )


def register(app: Dash, workspace, data_id: str, model_id: str, page_url: str) -> None:
    """The job (its URL query is built on ``page_url``'s, the page's current one) and the
    choices and stored result that follow the model."""
    options = [State(INDEX, "value"), State(ROWS, "value"), State(BACKGROUND, "value")]
    states = [State(data_id, "value"), State(model_id, "value"), State(SOURCE, "value")]
    register_job(app, JOB, [*states, *options, State(page_url, "search")], _analyze)

    @app.callback(
        Output(SOURCE, "options"),
        Output(SOURCE, "value"),
        Output(SOURCE_FIELD, "title"),
        Output(JOB.results, "children", allow_duplicate=True),
        Input(model_id, "value"),
        State(data_id, "value"),
        *options,
        prevent_initial_call=True,
    )
    def follow_model(model, data, index, rows, background):
        # The last result belongs to the model it names: show the new model's, or say none.
        options, source, hover = source_choices(workspace, model)
        given = {"source": source, "index": index, "rows": rows, "background": background}
        return (
            options,
            source,
            hover,
            form_view(workspace, "intrinsic", data, model, given, result_view),
        )

    def read(reference: dict):
        return stored_result(workspace, "intrinsic", reference["model"], reference["parameters"])

    register_table_downloads(
        app, PAGE, REFERENCE, {name: _table(read, table) for name, table in TABLES.items()}
    )


def _table(read, table):
    return lambda reference: table(read(reference))


def _analyze(progress, workspace, data, model, source, index, rows, background, search):
    """The background job: the stored result of these settings, else computed and stored;
    the page URL then records them."""
    if not model:
        raise ParameterError("model: choose a CTR model at the top of the page")
    if not source:
        raise ParameterError(
            f"source: {model!r} has neither its own pair weights we read nor attention sites"
        )
    given = {"source": source, "index": index, "rows": rows, "background": background}
    job = {"data": data, "model": model, "search": search, "given": given}
    return card_job(progress, workspace, "intrinsic", JOB, FORM_PARAMETERS, result_view, job)


def result_view(result, data: str | None, model: str, parameters: dict) -> list:
    """The rank figure, the agreement per source and every pair, with CSV downloads."""
    from analyzers.figures.intrinsic import intrinsic_rank_figure

    export = export_stem("intrinsic", data, model)
    return [
        dcc.Store(id=REFERENCE, data={"model": model, "parameters": parameters}),
        *diagnostics_card(result.diagnostics),
        html.P(f"{model}: {result.how}", className="wb-muted"),
        figure_card(
            f"{PAGE}-ranks",
            intrinsic_rank_figure(result),
            "Intrinsic rank vs measured rank per field pair",
            export=export,
        ),
        table_card(
            PAGE,
            "agreement",
            result.agreement,
            f"Rank agreement per source ({result.measured_index} measured)",
            export=export,
        ),
        table_card(PAGE, "pairs", result.pairs, "Every field pair per source", export=export),
    ]
