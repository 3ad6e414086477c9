"""The Interactions page as a browser ends up showing it, without a browser: the layout, then
the parts the page asks for once its heatmap is drawn (the network, the bar, the local views and
the tables: ``interactions_view.details_view``), in one component tree."""

from __future__ import annotations

from dash import html

from app.analyses import stored_result
from app.web.pages import interactions as page
from tests.app.web.layout_tree import find

#: the id of the deferred parts' container in the tree ``shown_page`` returns
SHOWN_DETAILS = "test-shown-details"


def shown_page(workspace, **query) -> html.Div:
    """``page.layout(workspace, **query)`` with its deferred parts (under SHOWN_DETAILS).

    Built views are cached and shared (app.web.view_cache): the parts are put beside the
    layout, never into it."""
    view = page.layout(workspace, **query)
    reference = find(view, page.RESULT_REFERENCE)
    if reference is None:
        return view
    result = stored_result(
        workspace, "interactions", reference.data["model"], reference.data["parameters"]
    )
    dataset = workspace.dataset(reference.data["data"])
    more, details = page.details_view(result, reference.data, dataset)
    return html.Div([view, html.Div([*more, *details], id=SHOWN_DETAILS)])
