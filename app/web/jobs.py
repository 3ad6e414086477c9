"""Background jobs of the pages: Run/Cancel buttons, a progress bar, and the job callback.

Every analysis page runs its work the same way: a Dash background callback (a process forked from
the server, with the diskcache manager) that reports progress, can be cancelled (Dash terminates
the process), and stores its result only when complete. The job returns the page's new URL query,
the rendered result and a status line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from urllib.parse import parse_qsl, urlencode

from dash import Dash, Input, Output, State, dcc, html, no_update

from app.analyses import watching_stores
from app.web.components import one_line
from app.web.context import WORKSPACE_KEY, workspace_for
from app.web.job_record import JobRecord
from workbench.errors import WorkbenchError
from workbench.progress import ProgressCallback

_PROGRESS_INTERVAL_SECONDS = 0.25
#: how often the browser polls a running job, milliseconds
POLL_INTERVAL_MS = 500


@dataclass(frozen=True)
class JobIds:
    """Component ids of one page's job, all starting with ``prefix`` (``"cmp"`` → ``"cmp-run"``).

    The ids are a fixed set of fields, so a mistyped one raises ``AttributeError`` instead of
    naming a component no layout has.
    """

    prefix: str
    run: str = dataclass_field(init=False)
    cancel: str = dataclass_field(init=False)
    progress: str = dataclass_field(init=False)
    progress_text: str = dataclass_field(init=False)
    url: str = dataclass_field(init=False)
    view_url: str = dataclass_field(init=False)
    status: str = dataclass_field(init=False)
    results: str = dataclass_field(init=False)

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name != "prefix":
                object.__setattr__(self, item.name, f"{self.prefix}-{item.name.replace('_', '-')}")


#: job(progress, workspace, *state values) -> (URL query or None, result view, status text);
#: a module-level function, not a closure over a workspace (see app/context.py)
JobWork = Callable[..., tuple[str | None, list, str]]


def job_panel(ids: JobIds) -> list:
    """Run and Cancel buttons, the progress bar and the status line."""
    return [
        html.Div(
            [
                html.Button("Run", id=ids.run, className="wb-primary", n_clicks=0),
                html.Button("Cancel", id=ids.cancel, n_clicks=0, disabled=True),
                html.Progress(id=ids.progress, value="0", max="1", style={"visibility": "hidden"}),
                html.Span(id=ids.progress_text, className="wb-muted"),
            ],
            className="wb-form",
        ),
        dcc.Location(id=ids.url, refresh="callback-nav"),
        # View controls write this one: the URL records the view, the page is not re-rendered.
        dcc.Location(id=ids.view_url, refresh=False),
    ]


def register_job(app: Dash, ids: JobIds, states: list[State], work: JobWork) -> None:
    """The page's background job, the message shown when a user cancels it, and the sync
    of the page's two URL components."""
    _register_url_sync(app, ids)

    @app.callback(
        Output(ids.url, "search"),
        Output(ids.results, "children"),
        Output(ids.status, "children"),
        Input(ids.run, "n_clicks"),
        *states,
        State(ids.url, "search"),
        State(WORKSPACE_KEY, "data"),
        background=True,
        interval=POLL_INTERVAL_MS,
        prevent_initial_call=True,
        running=[
            (Output(ids.run, "disabled"), True, False),
            (Output(ids.cancel, "disabled"), False, True),
            (Output(ids.progress, "style"), {"visibility": "visible"}, {"visibility": "hidden"}),
            # The last stage's count goes with the bar: a failed job must not leave "0 / 2".
            (
                Output(ids.progress_text, "style"),
                {"visibility": "visible"},
                {"visibility": "hidden"},
            ),
        ],
        progress=[
            Output(ids.progress, "value"),
            Output(ids.progress, "max"),
            Output(ids.progress_text, "children"),
        ],
        cancel=[Input(ids.cancel, "n_clicks")],
    )
    def run_job(set_progress, clicks, *values):
        return job_outputs(work, set_progress, *values, prefix=ids.prefix)

    @app.callback(
        Output(ids.status, "children", allow_duplicate=True),
        Input(ids.cancel, "n_clicks"),
        *states,
        State(WORKSPACE_KEY, "data"),
        prevent_initial_call=True,
    )
    def report_cancel(clicks, *values):
        *values, workspace_key = values
        record = JobRecord(workspace_for(workspace_key).root, ids.prefix, values)
        return html.Span(record.cancel_message(), className="wb-muted")


def _register_url_sync(app: Dash, ids: JobIds) -> None:
    """A partial view change writes ``ids.view_url`` (no page re-render); the navigating
    ``ids.url`` would keep the query it had before and a later change derived from it (or set
    back to it, which a Location ignores) would lose the view. Copying the query over (in the
    browser) keeps it current; it equals the address, so it navigates nowhere."""
    app.clientside_callback(
        "function (search) { return search; }",
        Output(ids.url, "search", allow_duplicate=True),
        Input(ids.view_url, "search"),
        prevent_initial_call=True,
    )


def queued_progress(ahead: int) -> tuple[str, str, str]:
    """The progress a job shows while it waits for a place in the job pool (app.web.job_pool)."""
    return ("0", "1", f"Queued ({ahead} ahead)")


WORKER_LOST = (
    "The worker running this job stopped (killed or crashed) before the job finished. "
    "Press Run to try again (a result it had stored is read from the store)."
)


def lost_output() -> list:
    """What a job's callback returns when its Celery worker died (app.web.celery_jobs)."""
    return [no_update, no_update, html.Span(WORKER_LOST, className="wb-error")]


