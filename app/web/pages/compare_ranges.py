"""The Compare page's "Rashomon ranges" card: for each compared model, which stored range its
verdicts use (builder or FISC, ε, members), the other stored ones, or how to build one.

The Model sets page reads its settings from the URL, so "build one" is a link that opens it on
the model, data set and index of the comparison.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from analyzers.compare_rashomon import range_label, range_source
from app.model_set_analysis import MODEL_SET_INDICES
from app.range_sources import RangeChoice

CARD = "cmp-ranges"
#: names of the verdict table's range columns on the page (the CSV keeps the analyzer's)
RANGE_HEADERS = {
    "reference_value": "reference model's value",
    "range_low": "range low",
    "range_high": "range high",
}
#: the verdict table's columns that hold a value of the range's index
VALUE_COLUMNS = ("value", "reference_value", "range_low", "range_high")


def range_units(comparison) -> dict[str, str]:
    """Header units of the verdict table's value columns: what the ranges hold and in which
    unit ("SII strength, logit"), per reference model when they differ."""
    from analyzers.figures.compare_overlay import range_quantity

    references = list(dict.fromkeys(comparison.rashomon["reference_model"]))
    quantities = {model: range_quantity(comparison, model) for model in references}
    if len(set(quantities.values())) == 1:
        unit = next(iter(quantities.values()))
    else:
        unit = "; ".join(f"{model}: {text}" for model, text in quantities.items())
    return dict.fromkeys(VALUE_COLUMNS, unit)


def model_sets_link(data: str, model: str, index: str) -> str:
    """The Model sets page opened on ``model`` of ``data`` with ``index`` (its URL scheme)."""
    return "/model-sets?" + urlencode({"data": data, "model": model, "index": index})


def ranges_card(choices: list[RangeChoice], data: str, index: str) -> html.Div:
    """One line per compared model: the range used, the others stored, or none stored."""
    return html.Div(
        [html.H3("Rashomon ranges"), *(_model_line(c, data, index) for c in choices)],
        className="wb-card",
        id=CARD,
    )


def _model_line(choice: RangeChoice, data: str, index: str) -> html.P:
    model = choice.model
    if choice.used is None:
        return html.P(_none_stored(model, data, index), className="wb-muted")
    parts: list = [html.B(model), f": {range_label(range_source(choice.result))}"]
    if choice.others:
        parts.append(f"; the most recent of {len(choice.others) + 1} stored (others: ")
        for k, other in enumerate(choice.others):
            link = dcc.Link(other.describe(), href=other.page_search(data))
            parts += [", " if k else "", link]
        parts.append(")")
    parts += [" · ", dcc.Link("open it", href=choice.used.page_search(data))]
    return html.P(parts)


def _none_stored(model: str, data: str, index: str) -> list:
    said = [html.B(model), f": no stored Rashomon range for index {index!r}"]
    if index not in MODEL_SET_INDICES:
        shown = ", ".join(MODEL_SET_INDICES)
        return [*said, f"; the Model sets page builds sets for {shown}."]
    link = dcc.Link("build a model set", href=model_sets_link(data, model, index))
    fisc = (
        [
            " or explore its FISC set on the ",
            dcc.Link("Rashomon page", href=_fisc_link(data, model)),
        ]
        if index == "fis"
        else []
    )
    return [*said, "; ", link, *fisc, " to check the others against it."]


def _fisc_link(data: str, model: str) -> str:
    return "/rashomon?" + urlencode({"data": data, "model": model})
