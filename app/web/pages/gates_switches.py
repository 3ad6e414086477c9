"""The Gates page's "OptInter operation switches" card: OptInter's chosen operation per field pair
(memorize, factorize, naive) tested by intervention.

OptInter's choice of operation is a gate over interaction operations, which is why the card sits
on the Gates page beside the model's other intrinsic views (attention maps, intrinsic vs
measured). It runs the "optinter_switches" analysis (``analyzers.operation_switches``) as a
background job: each pair forced to each operation with every weight kept, the loss change with
bootstrap intervals, beside the pair's measured interaction. Offered for OptInter models only;
for any other model Run is disabled and says why on hover. The options live in the page URL
(``oswitch_pairs``, ``oswitch_index``...; see ``gates_cards``).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from app.analyses import stored_result
from app.applicability import optinter_reason
from app.web.components import diagnostics_card, figure_card, register_table_downloads
from app.web.jobs import JobIds, field, job_panel, number_field, register_job
from app.web.pages.gates_cards import (
    card_job,
    card_parameters,
    card_tail,
    form_view,
    stored_view,
)
from app.web.pages.gates_intrinsic import index_options
from app.web.tables import export_stem, table_card
from workbench.errors import ParameterError

PAGE = "optinter-switches"
JOB = JobIds("oswitch")
PAIRS = "oswitch-pairs"
INDEX = "oswitch-index"
BOOTSTRAP = "oswitch-bootstrap"
ROWS = "oswitch-rows"
BACKGROUND = "oswitch-background"
NOTE = "oswitch-note"
REFERENCE = "oswitch-reference"
#: the options a URL carries (as ``oswitch_<name>``); random_state keeps its default
FORM_PARAMETERS = ("pairs", "n_bootstrap", "index", "rows", "background")
TABLES = {
    "pairs": lambda result: result.pairs,
    "switches": lambda result: result.switches,
    "agreement": lambda result: result.agreement,
}


def offered(workspace, model: str | None) -> tuple[bool, str]:
    """(whether Run is disabled, the reason shown on hover and under the form)."""
    reason = optinter_reason(workspace, model) if model else "choose a model first"
    return bool(reason), reason or ""


def pair_options(workspace, model: str | None) -> list[dict]:
    """The field pairs of an OptInter ``model`` for the pair choice (none for another model);
    each value is the pair as the registry writes it ("a,b", fields sorted)."""
    if not model or optinter_reason(workspace, model):
        return []
    module = workspace.model(model).adapter.module
    names = module.field_names
    return [
        {"label": f"{names[i]} × {names[j]}", "value": ",".join(sorted((names[i], names[j])))}
        for i, j in module.pairs
    ]


def chosen_pairs(options: list[dict], pairs) -> list[str]:
    """The pairs of ``pairs`` (registry text or a list) that ``options`` offers."""
    named = pairs.split(";") if isinstance(pairs, str) else list(pairs or ())
    offered_values = {option["value"] for option in options}
    return [pair for pair in named if pair in offered_values]


def switch_card(workspace, data: str | None, model: str | None, query: dict) -> html.Div:
    """The card: pairs, measured index, bootstrap draws, rows and background (from the URL
    ``query``), Run/Cancel and the stored result of the model and these options."""
    parameters, problem = card_parameters("optinter_switches", JOB.prefix, FORM_PARAMETERS, query)
    disabled, reason = offered(workspace, model)
    pairs = pair_options(workspace, model)
    view = None
    if not disabled:
        view = stored_view(
            workspace, "optinter_switches", data, model, parameters, result_view, problem
        )
    panel = job_panel(JOB)
    run = panel[0].children[0]
    run.disabled, run.title = disabled, reason
    return html.Div(
        [
            html.H3("OptInter operation switches"),
            html.P(
                "OptInter states per field pair whether it memorizes, factorizes or ignores "
                "the pair. Force each pair to each operation (weights kept) and measure the "
                "test loss change, beside the pair's measured interaction.",
                className="wb-muted",
            ),
            html.Div(
                [
                    field(
                        "Pairs to switch (none chosen: every pair)",
                        dcc.Dropdown(
                            pairs,
                            chosen_pairs(pairs, parameters["pairs"]),
                            id=PAIRS,
                            multi=True,
                            placeholder="every pair",
                        ),
                    ),
                    field(
                        "Measured index",
                        dcc.Dropdown(
                            index_options("optinter_switches"),
                            parameters["index"],
                            id=INDEX,
                            clearable=False,
                        ),
                    ),
                    number_field(
                        "Bootstrap draws",
                        "optinter_switches",
                        "n_bootstrap",
                        BOOTSTRAP,
                        parameters["n_bootstrap"],
                    ),
                    number_field(
                        "Explained rows", "optinter_switches", "rows", ROWS, parameters["rows"]
                    ),
                    number_field(
                        "Background rows",
                        "optinter_switches",
                        "background",
                        BACKGROUND,
                        parameters["background"],
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
    options = [State(INDEX, "value"), State(ROWS, "value"), State(BACKGROUND, "value")]
    states = [State(data_id, "value"), State(model_id, "value"), State(PAIRS, "value")]
    states += [State(BOOTSTRAP, "value"), *options, State(page_url, "search")]
    register_job(app, JOB, states, _analyze)

    @app.callback(
        Output(JOB.run, "disabled", allow_duplicate=True),
        Output(JOB.run, "title"),
        Output(NOTE, "children"),
        Output(PAIRS, "options"),
        Output(PAIRS, "value"),
        Output(JOB.results, "children", allow_duplicate=True),
        Input(model_id, "value"),
        State(data_id, "value"),
        State(PAIRS, "value"),
        State(BOOTSTRAP, "value"),
        *options,
        prevent_initial_call=True,
    )
    def follow_model(model, data, pairs, n_bootstrap, index, rows, background):
        # The last result belongs to the model it names: show the new model's, or say none.
        disabled, reason = offered(workspace, model)
        choices = pair_options(workspace, model)
        pairs = chosen_pairs(choices, pairs)  # another OptInter keeps the pairs it shares
        given = {"pairs": pairs, "n_bootstrap": n_bootstrap, "index": index, "rows": rows}
        given["background"] = background
        view = None
        if not disabled:
            view = form_view(workspace, "optinter_switches", data, model, given, result_view)
        return disabled, reason, reason if disabled else "", choices, pairs, view

    def read(reference: dict):
        return stored_result(
            workspace, "optinter_switches", reference["model"], reference["parameters"]
        )

    register_table_downloads(
        app, PAGE, REFERENCE, {name: _table(read, table) for name, table in TABLES.items()}
    )


def _table(read, table):
    return lambda reference: table(read(reference))


def _analyze(progress, workspace, data, model, pairs, n_bootstrap, index, rows, background, search):
    """The background job: the stored result of these settings, else computed and stored;
    the page URL then records them."""
    if not model:
        raise ParameterError("model: choose an OptInter model at the top of the page")
    given = {"pairs": pairs, "n_bootstrap": n_bootstrap, "index": index, "rows": rows}
    given["background"] = background
    job = {"data": data, "model": model, "search": search, "given": given}
    return card_job(
        progress, workspace, "optinter_switches", JOB, FORM_PARAMETERS, result_view, job
    )


def result_view(result, data: str | None, model: str, parameters: dict) -> list:
    """The switch figure, the pairs, every switch and the rank agreement, with CSV downloads."""
    from analyzers.figures.intrinsic import operation_switch_figure

    export = export_stem("optinter-switches", data, model)
    kind = "search model (softmax mixture)" if result.settings["searching"] else "retrained"
    return [
        dcc.Store(id=REFERENCE, data={"model": model, "parameters": parameters}),
        *diagnostics_card(result.diagnostics),
        html.P(
            f"{model} ({kind}): base loss {result.base_loss:.4f} on "
            f"{result.settings['n_rows']:,} test rows",
            className="wb-muted",
        ),
        figure_card(
            f"{PAGE}-effects",
            operation_switch_figure(result),
            "Loss change of each forced operation",
            export=export,
        ),
        table_card(
            PAGE, "pairs", result.pairs, "Per pair: switch effect vs measured", export=export
        ),
        table_card(
            PAGE,
            "agreement",
            result.agreement,
            f"Rank agreement with the measured interaction ({result.measured_index})",
            export=export,
        ),
        table_card(PAGE, "switches", result.switches, "Every switch", export=export),
    ]
