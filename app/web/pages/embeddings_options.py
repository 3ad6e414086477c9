"""The Embeddings page's optional parts (gate and attribution colours, private-row Δloss,
cross-model CKA): their form fields, off with the reason as hover text where they cannot apply.
Gate colours read the model's sites by module path (``workbench.sites``): the zoo's own, or
those a user's torch model was registered with."""

from __future__ import annotations

from dash import dcc, html

from app.embedding_job import (
    ATTRIBUTIONS,
    attribution_unavailable,
    gate_site_specs,
    gate_site_unavailable,
    private_rows_unavailable,
)
from app.model_choices import compare_candidates, compare_unavailable
from app.parameter_text import url_value
from app.web.jobs import number_field

PAGE = "embeddings"
GATE_SITE = "emb-gate-site"
ATTRIBUTION = "emb-attribution"
PRIVATE_ROWS = "emb-private-rows"
N_STEPS = "emb-n-steps"
COMPARE_WITH = "emb-compare-with"
#: the wrappers whose hover text (title) says why an option is off
GATE_SITE_FIELD = "emb-gate-site-field"
ATTRIBUTION_FIELD = "emb-attribution-field"
PRIVATE_ROWS_FIELD = "emb-private-rows-field"
COMPARE_FIELD = "emb-compare-field"


GATE_SITE_HINT = "colour the table map by the mean gate of each level at one gate site"
ATTRIBUTION_HINT = "colour the table map by each field's captum attribution (gates analyzer)"
PRIVATE_ROWS_HINT = "shared tables: Δloss on held-out rows when colliding features get private rows"
COMPARE_HINT = "linear CKA between this model's field embeddings and another model's, same rows"


def private_options(reason: str | None) -> list[dict]:
    return [
        {"label": "off", "value": "off"},
        {"label": "on (refits: slow)", "value": "on", "disabled": bool(reason)},
    ]


def _hinted(label, control, wrapper_id, reason, hint) -> html.Div:
    return html.Div(
        [html.Label(label), control], className="wb-field", id=wrapper_id, title=reason or hint
    )


def gate_site_field(value: str, available: dict) -> html.Div:
    """The gate-colour choice: "auto", "none" and the model's field-aligned gate sites; off
    (with the reason on hover) for a model without any, or a map of data rows."""
    options = available["gate_sites"]
    return _hinted(
        "Gate colour (table map)",
        dcc.Dropdown(
            options if value in options else [*options, value],
            value,
            id=GATE_SITE,
            clearable=False,
            disabled=bool(available["gate_site"]),
            style={"minWidth": "14rem"},
        ),
        GATE_SITE_FIELD,
        available["gate_site"],
        GATE_SITE_HINT,
    )


def optional_fields(parameters: dict, available: dict) -> list[html.Div]:
    """Attribution colour, private-row Δloss and cross-model CKA: each off where it cannot
    apply, the reason in its hover text."""
    hinted = _hinted
    compare_value = parameters["compare_with"]
    candidates = available["compare_candidates"]
    return [
        hinted(
            "Attribution colour (table map)",
            dcc.Dropdown(
                list(ATTRIBUTIONS),
                parameters["attribution"],
                id=ATTRIBUTION,
                clearable=False,
                disabled=bool(available["attribution"]),
                style={"minWidth": "14rem"},
            ),
            ATTRIBUTION_FIELD,
            available["attribution"],
            ATTRIBUTION_HINT,
        ),
        hinted(
            "Private-row Δloss",
            dcc.RadioItems(
                private_options(available["private_rows"]),
                url_value(parameters["private_rows"]),
                id=PRIVATE_ROWS,
                inline=True,
            ),
            PRIVATE_ROWS_FIELD,
            available["private_rows"],
            PRIVATE_ROWS_HINT,
        ),
        number_field("Private-row fit steps", PAGE, "n_steps", N_STEPS, parameters["n_steps"]),
        hinted(
            "Compare with (CKA)",
            dcc.Dropdown(
                ["none", *candidates]
                if compare_value in ("none", *candidates)
                else ["none", *candidates, compare_value],
                compare_value,
                id=COMPARE_WITH,
                clearable=False,
                disabled=bool(available["compare_with"]),
                style={"minWidth": "14rem"},
            ),
            COMPARE_FIELD,
            available["compare_with"],
            COMPARE_HINT,
        ),
    ]


def option_availability(workspace, model: str | None, points: str | None) -> dict:
    """Why each optional part cannot run for ``model`` (None where it can), the gate sites
    its map can be coloured by, and the models the CKA can compare with."""
    if not model:
        reason = "choose a CTR-zoo model first"
        return {
            "gate_site": reason,
            "gate_sites": ["auto", "none"],
            "attribution": reason,
            "private_rows": reason,
            "compare_with": reason,
            "compare_candidates": [],
        }
    loaded = workspace.model(model)
    sites = gate_site_specs(loaded.adapter, loaded.sites)
    return {
        "gate_site": gate_site_unavailable(loaded.adapter, loaded.sites, points or "table"),
        "gate_sites": ["auto", "none", *(s.name for s in sites)],
        "attribution": attribution_unavailable(loaded.adapter, points or "table"),
        "private_rows": private_rows_unavailable(loaded.adapter, loaded.train_rows),
        "compare_with": compare_unavailable(workspace, model),
        "compare_candidates": compare_candidates(workspace, model),
    }
