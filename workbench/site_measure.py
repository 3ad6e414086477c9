"""Measuring sites on one forward pass: each site's output width and the columns of each field
there (``measure_sites``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.site_hooks import Action, SiteHooks
from workbench.site_spec import SiteSpec
from workbench.site_stacks import field_ordered


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
