"""Reading a rendered Dash layout in tests without a browser: find a component, read its text."""

from __future__ import annotations


def find(component, component_id):
    """The component with ``component_id`` under ``component`` (depth first), or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def texts(component) -> str:
    """Every string in a rendered component tree, joined; an AG Grid's cells are its rowData."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    rows = getattr(component, "rowData", None)
    if rows is not None:
        return " ".join(str(value) for row in rows for value in row.values())
    children = getattr(component, "children", None)
    return "" if children is None else texts(children)
