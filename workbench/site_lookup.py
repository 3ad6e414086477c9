"""Finding sites on a model: the submodule at a path, with the closest paths when there is
none, and the sites a caller names (or the model's own) as ``SiteSpec`` objects."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from torch import nn

from workbench.errors import ParameterError
from workbench.site_spec import SiteSpec, parse_site
from workbench.site_stacks import is_stacked, stack_parent


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