def job_outputs(work: JobWork, set_progress, *values, prefix: str = "job") -> tuple:
    """What a finished job sends the page: (new URL query, result view, status line). Any
    error ends as a one-line status: a workbench error as it is, anything else (a bug, an
    out-of-memory) as "Failed: <type>: <reason>", never a silent re-enabled Run button.

    The job notes each result path before storing it (JobRecord under ``prefix``), so a Cancel
    that comes late can say whether a result was kept."""
    *values, current_search, workspace_key = values
    try:
        workspace = workspace_for(workspace_key)
        record = JobRecord(workspace.root, prefix, values)
        record.start()
        with watching_stores(record.storing):
            search, view, message = work(throttled(set_progress), workspace, *values)
    except WorkbenchError as error:
        return no_update, no_update, html.Span(str(error), className="wb-error")
    except Exception as error:
        return no_update, no_update, html.Span(f"Failed: {one_line(error)}", className="wb-error")
    status = html.Span(message, className="wb-ok")
    if search is not None and search != current_search:
        # A new URL re-renders the page from the store; sending the view as well would
        # render it twice and replace components under the user's pointer. Until then (5-31 s
        # seen) the area says the result is coming, never "No stored result" under "Done".
        return search, html.P(LOADING_RESULT, className="wb-muted"), status
    return no_update, view, status


def throttled(set_progress) -> ProgressCallback:
    """Analyzer progress to the page, at most every 0.25 s per stage (each is a disk write)."""
    last = {"time": 0.0, "stage": None}

    def update(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        same_stage = stage == last["stage"]
        if same_stage and now - last["time"] < _PROGRESS_INTERVAL_SECONDS and done < total:
            return
        last.update(time=now, stage=stage)
        set_progress((str(done), str(max(total, 1)), f"{stage}: {done} / {total}"))

    return update


@dataclass(frozen=True)
class PageSelection:
    """What a job page shows, resolved from its URL query against the workspace.

    ``problem`` is the one-line error of parameters the query got wrong (the defaults are used
    instead); ``result`` is the stored result for the selection, or None.
    """

    data_names: list
    data: str | None
    models: list
    model: str | None
    parameters: dict
    problem: str | None
    result: object


def select(
    workspace, analysis_name: str, data, model, query: dict, form_parameters, data_names=None
) -> PageSelection:
    """Data set, model and parameters from a page's URL query (unknown values fall back to the
    first choice and the defaults), and the stored result for them."""
    from app.analyses import analysis

    data_names = list(workspace.data_names if data_names is None else data_names)
    data = data if data in data_names else (data_names[0] if data_names else None)
    models = workspace.model_names(data) if data else []
    model = model if model in models else (models[0] if models else None)
    given = {name: query[name] for name in form_parameters if name in query}
    problem = None
    try:
        parameters = analysis(analysis_name).parameters(given)
    except WorkbenchError as error:
        problem, parameters = str(error), analysis(analysis_name).parameters({})
    result, unreadable = read_result(workspace, analysis_name, model, parameters)
    return PageSelection(data_names, data, models, model, parameters, problem or unreadable, result)


def read_result(workspace, analysis_name: str, model: str | None, parameters: dict):
    """(the stored result or None, None), or (None, the one-line reason it cannot be shown:
    the stored file is unreadable, or the model does not load), so the page still renders."""
    from app.analyses import stored_result
    from workbench.store import StoredResultError

    if not model:
        return None, None
    try:
        return stored_result(workspace, analysis_name, model, parameters), None
    except StoredResultError as error:
        return None, f"{error} — press Run to recompute"
    except Exception as error:  # a model that fails to load: its page still shows the form
        return None, one_line(error)


NO_RESULT = "No stored result for these settings yet: press Run."
#: the results area between a job's "Done" and the page rebuilt from the store
LOADING_RESULT = "Loading the stored result…"
#: a loading area stays visible (dimmed) under its spinner: the last view is still readable
LOADING_OVERLAY = {"visibility": "visible", "opacity": 0.5}


def results_area(ids: JobIds, view) -> dcc.Loading:
    """A page's results area, with a spinner while a job or a view change computes into it."""
    return dcc.Loading(
        html.Div(view, id=ids.results),
        target_components={ids.results: "children"},
        overlay_style=LOADING_OVERLAY,
        delay_show=200,
    )


def updated_search(search: str | None, chosen: dict, remove: tuple[str, ...] = ()) -> str:
    """A page URL's query ``search`` with the truthy values of ``chosen`` set and the names in
    ``remove`` dropped (the view state lives in the URL, so each view control edits it)."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    for name in remove:
        query.pop(name, None)
    query.update({name: value for name, value in chosen.items() if value})
    return "?" + urlencode(query)


def field(label: str, control) -> html.Div:
    """A labelled form control."""
    return html.Div([html.Label(label), control], className="wb-field")


def number_field(
    label: str, analysis_name: str, name: str, component_id: str, value, step="1"
) -> html.Div:
    """A number box with the bounds of the analysis parameter ``name`` in its label and as its
    min/max. A value outside them reaches the job as None, which the registry refuses, naming
    the bounds (``parameters(..., from_form=True)``)."""
    from app.analyses import analysis, bounds_text

    low, high = analysis(analysis_name).bounds[name]
    box = dcc.Input(id=component_id, type="number", value=value, min=low, max=high, step=step)
    return field(f"{label} ({bounds_text(analysis_name, name)})", box)


def stored_status(result) -> str:
    """The status line of a page rendered from the store: a job's "Done in …" is gone once its
    new URL re-renders the page, and this takes its place, so the state after Done stays
    truthful."""
    return f"Stored result, computed in {result.seconds:.1f} s: read from the store."
