"""One module per page; each exposes ``register(app, workspace)`` (page + its callbacks).

Pages register with ``app.callback`` rather than the global ``dash.callback`` so that several apps
can be built in one process (tests, notebooks): Dash moves global callbacks into the first app only.
"""

from app.web.pages import (
    compare,
    embeddings,
    gates,
    interactions,
    model_sets,
    overview,
    rashomon,
)

PAGES = (overview, rashomon, model_sets, interactions, compare, gates, embeddings)
