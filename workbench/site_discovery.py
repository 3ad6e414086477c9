"""Candidate sites of a model from one forward pass: module outputs and function calls.

A module site is any leaf module's call (``"gate_sigmoid#1"``); a function site is a call of
``softmax``, ``sigmoid`` or ``tanh`` made by a module's own forward code rather than by one of
torch's modules (``"int_layers.0@softmax"``: DeepCTR-Torch's attention), found by opening a
window on each function for the pass (``workbench.site_functions``) and attributing each call
to the innermost module running.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from workbench.site_functions import SITE_FUNCTIONS, close_window, open_window

__all__ = ["discover_sites"]


def discover_sites(root: nn.Module, X: torch.Tensor) -> list[dict[str, Any]]:
    """Candidate sites of a model from one forward pass on ``X``.

    Returns one record per call: path, call, calls (per pass), type (a module's class, or
    ``"softmax()"`` for a function call), width (per row), ``bounded`` (the output lies in
    [0, 1], as sigmoid gates and softmax weights do), name (the site's text) and, for a
    function call, ``function`` and ``rows_axis`` (the first axis as long as ``X``: DeepCTR's
    attention is (heads, rows, F, F)). Sigmoid/Softmax modules and bounded outputs come first:
    the likeliest gates.
    """
    seen: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    running: list[tuple[str, nn.Module]] = []  # modules whose forward is under way, outermost first
    rows = int(X.shape[0])

    def record(key: str, output: torch.Tensor, axis: int, **fields) -> None:
        call = counts.get(key, 0)
        counts[key] = call + 1
        flat = output.detach().movedim(axis, 0).reshape(output.shape[axis], -1)
        bounded = bool(flat.numel() and flat.min() >= 0 and flat.max() <= 1)
        seen.append({"key": key, "call": call, "width": int(flat.shape[1]), "bounded": bounded,
                     **fields})  # fmt: skip

    def leaf_hook(path: str, module: nn.Module):
        def hook(_m, _i, output):
            if torch.is_tensor(output) and output.ndim >= 1:
                record(path, output, 0, path=path, type=type(module).__name__)

        return hook

    def function_listener(function: str):
        def listen(output):
            path, module = running[-1] if running else ("", root)
            # torch's own modules (nn.Softmax calls F.softmax) are module sites already; the
            # root has no path to name
            ours = not type(module).__module__.startswith("torch.nn")
            if path and ours and torch.is_tensor(output) and output.ndim:
                axis = next((a for a, n in enumerate(output.shape) if n == rows), 0)
                record(f"{path}@{function}", output, axis, path=path, type=f"{function}()",
                       function=function, rows_axis=axis)  # fmt: skip
            return output

        return listen

    def enter(path: str, module: nn.Module):
        return lambda _m, _i: running.append((path, module))

    def leave(_m, _i, _o) -> None:
        running.pop()

    handles = []
    for path, module in root.named_modules():
        handles.append(module.register_forward_pre_hook(enter(path, module)))
        handles.append(module.register_forward_hook(leave, always_call=True))
        if path and not list(module.children()):
            handles.append(module.register_forward_hook(leaf_hook(path, module)))
    listeners = {function: function_listener(function) for function in SITE_FUNCTIONS}
    try:
        for function, listener in listeners.items():
            open_window(function, listener)
        with torch.no_grad():
            root(X)
    finally:
        for function, listener in listeners.items():
            close_window(function, listener)
        for handle in handles:
            handle.remove()
    for found in seen:
        key = found.pop("key")
        found["calls"] = counts[key]
        found["name"] = key + (f"#{found['call']}" if found["calls"] > 1 else "")
    gates = ("Sigmoid", "Softmax")
    return sorted(seen, key=lambda r: r["type"] not in gates and not r["bounded"])
