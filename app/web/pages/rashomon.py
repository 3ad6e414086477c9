"""Rashomon / FISC: run the exploration as a background job, then halo and swarm plots.

The view state (data set, model, parameters, selected pair) lives in the URL query, so a view is
a bookmark. The page renders from the workspace store: a finished job's result shows at once on a
reload or in another tab. A job writes its result only when complete, so a cancelled job leaves
nothing behind.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html, no_update

from analyzers.rashomon_result import MIN_IN_SET_MODELS
from app.analyses import analysis, bounds_text, compute_result, stored_result
from app.applicability import fisc_data_reason
from app.parameter_text import MAX_RADII, url_value
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
from workbench.errors import WorkbenchError

PATH = "/rashomon"
PAGE = "rashomon"
DATA = "fisc-data"
MODEL = "fisc-model"
EPSILON_RATE = "fisc-epsilon-rate"
APPROXIMATOR = "fisc-approximator"
ORDER = "fisc-order"
RADII = "fisc-radii"
ABSOLUTE = "fisc-absolute"
JOB = JobIds("fisc")
STATUS = JOB.status
RESULTS = JOB.results
URL = JOB.url
PAIR = "fisc-pair"
#: view option (in the URL as outside=1): also draw the sampled models outside the set
OUTSIDE = "fisc-outside"
RESULT_REFERENCE = "fisc-result-reference"
SWARM_TOP = 20
#: URL query names of the form's parameters (the rest take the analysis defaults)
FORM_PARAMETERS = ("epsilon_rate", "approximator", "order", "radii", "absolute")
ORDER_LABELS = {2: "pairs (2)", 3: "triples (3): 3-D halo"}
ABSOLUTE_LABELS = {False: "signed FIS", True: "|FIS| (absolute)"}
#: query names of bookmarks made before the rename, read for one release
RENAMED_QUERY = {"estimator": "approximator", "seed": "random_state"}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Rashomon / FISC",
        order=1,
        title="Rashomon / FISC",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    register_model_choices(app, workspace, DATA, MODEL)

    def explore(progress, workspace, data, model, *values):
        given = dict(zip(FORM_PARAMETERS, values, strict=True))
        parameters = analysis("rashomon").parameters(given, from_form=True)
        result = compute_result(workspace, "rashomon", model, parameters, progress=progress)
        view = result_view(result, None, model, parameters, data=data)
        done = f"Done in {result.seconds:.1f} s; stored, so this view reloads from the store."
        return view_search(data, model, parameters, pair=None), view, done

    # In FORM_PARAMETERS' order: explore() pairs them by position.
    form = [EPSILON_RATE, APPROXIMATOR, ORDER, RADII, ABSOLUTE]
    states = [State(DATA, "value"), State(MODEL, "value")]
    register_job(app, JOB, [*states, *(State(i, "value") for i in form)], explore)

    @app.callback(
        Output(URL, "search", allow_duplicate=True),
        Input(PAIR, "value"),
        Input({"type": "graph", "figure": "fisc-swarm"}, "clickData"),
        State({"type": "graph", "figure": "fisc-swarm"}, "figure"),
        State(URL, "search"),
        prevent_initial_call=True,
    )
    def select_pair(pair, click, swarm, search):
        if dash.ctx.triggered_id != PAIR:
            pair = clicked_interaction(click, swarm)
        if not pair:
            return no_update
        return updated_search(search, {"pair": pair})

    @app.callback(
        Output(URL, "search", allow_duplicate=True),
        Input(OUTSIDE, "value"),
        State(URL, "search"),
        prevent_initial_call=True,
    )
    def show_outside(value, search):
        return updated_search(search, {"outside": "1" if value else None}, remove=("outside",))

    def table_source(frame_name: str):
        def read(reference: dict):
            result = stored_result(
                workspace, "rashomon", reference["model"], reference["parameters"]
            )
            # The CSV holds what the table shows (in-set ranges unless outside models are on).
            outside = bool(reference.get("include_outside"))
            frames = {
                "summary": lambda: result.summary(include_outside=outside),
                "main_effects": lambda: result.main_effect_summary(include_outside=outside),
                "fis_cloud": lambda: result.fis_cloud,
                "boundaries": lambda: result.boundaries,
            }
            return frames[frame_name]()

        return read

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            name: table_source(name)
            for name in ("summary", "main_effects", "fis_cloud", "boundaries")
        },
    )


def layout(workspace, data=None, model=None, pair=None, outside=None, **query) -> html.Div:
    query = {RENAMED_QUERY.get(name, name): value for name, value in query.items()}
    # FISC scales inputs, which means nothing for coded fields (the CTR data sets).
    data_names = [name for name in workspace.data_names if not fisc_data_reason(workspace, name)]
    chosen = select(workspace, "rashomon", data, model, query, FORM_PARAMETERS, data_names)
    if data and data not in data_names and data in workspace.data_names:
        # A link to a data set FISC cannot analyse: say so, never switch data sets silently.
        reason = fisc_data_reason(workspace, data)
        shown = f"; showing {chosen.data!r}" if chosen.data else ""
        chosen = replace(
            chosen, problem=f"data set {data!r} is not available here: {reason}{shown}"
        )
    if chosen.result is not None:
        view = result_view(
            chosen.result,
            pair,
            chosen.model,
            chosen.parameters,
            include_outside=outside == "1",
            data=chosen.data,
        )
    else:
        view = html.P(NO_RESULT, className="wb-muted")
    problem = html.Span(chosen.problem, className="wb-error") if chosen.problem else None
    return html.Div(
        [
            html.H2("Rashomon set: feature interaction clouds (FISC)"),
            _form(chosen.data_names, chosen.data, chosen.models, chosen.model, chosen.parameters),
            html.Div(problem, id=STATUS),
            results_area(JOB, view),
        ]
    )


def _form(data_names, data, models, model, parameters) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field("Model", dcc.Dropdown(models, model, id=MODEL, clearable=False)),
                    number_field(
                        "ε as a fraction of the reference loss",
                        "rashomon",
                        "epsilon_rate",
                        EPSILON_RATE,
                        parameters["epsilon_rate"],
                        step="any",
                    ),
                    field(
                        "Approximator",
                        dcc.Dropdown(
                            list(analysis("rashomon").choices["approximator"]),
                            parameters["approximator"],
                            id=APPROXIMATOR,
                            clearable=False,
                        ),
                    ),
                    *_shape_fields(parameters),
                ],
                className="wb-form",
            ),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


def _shape_fields(parameters: dict) -> list:
    """Order (pairs, or triples with the 3-D halo), rings and the sign convention."""
    orders = [{"label": ORDER_LABELS[o], "value": o} for o in analysis("rashomon").choices["order"]]
    signs = [{"label": label, "value": url_value(v)} for v, label in ABSOLUTE_LABELS.items()]
    radii = dcc.Input(id=RADII, type="text", value=url_value(parameters["radii"]))
    return [
        field("Order", dcc.Dropdown(orders, parameters["order"], id=ORDER, clearable=False)),
        field(
            f"Rings, radii in units of ε (up to {MAX_RADII}, each "
            f"{bounds_text('rashomon', 'radii')}, comma-separated)",
            radii,
        ),
        field(
            "Score",
            dcc.RadioItems(signs, url_value(parameters["absolute"]), id=ABSOLUTE, inline=True),
        ),
    ]


def result_view(
    result,
    pair: str | None,
    model: str,
    parameters: dict,
    include_outside: bool = False,
    data: str | None = None,
) -> list:
    """Metrics, swarm, halo of the selected pair (default: the widest range), and tables.

    The swarms and ranges cover the models in the set (the Compare page's ranges), unless
    ``include_outside``: then the sampled models outside it are drawn too, apart, and the
    table's ranges say they cover every sampled model."""
    from analyzers.figures import halo_plot, halo_plot_3d, main_effect_swarm_plot, swarm_plot

    # Ranked by range, flagged pairs last.
    summary = result.summary(include_outside=include_outside)
    interactions = summary["interaction"].tolist()
    pair = _known_interaction(result, pair) or (interactions[0] if interactions else None)
    in_set = int(result.fis_cloud["in_set"].sum())
    children = [
        dcc.Store(
            id=RESULT_REFERENCE,
            data={"model": model, "parameters": parameters, "include_outside": include_outside},
        ),
        html.Div(
            [
                metric("reference loss L*", f"{result.reference_loss:.4f}"),
                metric("ε", f"{result.epsilon:.4g}"),
                metric("groups", str(len(result.group_names))),
                metric("interactions", str(len(interactions))),
                metric(
                    "sampled joint models in the set", f"{in_set:,} / {len(result.fis_cloud):,}"
                ),
                metric("analysis time", f"{result.seconds:.1f} s"),
            ],
            className="wb-card wb-metrics",
        ),
        *diagnostics_card(result.diagnostics),
    ]
    if pair is None:
        return [*children, html.P("No interactions to show.", className="wb-muted")]
    order = int(summary.set_index("interaction").loc[pair, "order"])
    halo = halo_plot(result, pair) if order == 2 else halo_plot_3d(result, pair)
    export = export_stem("fisc", data, model)
    main_effects = result.main_effect_summary(include_outside=include_outside)
    units = _fis_units(result, summary, main_effects, result.fis_cloud, result.boundaries)
    children += [
        html.Div(
            [
                html.Label("Interaction shown in the halo plot (or click a row of the swarm)"),
                dcc.Dropdown(interactions, pair, id=PAIR, clearable=False),
                dcc.Checklist(
                    [{"label": " also show sampled models outside the set", "value": "1"}],
                    ["1"] if include_outside else [],
                    id=OUTSIDE,
                ),
            ],
            className="wb-card",
        ),
        figure_card("fisc-halo", halo, f"Halo plot: {pair}", export=export),
        figure_card(
            "fisc-swarm",
            swarm_plot(result, top=SWARM_TOP, include_outside=include_outside),
            "FIS swarm: models in the Rashomon set (widest ranges)"
            + (", and the sampled models outside it" if include_outside else ""),
            export=export,
        ),
        figure_card(
            "fisc-main-effects",
            main_effect_swarm_plot(result, include_outside=include_outside),
            "Main effects over the set" + (" and outside it" if include_outside else ""),
            export=export,
        ),
        table_card(
            PAGE,
            "summary",
            summary.drop(columns="ranges_over"),
            f"FIS range per interaction, over the {summary.attrs['ranges_over']}; "
            f"⚠ fewer than {MIN_IN_SET_MODELS} in-set models: not ranked",
            units=units,
            export=export,
        ),
        table_card(
            PAGE,
            "fis_cloud",
            result.fis_cloud,
            "FIS cloud: every sampled joint model",
            units=units,
            export=export,
        ),
        table_card(
            PAGE,
            "main_effects",
            main_effects,
            "Main effects over the set" + (" and outside it" if include_outside else ""),
            units=units,
            export=export,
        ),
        table_card(
            PAGE,
            "boundaries",
            result.boundaries,
            "Rashomon boundary per group",
            units=units,
            export=export,
        ),
    ]
    return children


#: FISC columns measured as loss increases (FIS, its range statistics, main and joint effects)
_LOSS_COLUMNS = {"range", "min", "max", "mean", "std", "median", "budget", "joint_effect"}


def _fis_units(result, *frames) -> dict[str, str]:
    """Header units of the FISC tables: loss increases in the model's loss."""
    from analyzers.figures.interaction_reading import loss_name

    unit = f"Δ {loss_name(result.settings)}"
    columns = {str(c) for frame in frames for c in frame.columns}
    return {
        c: unit for c in columns if c in _LOSS_COLUMNS or "fis" in c or c.startswith("main_effect")
    }


def view_search(data: str, model: str, parameters: dict, pair: str | None) -> str:
    query = {"data": data, "model": model}
    query.update({name: url_value(parameters[name]) for name in FORM_PARAMETERS})
    if pair:
        query["pair"] = pair
    return "?" + urlencode(query)


def clicked_interaction(click: dict | None, swarm: dict | None) -> str | None:
    """The interaction of the swarm row a user clicked (rows sit at integer y)."""
    if not click or not swarm or not click.get("points"):
        return None
    # Row labels live in layout.meta: a flagged row's tick text carries a warning too.
    meta = swarm["layout"].get("meta") or {}
    labels = meta.get("rows") or swarm["layout"]["yaxis"]["ticktext"]
    row = round(float(click["points"][0]["y"]))
    return labels[row] if 0 <= row < len(labels) else None


def _known_interaction(result, pair: str | None) -> str | None:
    """The stored label of ``pair`` (its groups in any order), or None when not analysed."""
    if not pair:
        return None
    try:
        return result.interaction_of(pair)
    except WorkbenchError:
        return None
