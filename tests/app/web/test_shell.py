"""The app's shell: the page container Dash's pages need, in a state that cannot throw."""

from __future__ import annotations

from app.web import APP_TITLE, _page_container


def test_page_title_store_starts_filled():
    """Dash sets document.title from this store; empty, a failed first page request also
    threw "Cannot read properties of undefined (reading 'title')" in the browser."""
    from dash.dash import _ID_STORE

    parts = _page_container().children
    [store] = [part for part in parts if getattr(part, "id", None) == _ID_STORE]
    assert store.data == {"title": APP_TITLE}
