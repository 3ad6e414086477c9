"""The Interactions page's form: data set, model, index and the game's settings, and the
pair-score (aggregate) choice, with the labels their options show."""

from __future__ import annotations

from dash import dcc, html

from app.web.jobs import JobIds, field, job_panel, number_field

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
AGGREGATE = "inter-aggregate"
#: how the figures summarise a pair: strength (sign dropped) or the signed mean
AGGREGATE_LABELS = {"mean_abs": "mean |value| (strength)", "mean": "mean (signed)"}
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


def form(chosen, tree_reason: str | None) -> html.Div:
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


def aggregate_choice(aggregate: str) -> html.Div:
    options = [{"label": label, "value": value} for value, label in AGGREGATE_LABELS.items()]
    return html.Div(
        field(
            "Pair score in the figures and the ranking",
            dcc.RadioItems(options, aggregate, id=AGGREGATE, inline=True),
        ),
        className="wb-card",
    )
