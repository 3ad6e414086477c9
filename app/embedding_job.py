"""The embeddings analysis of the app and `workbench embeddings`: the report, its map colours
(gate, captum attribution), the private-row Δloss and the cross-model CKA, from the registry's
parameters. Both surfaces call :func:`embedding_report`, so equal settings give equal numbers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from analyzers.embeddings import analyze_embeddings
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback

#: colours of the table map by each field's captum attribution (the gates analyzer's methods)
ATTRIBUTIONS = ("none", "feature_ablation", "integrated_gradients")
#: the registry's parameters that are the app's, not ``analyze_embeddings``'
APP_PARAMETERS = ("gate_site", "attribution", "private_rows", "compare_with")


def embedding_report(
    adapter,
    held_out,
    parameters: dict,
    *,
    model_name: str,
    train_rows=None,
    sites=None,
    embedding_site=None,
    others: dict | None = None,
    point_values: dict | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
):
    """The embedding report of a model on its held-out rows.

    ``parameters`` are the registry's (``analysis("embeddings").defaults`` filled in);
    ``held_out`` the rows the model never trained on (``analyze_embeddings`` draws its seeded
    sample of ``max_rows`` from them). ``train_rows`` are the rows the private-row variants
    are fitted on (``parameters["private_rows"]``); ``sites`` are a user's torch model's gate
    sites (``workbench.sites.SiteSpec``; None: the model's own) and ``embedding_site`` where
    its field embeddings are read (None: the zoo's field embedding); ``others`` maps a model name to
    the adapter of a model of the same data set whose field embeddings are compared with
    this one's by CKA (``parameters["compare_with"]``). ``point_values`` adds map colours;
    ``options`` go to ``analyze_embeddings`` (the CLI's per-field variants and batching).
    """
    shared = {name: value for name, value in parameters.items() if name not in APP_PARAMETERS}
    colours = {
        **_gate_colours(adapter, held_out, parameters, model_name, sites, embedding_site),
        **_attribution_colours(adapter, held_out, parameters, embedding_site),
        **(point_values or {}),
    }
    private = None
    if parameters.get("private_rows"):
        reason = private_rows_unavailable(adapter, train_rows)
        if reason:
            raise ParameterError(f"private_rows: {reason}")
        private = (train_rows, held_out)
    report = analyze_embeddings(
        adapter,
        held_out,
        model_name=model_name,
        point_values=colours,
        private_rows_data=private,
        progress=progress,
        **({"embedding_site": embedding_site} if embedding_site is not None else {}),
        **shared,
        **options,
    )
    if not others:
        return report
    if progress is not None:
        progress("comparing models (CKA)", 0, 1)
    adapters = {model_name: adapter, **others}
    comparison = model_comparison(
        adapters, held_out, parameters["max_rows"], parameters["random_state"]
    )
    if progress is not None:
        progress("comparing models (CKA)", 1, 1)
    return replace(report, comparison=comparison)


def model_comparison(adapters: dict, rows, max_rows: int, random_state: int):
    """CKA between the field embeddings of each model (name → adapter or module) on the same
    seeded sample of ``rows``, and their geometries side by side."""
    from analyzers.embeddings import compare_embeddings, extract_embeddings

    extracted = {
        name: extract_embeddings(model, rows, max_rows=max_rows, random_state=random_state)
        for name, model in adapters.items()
    }
    return compare_embeddings(
        {name: e.rows_by_field() for name, e in extracted.items()},
        tables={name: e.tables_by_field() for name, e in extracted.items()},
        counts=next(iter(extracted.values())).counts_by_field(),
    )


def private_rows_unavailable(adapter, train_rows) -> str | None:
    """Why the private-row Δloss cannot run for this model (None: it can)."""
    embedding = getattr(getattr(adapter, "module", None), "embedding", None)
    if embedding is None or not getattr(embedding, "is_shared", False):
        return "needs a shared (hashed) embedding table; this model has one table per field"
    if train_rows is None:
        return "needs the model's training rows, which this workspace model does not have"
    return None


def gate_site_specs(adapter, sites=None) -> list:
    """The sites a table map can be coloured by: the field-aligned gates and masks of the
    workspace entry's ``sites`` (a user's torch model, by module path) or else the model's own
    (the zoo's ``site_specs``), as ``workbench.sites.SiteSpec``."""
    module = getattr(adapter, "module", None)
    if sites:
        specs = list(sites)
    elif hasattr(module, "site_specs"):
        specs = list(module.site_specs())
    else:
        return []
    return [s for s in specs if s.field_aligned and s.kind not in ("attention", "embedding")]


def gate_site_unavailable(adapter, sites, points: str) -> str | None:
    """Why the table map cannot be coloured by a gate (None: it can)."""
    if not gate_site_specs(adapter, sites):
        return (
            "needs a field-aligned gate or mask site: this model names none (register it "
            "with --site PATH#CALL)"
        )
    if points != "table":
        return "colours the table map only (map points: table rows)"
    return None


def _gate_colours(
    adapter, rows, parameters: dict, model_name: str, sites=None, embedding_site=None
) -> dict:
    """Mean gate per level at one field-aligned site, a colour of the table map ("auto": the
    model's first such site; "none", a map of data rows, or a model without gates: nothing).
    The site is read by module path (``workbench.sites``), for the zoo and any torch model."""
    site = parameters["gate_site"]
    if parameters["projection_points"] != "table" or site == "none":
        return {}
    specs = gate_site_specs(adapter, sites)
    if site == "auto":
        if not specs:
            return {}
        spec = specs[0]
    else:
        spec = _named_gate_site(adapter, specs, site, model_name, named_by_model=bool(sites))
    from analyzers.embeddings.coloring import gate_values_per_level, table_layout
    from analyzers.gates import gate_statistics

    statistics = gate_statistics(adapter, rows, sites=[spec])
    names, sizes = table_layout(adapter, rows, embedding_site)
    return {f"gate:{spec.name}": gate_values_per_level(statistics, spec.name, names, sizes)}


def _named_gate_site(adapter, specs, site: str, model_name: str, *, named_by_model: bool):
    """The spec of ``site``: one of ``specs`` by name, or (a model that names no sites of its
    own, as the CLI's user models) a module path ``path#call`` read as a gate."""
    by_name = {s.name: s for s in specs}
    if site in by_name:
        return by_name[site]
    if not specs and not named_by_model and not hasattr(adapter.module, "site_specs"):
        from workbench.sites import as_site_specs, parse_site

        return as_site_specs(adapter.module, [parse_site(site)])[0]
    raise ParameterError(
        f"gate_site: {site!r} is not a field-aligned gate site of {model_name!r}; "
        f"choose one of {', '.join(['auto', 'none', *by_name])}"
    )


def attribution_unavailable(adapter, points: str) -> str | None:
    """Why the table map cannot be coloured by attribution (None: it can)."""
    if getattr(adapter, "module", None) is None:
        return "needs a torch model (captum attributions on its field embeddings)"
    if points != "table":
        return "colours the table map only (map points: table rows)"
    return None


def _attribution_colours(adapter, rows, parameters: dict, embedding_site=None) -> dict:
    """Each field's captum attribution, one value per point of the table map (if asked)."""
    method = parameters.get("attribution", "none")
    if method == "none":
        return {}
    reason = attribution_unavailable(adapter, parameters["projection_points"])
    if reason:
        raise ParameterError(f"attribution: {reason}")
    from analyzers.embeddings.coloring import attribution_per_point, table_layout
    from analyzers.gate_attributions import gate_attributions

    # No gate sites: the colours are the attributions on the inputs and field embeddings,
    # which need none (the per-site conductance would only cost time).
    attributions = gate_attributions(
        adapter, rows, sites=[], embedding=embedding_site, random_state=parameters["random_state"]
    )
    names, sizes = table_layout(adapter, rows, embedding_site)
    values = attribution_per_point(attributions, method, names, sizes)
    return {f"attribution:{method}": values}
