"""Function sites: a ``torch`` function called inside a module's forward, read and replaced.

Attention weights are often computed by a function call, not a module: DeepCTR-Torch's
``InteractingLayer`` runs ``F.softmax(inner_product, dim=-1)`` in its forward and AFM's layer
``F.softmax(...)`` over the field pairs, so no forward hook reaches them. A site
``"int_layers.0@softmax"`` names the calls of ``softmax`` made while the module
``int_layers.0`` runs (``#k``: the k-th of them in one forward pass of the root model).

``workbench.sites.SiteHooks`` opens a window with a forward pre-hook on the module and closes it
with a forward hook registered with ``always_call=True`` (it runs when forward raises too).
While at least one window is open the function is replaced, on the objects where models look it
up (``torch.nn.functional.softmax`` and ``torch.softmax``), by a wrapper that hands each output
to the listeners opened by the calling thread; when the last window closes the originals are
put back. One process-wide registry (not one patch per window) keeps nested and overlapping
windows correct: windows of two ``SiteHooks`` close in any order and the originals come back.

Not seen: the Tensor methods (``x.softmax(-1)``) and a name bound before the patch
(``from torch import softmax`` at import time); name the module that holds such a call instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch

from workbench.errors import ParameterError

__all__ = ["SITE_FUNCTIONS", "check_function", "close_window", "open_window"]

# function name -> (object, attribute) pairs where models look the function up at call time.
# F.softmax and F.sigmoid call the Tensor methods, so one call is never seen twice.
SITE_FUNCTIONS: dict[str, tuple[tuple[Any, str], ...]] = {
    "softmax": ((torch.nn.functional, "softmax"), (torch, "softmax")),
    "sigmoid": ((torch.nn.functional, "sigmoid"), (torch, "sigmoid")),
    "tanh": ((torch.nn.functional, "tanh"), (torch, "tanh")),
}

Listener = Callable[[torch.Tensor], torch.Tensor]

_lock = threading.Lock()
# function -> [(thread id, listener)] of the open windows, in opening order
_listeners: dict[str, list[tuple[int, Listener]]] = {}
_originals: dict[str, list[tuple[Any, str, Any]]] = {}


def check_function(name: str, site: str) -> str:
    """``name`` if it is a function sites can name; a one-line error listing them otherwise."""
    if name not in SITE_FUNCTIONS:
        raise ParameterError(
            f"site {site!r}: function {name!r} cannot be a site; choose from "
            f"{', '.join(SITE_FUNCTIONS)}"
        )
    return name


def open_window(function: str, listener: Listener) -> None:
    """From now until ``close_window``, ``listener(output)`` sees (and may replace) every
    output of ``function`` called by this thread."""
    with _lock:
        active = _listeners.setdefault(function, [])
        if not active:
            _install(function)
        active.append((threading.get_ident(), listener))


def close_window(function: str, listener: Listener) -> None:
    """Close a window opened with ``open_window`` (a second close does nothing)."""
    with _lock:
        active = _listeners.get(function, [])
        entry = (threading.get_ident(), listener)
        if entry in active:
            active.remove(entry)
        elif any(fn is listener for _, fn in active):  # closed from another thread
            active[:] = [(t, fn) for t, fn in active if fn is not listener]
        if not active and function in _originals:
            for owner, attribute, original in _originals.pop(function):
                setattr(owner, attribute, original)


def _install(function: str) -> None:
    saved = []
    for owner, attribute in SITE_FUNCTIONS[function]:
        original = getattr(owner, attribute)
        saved.append((owner, attribute, original))
        setattr(owner, attribute, _recording(function, original))
    _originals[function] = saved


def _recording(function: str, original: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        output = original(*args, **kwargs)
        thread = threading.get_ident()
        seen: set[int] = set()  # a module re-entered (recursion) still sees each call once
        for owner, listener in list(_listeners.get(function, ())):
            if owner == thread and id(listener) not in seen:
                seen.add(id(listener))
                output = listener(output)
        return output

    wrapper.__wrapped__ = original
    wrapper.__doc__ = original.__doc__
    return wrapper
