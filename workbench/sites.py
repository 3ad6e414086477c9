"""Sites by module path on any ``torch.nn.Module``: where a gate, mask or embedding is read and
replaced, with no change to the model's code.

A site is a module path (``"feature_gating.0"``, ``"cross_net.layers.2.gate"``) and a call index:
a module called several times per forward pass (one ``nn.Sigmoid`` shared by every layer) gives
one site per call, ``"gate_sigmoid#0"``, ``"gate_sigmoid#1"``. ``SiteHooks`` counts the calls of
each hooked module per forward pass of the root model (a forward pre-hook on the root resets the
counts) and acts on the addressed call only, so reading, replacing and captum's layer methods
address one call. captum hooks every call of a layer module (pytorch/captum#1236), so for captum
the addressed call's output is routed through a fresh ``nn.Identity`` that runs once per forward
pass (``analyzers.gate_attributions``); the zoo's named taps are sites of this kind too
(``CtrModel.site_specs``).

A site can also name a function called inside a module's forward, ``"int_layers.0@softmax"``
(``#k``: its k-th call there per forward pass), for attention computed by ``F.softmax`` rather
than by a module (``workbench.site_functions``). ``rows_axis`` says which axis of the output holds
the rows (DeepCTR-Torch's attention is (heads, rows, F, F): rows_axis=1).

A site can join several modules' outputs as fields, ``"embedding_dict.*"`` (every child of
``embedding_dict``, or ``SiteSpec.members``): DeepCTR-Torch's per-field embedding tables, read
side by side (``workbench.site_stacks``; read only).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn

from workbench.errors import ParameterError, SiteOutputError
from workbench.site_discovery import discover_sites
from workbench.site_functions import check_function, close_window, open_window
from workbench.site_stacks import (
    StackedHook,
    field_ordered,
    is_stacked,
    stack_members,
    stack_parent,
)

__all__ = [
    "FROM_KIND",
    "SITE_KIND_DEFAULTS",
    "SiteHooks",
    "SiteSpec",
    "as_site_specs",
    "discover_sites",
    "measure_sites",
    "parse_site",
    "resolve_module",
]

# kind -> (open_value, value_range, field_aligned): what a site of that kind is unless told.
SITE_KIND_DEFAULTS: dict[str, tuple[float | None, str, bool]] = {
    "gate": (1.0, "(0, 1)", True),
    "mask": (1.0, "real", True),
    "cross": (None, "real", True),
    "expert_gate": (None, "simplex", False),
    "embedding": (None, "real", True),
    # (rows, heads, F, F) attention maps (AutoInt): read by the intrinsic-interaction analysis,
    # refused by the gate analyses, which need (rows, width) outputs.
    "attention": (None, "simplex", False),
}
FROM_KIND = "from kind"  # default of open_value, value_range, field_aligned: the kind's default


@dataclass(frozen=True)
class SiteSpec:
    """One call of one module of a model, whose output is read or replaced.

    Attributes
    ----------
    path : str
        Dotted module path (``model.get_submodule(path)``).
    call : int
        Which call of the module in one forward pass (0: the first).
    kind : str
        One of ``SITE_KIND_DEFAULTS`` (as ``workbench.zoo.GateSite.kind``).
    open_value : float or None
        The value that lets everything through (1 for multiplicative gates); None: none exists.
    value_range : str
        For display: "(0, 1)", "real", "simplex", ...
    field_aligned : bool
        Whether the flattened per-row output holds field f at ``field_slices[f]``.
        These three default to the kind's (``SITE_KIND_DEFAULTS``).
    field_slices : tuple of (start, stop) or None
        Columns of each field on the flattened output; None: an equal split over the fields,
        filled in by ``measure_sites``.
    width : int or None
        Size of the flattened per-row output; None until ``measure_sites``.
    label : str or None
        Display name (the zoo's tap name); default ``path``, ``path@function``, ``...#call``.
    function : str or None
        A function called inside the module's forward (``workbench.site_functions``): the site
        is that function's call ``call`` there, not the module's output.
    rows_axis : int
        Axis of the output that holds the rows (moved first before flattening).
    members : tuple of str or None
        For a stacked path (``"embedding_dict.*"``): the children joined, in field order; None:
        every child (``measure_sites`` orders children named by field in the data's order).
    """

    path: str
    call: int = 0
    kind: str = "gate"
    open_value: float | str | None = FROM_KIND
    value_range: str = FROM_KIND
    field_aligned: bool | str = FROM_KIND
    field_slices: tuple[tuple[int, int], ...] | None = None
    width: int | None = None
    label: str | None = None
    function: str | None = None
    rows_axis: int = 0
    members: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in SITE_KIND_DEFAULTS:
            raise ParameterError(
                f"site kind must be one of {tuple(SITE_KIND_DEFAULTS)}, got {self.kind!r}"
            )
        if int(self.call) < 0:
            raise ParameterError(f"site {self.path!r}: call index must be >= 0, got {self.call}")
        if self.function is not None:
            check_function(self.function, self.key)
        if int(self.rows_axis) < 0:
            raise ParameterError(f"site {self.key!r}: rows_axis must be >= 0, got {self.rows_axis}")
        defaults = SITE_KIND_DEFAULTS[self.kind]
        for name, default in zip(
            ("open_value", "value_range", "field_aligned"), defaults, strict=True
        ):
            if getattr(self, name) == FROM_KIND:
                object.__setattr__(self, name, default)

    @property
    def key(self) -> str:
        """What is hooked: the module path, or ``path@function`` for a function site."""
        return self.path if self.function is None else f"{self.path}@{self.function}"

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        return self.key if self.call == 0 else f"{self.key}#{self.call}"

    def slices(self) -> tuple[slice, ...]:
        """Columns of each field as slices (``field_slices`` must be known)."""
        if self.field_slices is None:
            raise ParameterError(f"site {self.name!r} has no field slices yet; measure it first")
        return tuple(slice(a, b) for a, b in self.field_slices)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SiteSpec:
        d = dict(d)
        if d.get("field_slices") is not None:
            d["field_slices"] = tuple(tuple(pair) for pair in d["field_slices"])
        if d.get("members") is not None:
            d["members"] = tuple(d["members"])
        return cls(**d)


def parse_site(text: str, kind: str = "gate", **options: Any) -> SiteSpec:
    """``"path"``, ``"path#call"``, ``"path@function"`` or ``"path@function#call"`` as a
    SiteSpec of ``kind`` with that kind's defaults (``options``: other SiteSpec fields)."""
    target, sep, call = str(text).partition("#")
    path, at, function = target.partition("@")
    if not path or (sep and not call.isdigit()) or (at and not function):
        raise ParameterError(
            f"site {text!r}: expected PATH, PATH#CALL, PATH@FUNCTION or PATH@FUNCTION#CALL "
            "(CALL a number >= 0)"
        )
    label = str(text) if sep else None
    return SiteSpec(
        path, int(call) if sep else 0, kind, label=label, function=function or None, **options
    )


def as_site_specs(
    module: nn.Module, sites: Sequence[str | SiteSpec] | None, kind: str = "gate"
) -> list[SiteSpec]:
    """Sites named by the caller (specs, a model's own site names, or ``path#call`` text), or
    every site the model names itself (``module.site_specs()``, as the zoo models do)."""
    own = {s.name: s for s in module.site_specs()} if hasattr(module, "site_specs") else {}
    if sites is None:
        if not own:
            raise ParameterError(
                f"{type(module).__name__} names no sites of its own; pass sites=[...] as module "
                "paths ('feature_gating.0', 'gate_sigmoid#1') or SiteSpec objects"
            )
        return list(own.values())
    if isinstance(sites, str | SiteSpec):
        sites = [sites]
    specs = [s if isinstance(s, SiteSpec) else own.get(s) or parse_site(s, kind) for s in sites]
    for spec in specs:
        resolve_module(module, spec.path)
    return specs


def resolve_module(root: nn.Module, path: str) -> nn.Module:
    """The submodule at ``path``; a one-line error naming the closest paths otherwise.

    A wrapper that only adapts the input (``workbench.field_inputs.DictInputs``) is seen
    through: paths are the wrapped model's own."""
    root = getattr(root, "wrapped_model", root)
    try:
        return stack_parent(root, path) if is_stacked(path) else root.get_submodule(path)
    except AttributeError:
        names = [name for name, _ in root.named_modules() if name]
        close = difflib.get_close_matches(path, names, n=3, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else f"; paths include {names[:5]}"
        if hasattr(root, "site_specs"):  # a model that names its sites: list them too
            hint += f"; sites: {', '.join(s.name for s in root.site_specs())}"
        raise ParameterError(
            f"site {path!r}: {type(root).__name__} has no module at this path{hint}"
        ) from None


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


def measure_sites(
    root: nn.Module,
    specs: Sequence[SiteSpec],
    forward: Callable[[], object],
    n_fields: int,
    field_names: Sequence[str] | None = None,
) -> list[SiteSpec]:
    """The specs with ``width`` and ``field_slices`` filled in from one forward pass.

    ``forward()`` runs the model once (on a few rows). An aligned site without slices is split
    equally over ``n_fields`` (one gate per field, or F·d embedding columns); a stacked site
    (``"embedding_dict.*"``) by its members' widths, its members put in the order of
    ``field_names`` when they are named by field.
    """
    inner = getattr(root, "wrapped_model", root)
    specs = [field_ordered(inner, spec, field_names) for spec in specs]
    widths: dict[SiteSpec, int] = {}

    def recorder(spec: SiteSpec) -> Action:
        def read(flat: torch.Tensor) -> None:
            widths[spec] = int(flat.shape[1])

        return read

    with torch.no_grad(), SiteHooks(root, {s: recorder(s) for s in specs}) as hooks:
        forward()
    hooks.check()
    measured = []
    for spec in specs:
        width, stack = widths[spec], hooks.stacks.get(spec.key)
        if stack is not None and spec.field_slices is None and stack.widths is not None:
            edges = [0, *itertools.accumulate(stack.widths)]
            spec = replace(spec, field_slices=tuple(itertools.pairwise(edges)))
        measured.append(_with_width(spec, width, n_fields))
    return measured


def _with_width(spec: SiteSpec, width: int, n_fields: int) -> SiteSpec:
    if spec.width is not None and spec.width != width:
        raise ParameterError(f"site {spec.name!r}: width {spec.width} given, output has {width}")
    slices = spec.field_slices
    if spec.field_aligned and slices is None:
        if width % n_fields:
            raise ParameterError(
                f"site {spec.name!r}: output width {width} does not split equally over "
                f"{n_fields} fields; pass field_slices or field_aligned=False"
            )
        step = width // n_fields
        slices = tuple((f * step, (f + 1) * step) for f in range(n_fields))
    if spec.field_aligned and (len(slices) != n_fields or slices[-1][1] > width):
        raise ParameterError(
            f"site {spec.name!r}: {len(slices)} field slices up to column {slices[-1][1]} do "
            f"not fit {n_fields} fields on a width-{width} output"
        )
    return replace(spec, width=width, field_slices=slices)
