"""The Gates page's "OptFS feature-value selection" card: OptFS's search → ticket → retrain.

OptFS learns a gate per feature value; the search keeps the values whose gate weight is > 0
(the ticket) and retrains them. The card runs the recipe (the "optfs" analysis,
``analyzers.optfs_selection``) on the data set of the OptFS chosen at the top of the page, with
that model's options, as a background job whose progress names the training stage, and shows
the kept values per field with each stage's test AUC and log-loss. Offered for OptFS models
only; for any other model Run is disabled and says why on hover. The options live in the page
URL (``optfs_search_epochs``, ``optfs_max_epochs``, ``optfs_backbone``; see ``gates_cards``).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from app.analyses import stored_result
from app.applicability import optfs_reason
from app.web.components import diagnostics_card, figure_card, register_table_downloads
from app.web.jobs import JobIds, field, job_panel, number_field, register_job
from app.web.pages.gates_cards import (
    card_job,
    card_parameters,
    card_tail,
    form_view,
    stored_view,
)
from app.web.tables import export_stem, table_card
from workbench.errors import ParameterError

PAGE = "optfs"
JOB = JobIds("optfs")
EPOCHS = "optfs-epochs"
SEARCH_EPOCHS = "optfs-search-epochs"
BACKBONE = "optfs-backbone"
NOTE = "optfs-note"
REFERENCE = "optfs-reference"
#: the options a URL carries (as ``optfs_<name>``); random_state keeps its default
FORM_PARAMETERS = ("search_epochs", "max_epochs", "backbone")
TABLES = {
    "fields": lambda result: result.fields,
    "metrics": lambda result: result.metrics,
    "values": lambda result: result.values,
}


def offered(workspace, model: str | None) -> tuple[bool, str]:
    """(whether Run is disabled, the reason shown on hover and under the form)."""
    reason = optfs_reason(workspace, model) if model else "choose a model first"
    return bool(reason), reason or ""


def optfs_card(workspace, data: str | None, model: str | None, query: dict) -> html.Div:
    """The card: the search's epochs, the retraining's most epochs and the backbone switch
    (from the URL ``query``),
    Run/Cancel and the stored result of the model and these options."""
    parameters, problem = card_parameters("optfs", JOB.prefix, FORM_PARAMETERS, query)
    disabled, reason = offered(workspace, model)
    view = None
    if not disabled:
        view = stored_view(workspace, "optfs", data, model, parameters, result_view, problem)
    panel = job_panel(JOB)
    run = panel[0].children[0]
    run.disabled, run.title = disabled, reason
    backbone = [
        {"label": "yes (one more training run)", "value": "on"},
        {"label": "no", "value": "off"},
    ]
    return html.Div(
        [
            html.H3("OptFS feature-value selection"),
            html.P(
                "Search the gate of every feature value with a sparsity penalty, keep the "
                "values whose gate weight is above 0 (the ticket), retrain the ticket, and "
                "compare test AUC and log-loss of each stage (trains the model's options "
                "anew on its data set).",
                className="wb-muted",
            ),
            html.Div(
                [
                    number_field(
                        "Search epochs (all run: the gates harden by the last)",
                        "optfs",
                        "search_epochs",
                        SEARCH_EPOCHS,
                        parameters["search_epochs"],
                    ),
                    number_field(
                        "Most epochs of the retraining and the backbone (early stopping)",
                        "optfs",
                        "max_epochs",
                        EPOCHS,
                        parameters["max_epochs"],
                    ),
                    field(
                        "Ungated backbone for comparison",
                        dcc.Dropdown(
                            backbone, parameters["backbone"], id=BACKBONE, clearable=False
                        ),
                    ),
                ],
                className="wb-form",
            ),
            *card_tail(JOB, panel, NOTE, reason if disabled else "", view),
        ],
        className="wb-card",
    )


def register(app: Dash, workspace, data_id: str, model_id: str, page_url: str) -> None:
    """The job (its URL query is built on ``page_url``'s, the page's current one) and the
    choices and stored result that follow the model."""
    options = [State(SEARCH_EPOCHS, "value"), State(EPOCHS, "value"), State(BACKBONE, "value")]
    states = [State(data_id, "value"), State(model_id, "value")]
    register_job(app, JOB, [*states, *options, State(page_url, "search")], _analyze)

    @app.callback(
        Output(JOB.run, "disabled", allow_duplicate=True),
        Output(JOB.run, "title"),
        Output(NOTE, "children"),
        Output(JOB.results, "children", allow_duplicate=True),
        Input(model_id, "value"),
        State(data_id, "value"),
        *options,
        prevent_initial_call=True,
    )
    def follow_model(model, data, search_epochs, max_epochs, backbone):
        # The last result belongs to the model it names: show the new model's, or say none.
        disabled, reason = offered(workspace, model)
        given = {"search_epochs": search_epochs, "max_epochs": max_epochs, "backbone": backbone}
        view = None if disabled else form_view(workspace, "optfs", data, model, given, result_view)
        return disabled, reason, reason if disabled else "", view

    def read(reference: dict):
        return stored_result(workspace, "optfs", reference["model"], reference["parameters"])

    register_table_downloads(
        app, PAGE, REFERENCE, {name: _table(read, table) for name, table in TABLES.items()}
    )


def _table(read, table):
    return lambda reference: table(read(reference))


def _analyze(progress, workspace, data, model, search_epochs, max_epochs, backbone, search):
    """The background job: the stored result of these settings, else computed and stored;
    the page URL then records them."""
    if not model:
        raise ParameterError("model: choose an OptFS model at the top of the page")
    given = {"search_epochs": search_epochs, "max_epochs": max_epochs, "backbone": backbone}
    job = {"data": data, "model": model, "search": search, "given": given}
    return card_job(progress, workspace, "optfs", JOB, FORM_PARAMETERS, result_view, job)


def result_view(result, data: str | None, model: str, parameters: dict) -> list:
    """Kept share per field, the stages' metrics, every value, with CSV downloads."""
    from analyzers.figures.optfs import optfs_kept_figure

    export = export_stem("optfs", data, model)
    return [
        dcc.Store(id=REFERENCE, data={"model": model, "parameters": parameters}),
        *diagnostics_card(result.diagnostics),
        html.P(
            f"{model}: the ticket keeps {result.kept_share:.1%} of the feature values",
            className="wb-muted",
        ),
        figure_card(f"{PAGE}-kept", optfs_kept_figure(result), "Kept per field", export=export),
        table_card(PAGE, "metrics", result.metrics, "Test metrics per stage", export=export),
        table_card(PAGE, "fields", result.fields, "Kept values per field", export=export),
        table_card(PAGE, "values", result.values, "Every feature value", export=export),
    ]
