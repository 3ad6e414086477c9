"""Built views of stored results, kept in memory: a reload or a view switch back re-sends them.

Building a results view costs far more than reading the result (plotly validates every figure
property and deep-copies its template; a grid converts every row): 0.6 s for a demo FISC result on
a quiet machine, several seconds on a loaded one, against 0.04 s to parse the stored JSON. The
parsed results are kept by ``app.analyses.read_stored``; the views built from them are kept here,
keyed by the result object itself (a new run parses a new object, so a stale view is never
served) and what the view shows. Views are component trees that nothing changes once built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: views kept (a FISC page keeps about four: the results area and a few halo cards)
CACHE_SIZE = 32

_views: OrderedDict[tuple, tuple[object, Any]] = OrderedDict()
_lock = threading.Lock()


def cached_view(result: object, key: Hashable, build: Callable[[], Any]) -> Any:
    """``build()``'s view of ``result`` under ``key``, built once while both stay cached.

    The entry holds ``result`` itself, so its ``id`` cannot be reused by another object while
    the entry lives (the check ``is result`` guards the rest)."""
    name = (id(result), key)
    with _lock:
        entry = _views.get(name)
        if entry is not None and entry[0] is result:
            _views.move_to_end(name)
            return entry[1]
    view = build()
    with _lock:
        _views[name] = (result, view)
        while len(_views) > CACHE_SIZE:
            _views.popitem(last=False)
    return view


def clear() -> None:
    """Forget every view (tests; a server keeps them until evicted)."""
    with _lock:
        _views.clear()
