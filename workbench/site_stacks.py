"""Stacked sites: the outputs of several modules, side by side as fields, read as one site.

DeepCTR-Torch keeps one ``nn.Embedding`` per field in an ``nn.ModuleDict`` (``embedding_dict``)
and calls each once per forward pass; no module outputs the field vectors side by side. The site
``"embedding_dict.*"`` names every child of ``embedding_dict``: each child's output is flattened
to (rows, width_f) and the pieces are joined in field order into (rows, Σ width_f), field f at
columns ``field_slices[f]``. The order is ``SiteSpec.members`` when given; ``measure_sites``
fills it from the data set's field names when the children are named by field (DeepCTR keys
them by feature name), and otherwise keeps the children's registration order.

A stacked site is read, never replaced: by the time the last member runs, the model may already
have used the others' outputs, so no hook can swap all of them consistently. A replacement
raises one line (``SiteHooks``): ablations, captum's layer methods and embedding variants need
one module whose output holds every field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from workbench.errors import ParameterError, SiteOutputError

__all__ = ["STACK_SUFFIX", "StackedHook", "field_ordered", "is_stacked", "stack_members"]

STACK_SUFFIX = ".*"


def is_stacked(path: str) -> bool:
    """Whether ``path`` names the children of a module (``"embedding_dict.*"``)."""
    return str(path).endswith(STACK_SUFFIX)


def stack_parent(root: nn.Module, path: str) -> nn.Module:
    """The module whose children a stacked path names (``get_submodule`` errors propagate)."""
    prefix = path[: -len(STACK_SUFFIX)]
    parent = root.get_submodule(prefix) if prefix else root
    if not any(True for _ in parent.named_children()):
        raise ParameterError(f"site {path!r}: module {prefix!r} has no child modules to stack")
    return parent


def stack_members(root: nn.Module, spec) -> list[tuple[str, nn.Module]]:
    """(child name, module) of each member of a stacked site, in field order."""
    parent = stack_parent(root, spec.path)
    children = dict(parent.named_children())
    names = list(spec.members) if spec.members is not None else list(children)
    missing = [name for name in names if name not in children]
    if missing:
        raise ParameterError(
            f"site {spec.name!r}: no child {missing[0]!r}; children are {list(children)[:6]}"
        )
    return [(name, children[name]) for name in names]


def field_ordered(root: nn.Module, spec, field_names: Sequence[str] | None):
    """``spec`` with ``members`` in the data set's field order when its children are named by
    the fields (DeepCTR keys its embeddings by feature name); unchanged otherwise."""
    from dataclasses import replace

    if not is_stacked(spec.path) or spec.members is not None or field_names is None:
        return spec
    children = [name for name, _ in stack_members(root, spec)]
    if sorted(children) != sorted(map(str, field_names)):
        return spec
    return replace(spec, members=tuple(map(str, field_names)))


class StackedHook:
    """Forward hooks on every member of one stacked site: when each member has run its
    addressed call in this forward pass, ``action`` gets the joined (rows, width) output.

    ``counts`` (per member, this pass) tells ``SiteHooks.check`` how often the site ran: the
    fewest calls of any member.
    """

    def __init__(self, spec, members: list[tuple[str, nn.Module]], by_call: dict) -> None:
        self.spec, self.members, self.by_call = spec, members, by_call
        self.counts = [0] * len(members)
        self.parts: dict[int, dict[int, torch.Tensor]] = {}
        self.widths: tuple[int, ...] | None = None  # per member, once all have run

    def reset(self) -> None:
        self.counts = [0] * len(self.members)
        self.parts = {}

    @property
    def calls(self) -> int:
        return min(self.counts)

    def hooks(self) -> list[tuple[nn.Module, Callable]]:
        return [(module, self._hook(i)) for i, (_name, module) in enumerate(self.members)]

    def _hook(self, index: int):
        def hook(_module, _inputs, output):
            call = self.counts[index]
            self.counts[index] = call + 1
            if call not in self.by_call:
                return None
            spec, action = self.by_call[call]
            parts = self.parts.setdefault(call, {})
            parts[index] = self._flat(output, index)
            if len(parts) == len(self.members):
                pieces = [parts[i] for i in range(len(self.members))]
                self.widths = tuple(int(p.shape[1]) for p in pieces)
                joined = torch.cat(pieces, dim=1)  # (rows, Σ width_f)
                if action(joined) is not None:
                    raise ParameterError(
                        f"site {spec.name!r} joins the outputs of {len(self.members)} modules: "
                        "it can be read, not replaced (ablations, attributions at the site and "
                        "embedding variants need one module whose output holds every field)"
                    )
            return None

        return hook

    def _flat(self, output, index: int) -> torch.Tensor:
        axis = self.spec.rows_axis
        if not torch.is_tensor(output) or output.ndim <= axis:
            name = self.members[index][0]
            raise SiteOutputError(
                f"site {self.spec.name!r}: member {name!r} outputs {type(output).__name__}, not "
                f"a tensor with rows on axis {axis}"
            )
        moved = output.movedim(axis, 0)  # (rows, ...)
        return moved.reshape(moved.shape[0], -1)  # (rows, width_f)
