"""The Rashomon / FISC page's result view: metrics, the halo of the chosen pair, swarms and
tables, rendered from a stored ``RashomonResult``; built views are kept (app.web.view_cache).

The page shows the top of the view first (metrics, the pair choice, the halo) and asks for the
rest (swarms and tables, below the fold) once the halo is drawn. Drawn in one go, the four grids
and two swarms held the halo back: a demo result's halo appeared after 8.5 s in Chromium on a
loaded 2-core machine, 1.3 s with the top alone; they are also 0.6 of the server's 0.9 s build
and 490 of the page's 530 kB. The grids, far below the fold, are built only when scrolled
near (``table_card(lazy=True)``): building them on arrival cost a reload a quarter of its time."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from analyzers.rashomon_result import MIN_IN_SET_MODELS
from app.web.components import diagnostics_card, export_stem, figure_card, metric, table_card
from app.web.view_cache import cached_view
from workbench.errors import WorkbenchError

PAGE = "rashomon"
PAIR = "fisc-pair"
#: the halo card's container: a pair choice re-renders only this
HALO_AREA = "fisc-halo-area"
#: view option (in the URL as outside=1): also draw the sampled models outside the set
OUTSIDE = "fisc-outside"
RESULT_REFERENCE = "fisc-result-reference"
#: the swarms' and tables' container: filled once the halo is drawn (``result_view(deferred=)``)
DETAILS_AREA = "fisc-details-area"
#: written in the browser once the halo is drawn: asks the server for the details
DETAILS_ASKED = "fisc-details-asked"
DETAILS_PENDING = "Drawing the swarms and tables…"
SWARM_TOP = 20


def halo_card(result, pair: str, data: str | None, model: str) -> html.Div:
    """The halo plot of ``pair`` (2-D for a pair, 3-D for a triple) in its figure card, built
    once per result and pair (a switch back to a pair re-sends it)."""
    return cached_view(
        result, ("fisc-halo", pair, data, model), lambda: _halo(result, pair, data, model)
    )


def _halo(result, pair: str, data: str | None, model: str) -> html.Div:
    from analyzers.figures import halo_plot, halo_plot_3d

    order = int(result.reference_fis.set_index("interaction").loc[pair, "order"])
    halo = halo_plot(result, pair) if order == 2 else halo_plot_3d(result, pair)
    return figure_card(
        "fisc-halo", halo, f"Halo plot: {pair}", export=export_stem("fisc", data, model)
    )


def result_view(
    result,
    pair: str | None,
    model: str,
    parameters: dict,
    include_outside: bool = False,
    data: str | None = None,
    deferred: bool = False,
) -> list:
    """Metrics, swarm, halo of the selected pair (default: the widest range), and tables.

    The swarms and ranges cover the models in the set (the Compare page's ranges), unless
    ``include_outside``: then the sampled models outside it are drawn too, apart, and the
    table's ranges say they cover every sampled model. ``deferred``: the swarms and tables
    are left out, in their place an area the page fills once the halo is drawn
    (``details_view``). Built once per result and view (a reload re-sends it:
    app.web.view_cache)."""
    key = ("fisc", pair, model, repr(sorted(parameters.items())), include_outside, data, deferred)
    return cached_view(
        result,
        key,
        lambda: _result_view(result, pair, model, parameters, include_outside, data, deferred),
    )


def details_view(
    result, model: str, parameters: dict, include_outside: bool = False, data: str | None = None
) -> list:
    """The swarms and tables of ``result_view`` (they do not depend on the pair), built once
    per result and view."""
    key = ("fisc-details", model, repr(sorted(parameters.items())), include_outside, data)
    return cached_view(result, key, lambda: _details(result, model, include_outside, data))


def _result_view(result, pair, model, parameters, include_outside, data, deferred) -> list:
    # Ranked by range, flagged pairs last.
    summary = result.summary(include_outside=include_outside)
    interactions = summary["interaction"].tolist()
    pair = known_interaction(result, pair) or (interactions[0] if interactions else None)
    in_set = int(result.fis_cloud["in_set"].sum())
    children = [
        dcc.Store(
            id=RESULT_REFERENCE,
            data={
                "data": data,
                "model": model,
                "parameters": parameters,
                "include_outside": include_outside,
            },
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
        html.Div([halo_card(result, pair, data, model)], id=HALO_AREA),
    ]
    if not deferred:
        return children + _details(result, model, include_outside, data)
    return [
        *children,
        dcc.Store(id=DETAILS_ASKED),
        html.Div(html.P(DETAILS_PENDING, className="wb-muted"), id=DETAILS_AREA),
    ]


def _details(result, model: str, include_outside: bool, data: str | None) -> list:
    from analyzers.figures import main_effect_swarm_plot, swarm_plot

    summary = result.summary(include_outside=include_outside)
    export = export_stem("fisc", data, model)
    main_effects = result.main_effect_summary(include_outside=include_outside)
    units = _fis_units(result, summary, main_effects, result.fis_cloud, result.boundaries)
    return [
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
            lazy=True,
        ),
        table_card(
            PAGE,
            "fis_cloud",
            cloud_on_page(result.fis_cloud),
            "FIS cloud: every sampled joint model",
            note=f"{len(result.fis_cloud):,} rows, values to {CLOUD_DIGITS} significant digits: "
            "sort or filter by a column's header; the CSV holds every digit",
            units=units,
            export=export,
            # 20 columns, twice a laptop screen wide (2,700 px): only those in view are laid
            # out, about half of a page's 400 cells; the others as the grid scrolls sideways.
            virtual_columns=True,
            lazy=True,
        ),
        table_card(
            PAGE,
            "main_effects",
            main_effects,
            "Main effects over the set" + (" and outside it" if include_outside else ""),
            units=units,
            export=export,
            lazy=True,
        ),
        table_card(
            PAGE,
            "boundaries",
            result.boundaries,
            "Rashomon boundary per group",
            units=units,
            export=export,
            lazy=True,
        ),
    ]


#: significant digits of the FIS cloud's numbers on the page (the CSV download holds all)
CLOUD_DIGITS = 6


def cloud_on_page(cloud):
    """The FIS cloud as the page's grid gets it: columns empty in every row left out (a pairs
    only result has no third group) and numbers to ``CLOUD_DIGITS`` significant digits. The
    cloud is most of a FISC page's bytes (450 of 650 kB on the demo), sent on every render."""
    import numpy as np

    shown = cloud.dropna(axis="columns", how="all").copy()
    for name in shown.columns:
        if pd.api.types.is_float_dtype(shown[name]):
            values = shown[name].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                scale = 10.0 ** (CLOUD_DIGITS - 1 - np.floor(np.log10(np.abs(values))))
                rounded = np.round(values * scale) / scale
            # Zero, NaN and inf have no digits to cut: they stay as they are.
            shown[name] = np.where(np.isfinite(rounded), rounded, values)
    return shown


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


def known_interaction(result, pair: str | None) -> str | None:
    """The stored label of ``pair`` (its groups in any order), or None when not analysed."""
    if not pair:
        return None
    try:
        return result.interaction_of(pair)
    except WorkbenchError:
        return None
