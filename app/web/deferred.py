"""Parts of a page drawn after its first figure: the browser asks for them once that figure is
drawn.

A page that sends every figure and grid at once has the first figure wait for all of them: on a
loaded 2-core machine Chromium spent seconds laying out grids and swarms below the fold before
the figure a user looks at first appeared. The page sends its first figure with an empty area
and a store; a clientside callback writes the store once the figure is drawn (or after
``WAIT_MS``, so the rest never waits on a failed draw), which asks the server for the rest.
"""

from __future__ import annotations

import json

from dash import Dash, Input, Output

#: the longest the rest waits for the first figure (milliseconds)
WAIT_MS = 3000

_ASK_WHEN_DRAWN = """
function (areaId) {
    return new Promise(resolve => {
        const started = Date.now();
        const ask = () => {
            const drawn = document.querySelector(DRAWN_CSS);
            if (drawn || Date.now() - started > WAIT_MS) {
                requestAnimationFrame(() => setTimeout(() => resolve(Date.now()), 0));
            } else {
                setTimeout(ask, 25);
            }
        };
        ask();
    });
}
"""


def ask_when_drawn(app: Dash, area: str, asked: str, drawn_css: str) -> None:
    """Write ``asked``'s data once an element matching ``drawn_css`` is in the page.

    ``area`` is the deferred part's container: its id is the one prop there from the start, so
    the call runs once each time the area is mounted (a page render, a results re-render); the
    server's callback on ``Input(asked, "data")`` then fills it."""
    script = _ASK_WHEN_DRAWN.replace("DRAWN_CSS", json.dumps(drawn_css))
    script = script.replace("WAIT_MS", str(WAIT_MS))
    app.clientside_callback(script, Output(asked, "data"), Input(area, "id"))
