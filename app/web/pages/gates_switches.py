"""The Gates page's "OptInter operation switches" card: OptInter's chosen operation per field pair
(memorize, factorize, naive) tested by intervention.

OptInter's choice of operation is a gate over interaction operations, which is why the card sits
on the Gates page beside the model's other intrinsic views (attention maps, intrinsic vs
measured). It runs the "optinter_switches" analysis (``analyzers.operation_switches``) as a
background job: each pair forced to each operation with every weight kept, the loss change with
bootstrap intervals, beside the pair's measured interaction. Offered for OptInter models only;
for any other model Run is disabled and says why on hover.
"""

from __future__ import annotations

import time

from dash import Dash, Input, Output, State, dcc, html

from app.analyses import analysis, compute_result, stored_result
from app.applicability import optinter_reason
from app.web.components import diagnostics_card, figure_card, register_table_downloads
from app.web.jobs import JobIds, job_panel, number_field, register_job, results_area
from app.web.tables import export_stem, table_card
from workbench.errors import ParameterError

PAGE = "optinter-switches"
JOB = JobIds("oswitch")
BOOTSTRAP = "oswitch-bootstrap"
ROWS = "oswitch-rows"
BACKGROUND = "oswitch-background"
NOTE = "oswitch-note"
REFERENCE = "oswitch-reference"
TABLES = {
    "pairs": lambda result: result.pairs,
    "switches": lambda result: result.switches,
    "agreement": lambda result: result.agreement,
}


def offered(workspace, model: str | None) -> tuple[bool, str]:
    """(whether Run is disabled, the reason shown on hover and under the form)."""
    reason = optinter_reason(workspace, model) if model else "choose a model first"
    return bool(reason), reason or ""


def switch_card(workspace, model: str | None) -> html.Div:
    """The card: bootstrap draws, rows and background, Run/Cancel and the result's place."""
    defaults = analysis("optinter_switches").defaults
    disabled, reason = offered(workspace, model)
    panel = job_panel(JOB)
    run = panel[0].children[0]
    run.disabled, run.title = disabled, reason
    return html.Div(
        [
            html.H3("OptInter operation switches"),
            html.P(
                "OptInter states per field pair whether it memorizes, factorizes or ignores "
                "the pair. Force each pair to each operation (weights kept) and measure the "
                "test loss change, beside the pair's measured interaction (SII).",
                className="wb-muted",
            ),
            html.Div(
                [
                    number_field(
                        "Bootstrap draws",
                        "optinter_switches",
                        "n_bootstrap",
                        BOOTSTRAP,
                        defaults["n_bootstrap"],
                    ),
                    number_field(
                        "Explained rows", "optinter_switches", "rows", ROWS, defaults["rows"]
                    ),
                    number_field(
                        "Background rows",
                        "optinter_switches",
                        "background",
                        BACKGROUND,
                        defaults["background"],
                    ),
                ],
                className="wb-form",
            ),
            *panel,
            html.P(reason if disabled else "", id=NOTE, className="wb-muted"),
            html.Div(id=JOB.status),
            results_area(JOB, None),
        ],
        className="wb-card",
    )


def register(app: Dash, workspace, data_id: str, model_id: str) -> None:
    states = [State(data_id, "value"), State(model_id, "value"), State(BOOTSTRAP, "value")]
    register_job(app, JOB, [*states, State(ROWS, "value"), State(BACKGROUND, "value")], _analyze)

    @app.callback(
        Output(JOB.run, "disabled", allow_duplicate=True),
        Output(JOB.run, "title"),
        Output(NOTE, "children"),
        Input(model_id, "value"),
        prevent_initial_call=True,
    )
    def offer(model):
        disabled, reason = offered(workspace, model)
        return disabled, reason, reason if disabled else ""

    def read(reference: dict):
        return stored_result(
            workspace, "optinter_switches", reference["model"], reference["parameters"]
        )

    register_table_downloads(
        app, PAGE, REFERENCE, {name: _table(read, table) for name, table in TABLES.items()}
    )


def _table(read, table):
    return lambda reference: table(read(reference))


def _analyze(progress, workspace, data, model, n_bootstrap, rows, background):
    """The background job: the stored result of these settings, else computed and stored."""
    if not model:
        raise ParameterError("model: choose an OptInter model at the top of the page")
    given = {"n_bootstrap": n_bootstrap, "rows": rows, "background": background}
    parameters = analysis("optinter_switches").parameters(given, from_form=True)
    started = time.monotonic()
    result = compute_result(workspace, "optinter_switches", model, parameters, progress=progress)
    seconds = time.monotonic() - started
    done = f"Done in {seconds:.1f} s; stored, so a second run reads the store."
    return None, result_view(result, data, model, parameters), done


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
