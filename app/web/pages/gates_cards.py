"""What the Gates page's cards of a model's own claims (intrinsic vs measured, OptInter's
switches, OptFS's selection) share: their options in the page URL, and the result they show.

A card's options live in the URL under the card's prefix (``intr_index``, ``oswitch_pairs``),
beside the main card's own names (``rows``, ``n_bootstrap``), which they would otherwise
collide with. As the main card does, a card shows the stored result of the page's model and its
options, else "No stored result for <model>: press Run.", on load and whenever the model
changes: a result computed for another model is never left under the new one's name.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dash import html

from app.analyses import analysis, compute_result
from app.web.jobs import JobIds, read_result, results_area, updated_search
from workbench.errors import WorkbenchError

#: ``view(result, data, model, parameters) -> list`` of a card's result
ResultView = Callable[[object, str | None, str, dict], list]


def url_name(prefix: str, name: str) -> str:
    """A card option's URL query name: ``url_name("intr", "index") == "intr_index"``."""
    return f"{prefix}_{name}"


def card_parameters(analysis_name: str, prefix: str, names, query: dict) -> tuple[dict, str | None]:
    """(the card's parameters from the page's URL ``query``, the one-line problem or None);
    a query the registry refuses gives the defaults and the reason, as the main card does."""
    given = {
        name: query[url_name(prefix, name)] for name in names if url_name(prefix, name) in query
    }
    try:
        return analysis(analysis_name).parameters(given), None
    except WorkbenchError as error:
        return analysis(analysis_name).parameters({}), str(error)


def card_search(search: str | None, prefix: str, data, model, parameters: dict, names) -> str:
    """The page URL's query with the data set and model of a card's finished job and its
    options; an option at "" (OptInter's every pair) is dropped, not left at an older value."""
    chosen = {"data": data, "model": model}
    chosen |= {url_name(prefix, name): _url_text(parameters[name]) for name in names}
    return updated_search(search, chosen, remove=tuple(url_name(prefix, name) for name in names))


def _url_text(value) -> str:
    return str(value) if value is not None else ""


def no_result(model: str) -> html.P:
    return html.P(f"No stored result for {model}: press Run.", className="wb-muted")


def stored_view(
    workspace,
    analysis_name: str,
    data: str | None,
    model: str | None,
    parameters: dict,
    view: ResultView,
    problem: str | None = None,
):
    """What a card's results area shows for ``model`` and ``parameters``: the stored result,
    else "No stored result for <model>: press Run.", or the reason it cannot be read."""
    if not model:
        return None
    if problem:
        return html.P(problem, className="wb-error")
    result, unreadable = read_result(workspace, analysis_name, model, parameters)
    if unreadable:
        return html.P(unreadable, className="wb-error")
    return no_result(model) if result is None else view(result, data, model, parameters)


def form_view(
    workspace, analysis_name: str, data, model, given: dict, view: ResultView
) -> list | html.P | None:
    """:func:`stored_view` for the values a card's form holds now (after a model change)."""
    try:
        parameters = analysis(analysis_name).parameters(given, from_form=True)
    except WorkbenchError as error:
        return stored_view(workspace, analysis_name, data, model, {}, view, str(error))
    return stored_view(workspace, analysis_name, data, model, parameters, view)


def card_job(
    progress, workspace, analysis_name: str, ids: JobIds, names, view: ResultView, job: dict
) -> tuple[str, list, str]:
    """A card's background job: the stored result of the form's options (``job``: data, model,
    the URL ``search`` and ``given``, the form values by parameter name), else computed and
    stored; returns (the page URL query recording them, the result view, the status line)."""
    data, model = job["data"], job["model"]
    parameters = analysis(analysis_name).parameters(job["given"], from_form=True)
    started = time.monotonic()
    result = compute_result(workspace, analysis_name, model, parameters, progress=progress)
    done = f"Done in {time.monotonic() - started:.1f} s; stored, so a second run reads the store."
    search = card_search(job["search"], ids.prefix, data, model, parameters, names)
    return search, view(result, data, model, parameters), done


def card_tail(ids: JobIds, panel: list, note_id: str, reason: str, view) -> list:
    """The rows under a card's form: Run/Cancel and progress, the reason a model cannot use
    the card (beside the greyed Run), the job's status line and the results area."""
    return [
        *panel,
        html.P(reason, id=note_id, className="wb-muted"),
        html.Div(id=ids.status),
        results_area(ids, view),
    ]
