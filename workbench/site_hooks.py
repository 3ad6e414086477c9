"""Hooks that read or replace the output of one call per site during a model's forward
passes (``SiteHooks``); how sites are counted per pass is told in ``workbench.sites``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from workbench.errors import ParameterError, SiteOutputError
from workbench.site_functions import close_window, open_window
from workbench.site_lookup import resolve_module
from workbench.site_spec import SiteSpec
from workbench.site_stacks import StackedHook, is_stacked, stack_members

Action = Callable[[torch.Tensor], torch.Tensor | None]


class SiteHooks:
    """Forward hooks that act on one call per site of a model, as a context manager.

    Parameters
    ----------
    root : nn.Module
        The model whose forward passes are counted (its forward pre-hook resets the counts).
    actions : mapping SiteSpec -> callable
        ``action(output)`` gets the addressed call's output flattened to (rows, width) (rows:
        the spec's ``rows_axis``) and returns a replacement of that shape (or None to keep it).

    A function site (``path@function``) opens a window on ``function`` while the module's
    forward runs (``workbench.site_functions``); the window closes when forward returns or
    raises, and at the latest when the block ends. After the block, ``check()`` raises a
    one-line error for a site whose module never ran, whose function was never called inside
    it, or that ran fewer times than its call index; ``calls`` holds the counts of the last
    forward pass (by ``SiteSpec.key``).
    """

    def __init__(self, root: nn.Module, actions: Mapping[SiteSpec, Action]) -> None:
        self.root = root
        self.actions = dict(actions)
        self.calls: dict[str, int] = {spec.key: 0 for spec in self.actions}
        self.module_runs: dict[str, int] = {spec.key: 0 for spec in self.actions}
        self.passes = 0
        self._handles: list[Any] = []
        self._open: list[tuple[str, Callable]] = []
        self.stacks: dict[str, StackedHook] = {}

    def __enter__(self) -> SiteHooks:
        self._handles.append(self.root.register_forward_pre_hook(self._new_pass))
        by_key: dict[str, dict[int, tuple[SiteSpec, Action]]] = {}
        for spec, action in self.actions.items():
            by_key.setdefault(spec.key, {})[spec.call] = (spec, action)
        try:
            for key, by_call in by_key.items():
                spec = next(iter(by_call.values()))[0]
                module = resolve_module(self.root, spec.path)
                if is_stacked(spec.path):
                    self._watch_stack(spec, by_call)
                elif spec.function is None:
                    hook = self._module_hook(key, by_call)
                    self._handles.append(module.register_forward_hook(hook))
                else:
                    self._watch_function(module, spec, by_call)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for function, listener in self._open:
            close_window(function, listener)
        self._open.clear()

    def _new_pass(self, _module, _inputs) -> None:
        self.passes += 1
        for key in self.calls:
            self.calls[key] = 0
            self.module_runs[key] = 0
        for stack in self.stacks.values():
            stack.reset()

    def _act(self, key: str, by_call: dict[int, tuple[SiteSpec, Action]], output):
        """The replacement of this call's output, or None to keep it."""
        call = self.calls[key]
        self.calls[key] = call + 1
        if call not in by_call:
            return None
        spec, action = by_call[call]
        if not torch.is_tensor(output) or output.ndim <= spec.rows_axis:
            raise SiteOutputError(
                f"site {spec.name!r} outputs {type(output).__name__}, not a tensor with rows on "
                f"axis {spec.rows_axis}; name a submodule whose output is a tensor"
            )
        moved = output.movedim(spec.rows_axis, 0)  # (rows, ...)
        new = action(moved.reshape(moved.shape[0], -1))
        return None if new is None else new.reshape(moved.shape).movedim(0, spec.rows_axis)

    def _module_hook(self, key: str, by_call: dict[int, tuple[SiteSpec, Action]]):
        def hook(_module, _inputs, output):
            self.module_runs[key] += 1
            return self._act(key, by_call, output)

        return hook

    def _watch_stack(self, spec: SiteSpec, by_call) -> None:
        root = getattr(self.root, "wrapped_model", self.root)
        stack = StackedHook(spec, stack_members(root, spec), by_call)
        self.stacks[spec.key] = stack
        for module, hook in stack.hooks():
            self._handles.append(module.register_forward_hook(hook))

    def _watch_function(self, module: nn.Module, spec: SiteSpec, by_call) -> None:
        key, function = spec.key, spec.function

        def listener(output):
            new = self._act(key, by_call, output)
            return output if new is None else new

        def open_(_module, _inputs) -> None:
            self.module_runs[key] += 1
            open_window(function, listener)
            self._open.append((function, listener))

        def close(_module, _inputs, _output) -> None:
            close_window(function, listener)
            if (function, listener) in self._open:
                self._open.remove((function, listener))

        self._handles.append(module.register_forward_pre_hook(open_))
        self._handles.append(module.register_forward_hook(close, always_call=True))

    def check(self) -> None:
        """One line for a site that never fired, or whose call index is beyond the calls seen."""
        if self.passes == 0:
            return
        for key, stack in self.stacks.items():  # a stacked site ran as often as its laziest member
            self.calls[key] = self.module_runs[key] = stack.calls
        for spec in self.actions:
            seen = self.calls[spec.key]
            if self.module_runs[spec.key] == 0:
                raise ParameterError(
                    f"site {spec.name!r}: module {spec.path!r} never runs during a forward pass "
                    "of the model"
                )
            what = f"module {spec.path!r}"
            if spec.function is not None:
                what = f"{spec.function} inside module {spec.path!r}"
            if seen == 0:
                raise ParameterError(
                    f"site {spec.name!r}: {spec.function} is never called inside module "
                    f"{spec.path!r} during a forward pass (F.{spec.function} and "
                    f"torch.{spec.function} are seen; Tensor methods are not)"
                )
            if spec.call >= seen:
                raise ParameterError(
                    f"site {spec.name!r}: call #{spec.call} asked, but {what} runs "
                    f"{seen} time(s) per forward pass (calls #0..#{seen - 1})"
                )
