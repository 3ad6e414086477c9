"""A user's own torch model, built by their factory ``package.module:callable`` with its weights.

Sites are module paths read and replaced by forward hooks, so the model must be a live
``nn.Module`` of the user's own class (TorchScript modules take no hooks): it is built by the
user's factory and its ``state_dict`` is loaded with ``torch.load(weights_only=True)``, which
runs no code from the file. Importing the factory runs the user's installed code: that is the
local user's choice, made on the command line or in a workspace manifest (as ``trusted: true``
for a pickle), never a name a browser sends.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.errors import ModelError, ParameterError

__all__ = ["is_factory", "load_factory_model"]


def is_factory(text: str) -> bool:
    """Whether ``text`` names a factory ``module:callable`` (not a file or a zoo name)."""
    module, sep, attribute = str(text).partition(":")
    return bool(sep and module and attribute) and not text.endswith(".json")


def load_factory_model(
    factory: str,
    weights: str | Path | None = None,
    *,
    import_path: str | Path | None = None,
    factory_kwargs: Mapping[str, Any] | None = None,
    dataset=None,
    argument: str = "factory",
    weights_argument: str = "weights",
):
    """The module built by ``factory`` ("package.module:callable"), with ``weights`` loaded.

    Parameters
    ----------
    factory : str
        ``package.module:callable`` returning the module, called with ``factory_kwargs``;
        if it has a parameter named ``dataset``, it also gets ``dataset`` (so it can size
        embedding tables from the data set's fields, as ``workbench.deepctr:build`` does).
    weights : str or Path, optional
        A ``state_dict`` file, loaded with ``weights_only=True``.
    import_path : str or Path, optional
        A folder the factory's package is imported from (appended to ``sys.path``, so it never
        shadows an installed module).
    factory_kwargs : mapping, optional
        Keyword arguments of the factory (JSON values: they come from a manifest or a command).
    dataset : Dataset, optional
        The data set the model is explained on, for a factory that takes ``dataset``.
    argument, weights_argument : str
        The options named in error messages (``--model``, ``--weights`` on the command line).

    Returns
    -------
    torch.nn.Module
        In eval mode. Every failure is one line naming the argument.

    Examples
    --------
    >>> model = load_factory_model("mypkg.models:build", "model_state.pt")  # doctest: +SKIP
    """
    import torch

    if not is_factory(factory):
        raise ParameterError(f"{argument}: expected package.module:callable, got {factory!r}")
    module_name, _, attribute = factory.partition(":")
    if import_path is not None and str(import_path) not in sys.path:
        sys.path.append(str(import_path))
    try:
        build = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ParameterError(f"{argument} {factory!r}: cannot import it ({error})") from None
    model = build(**_factory_arguments(build, factory, factory_kwargs, dataset, argument))
    if not isinstance(model, torch.nn.Module):
        raise ModelError(
            f"{argument} {factory!r} returned {type(model).__name__}, not a torch module"
        )
    if weights:
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except Exception as error:  # unpickling refused, not a torch file, unreadable
            raise ModelError(
                f"{weights_argument} {str(weights)!r}: not a state_dict file that "
                f"torch.load(weights_only=True) reads ({type(error).__name__})"
            ) from None
        problem = state_dict_mismatch(model, state)
        if problem:
            raise ModelError(
                f"{weights_argument} {str(weights)!r} does not match the module {factory} "
                f"builds: {problem}"
            )
        model.load_state_dict(state)
    return model.eval()


def _factory_arguments(build, factory: str, factory_kwargs, dataset, argument: str) -> dict:
    """The keyword arguments ``build`` is called with: ``factory_kwargs``, and ``dataset``
    where it takes one; one line for a name it does not take, before anything is built."""
    given = dict(factory_kwargs or {})
    try:
        parameters = inspect.signature(build).parameters
    except (TypeError, ValueError):  # a builtin or extension callable: pass what was given
        return given
    if dataset is not None and "dataset" in parameters and "dataset" not in given:
        given["dataset"] = dataset
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = [name for name in given if name not in parameters and not takes_any]
    if unknown:
        raise ParameterError(
            f"{argument} {factory!r} takes no argument {unknown[0]!r}; it takes "
            f"{', '.join(parameters) or 'none'}"
        )
    try:
        inspect.signature(build).bind(**given)
    except TypeError as error:  # a required argument missing
        raise ParameterError(f"{argument} {factory!r}: {error} (factory_kwargs)") from None
    return given


def state_dict_mismatch(model, state) -> str | None:
    """Why ``state`` cannot be loaded into ``model`` (None: it can), in a few words."""
    if not isinstance(state, dict):
        return (
            f"the file holds a {type(state).__name__}, not a state_dict (save model.state_dict())"
        )
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} is {tuple(state[k].shape)} in the file, {tuple(own[k].shape)} in the module"
        for k in own
        if k in state
        and hasattr(state[k], "shape")
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else ""))
    if unexpected:
        parts.append(
            f"unexpected {', '.join(unexpected[:3])}" + (" ..." if len(unexpected) > 3 else "")
        )
    parts.extend(shapes[:2])
    return "; ".join(parts) or None


def entry_sites(sites) -> list:
    """The ``SiteSpec`` objects of a manifest's ``sites``: ``"path#k"`` text (a gate) or
    ``{"site": "path#k", "kind": "mask"}``; a one-line error for anything else."""
    from workbench.sites import parse_site

    specs = []
    for item in sites or []:
        if isinstance(item, str):
            specs.append(parse_site(item))
        elif isinstance(item, dict) and isinstance(item.get("site"), str):
            specs.append(parse_site(item["site"], item.get("kind", "gate")))
        else:
            raise ParameterError(
                f"sites: expected 'PATH#CALL' or {{'site': 'PATH#CALL', 'kind': ...}}, got {item!r}"
            )
    return specs


def load_torch_entry(entry, dataset):
    """(adapter, rows, sites) of a workspace entry of kind "torch": the factory's module with
    its weights (fed through ``DictInputs`` when the entry has a field specification), the
    data set (its groups the model inputs, then) and the entry's sites, each checked to exist."""
    from workbench.field_inputs import DictInputs
    from workbench.models import wrap_model
    from workbench.samples import infer_task
    from workbench.sites import parse_site, resolve_module

    module = load_factory_model(
        entry.factory,
        entry.weights,
        import_path=entry.import_path,
        factory_kwargs=entry.factory_kwargs,
        dataset=dataset,
    )
    rows = dataset
    if entry.field_inputs:
        spec = dict(entry.field_inputs)
        module = DictInputs(module, spec.get("fields", {}), dataset.feature_names,
                            dtypes=spec.get("dtypes"))  # fmt: skip
        rows = dataset.with_groups(module.groups())
    sites = entry_sites(entry.sites)
    for site in [*sites, *([parse_site(entry.embedding_site)] if entry.embedding_site else [])]:
        resolve_module(module, site.path)
    task = infer_task(dataset) if entry.task == "auto" else entry.task
    output = entry.output or ("logit" if task == "classification" else None)
    return wrap_model(module, task=task, output=output), rows, sites
