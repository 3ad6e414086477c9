"""Colour columns for embedding maps from the gates analyzer's results (``analyzers.gates``).

A map of table rows has one point per (field, level), in the order of
``ModelEmbeddings.table_points(seen_only=False)``; these functions turn the gate statistics per
level, or the attributions per field, into one value per such point, to pass to
``analyze_embeddings(point_values=...)`` or as a label column of ``project``. Gate values are
descriptive (tier D), attributions gradient-based (tier G); neither is read off the geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import ParameterError


def table_layout(model, dataset, embedding_site=None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(field names, vocabulary sizes) of ``model``'s full table map on ``dataset``: the
    zoo's field embedding, or for any torch model read at ``embedding_site`` the data set's
    fields (groups) and their levels (``analyzers.embeddings.by_site``).

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter
    dataset : Dataset
        The rows the map is drawn from (one coded column per field).
    embedding_site : str or SiteSpec, optional
        As given to ``analyze_embeddings``; None: the model's own field embedding (the zoo).
    """
    if embedding_site is not None:
        from analyzers.embeddings.by_site import vocab_sizes_at_site

        module = getattr(model, "module", model)
        return tuple(dataset.group_names), vocab_sizes_at_site(
            dataset, None, module, embedding_site
        )
    from analyzers.embeddings.extract import find_field_embedding

    embedding = find_field_embedding(getattr(model, "module", model))
    return tuple(map(str, embedding.field_names)), tuple(int(v) for v in embedding.vocab_sizes)


def table_point_keys(field_names: Sequence[str], vocab_sizes: Sequence[int]) -> pd.DataFrame:
    """field and level (code) of every point of a full table map, in map order."""
    return pd.DataFrame(
        {
            "field": np.repeat(list(field_names), list(vocab_sizes)),
            "level": np.concatenate([np.arange(size) for size in vocab_sizes]),
        }
    )


def gate_values_per_level(
    statistics, site: str, field_names: Sequence[str], vocab_sizes: Sequence[int]
) -> np.ndarray:
    """Mean gate of each level's field at ``site`` among the rows with that level.

    Parameters
    ----------
    statistics : GateStatistics
        From ``analyzers.gates.gate_statistics`` (its ``per_level`` frame: site, field, level,
        mean_gate).
    site : str
        A field-aligned gate site of the model.
    field_names, vocab_sizes
        The embedding's fields and their vocabularies (the map's layout).

    Returns
    -------
    ndarray
        One value per (field, level), NaN for levels that no row takes.
    """
    per_level = statistics.per_level
    chosen = per_level[per_level["site"] == site]
    if chosen.empty:
        sites = sorted(set(per_level["site"]))
        raise ParameterError(
            f"site {site!r} has no per-level gate values; field-aligned sites: {sites}"
        )
    keys = table_point_keys(field_names, vocab_sizes)
    merged = keys.merge(chosen[["field", "level", "mean_gate"]], on=["field", "level"], how="left")
    return merged["mean_gate"].to_numpy(dtype=float)


def attribution_per_point(
    attributions,
    method: str,
    field_names: Sequence[str],
    vocab_sizes: Sequence[int],
    *,
    site: str | None = None,
    column: str = "mean_abs_attribution",
) -> np.ndarray:
    """The attribution of each point's field (captum, per field), repeated over its levels.

    Parameters
    ----------
    attributions : GateAttributions
        From ``analyzers.gate_attributions`` (``per_field``: method, site, field, ...).
    method : str
        Attribution method as named in ``per_field``.
    site : str, optional
        Restrict to one site when the method ran at several.
    column : str
        "mean_abs_attribution" or "mean_attribution".
    """
    frame = attributions.per_field
    chosen = frame[frame["method"] == method]
    if site is not None:
        chosen = chosen[chosen["site"] == site]
    if chosen.empty:
        raise ParameterError(
            f"no attributions for method {method!r}"
            + (f" at site {site!r}" if site else "")
            + f"; methods: {sorted(set(frame['method']))}"
        )
    by_field = chosen.groupby("field")[column].mean()
    keys = table_point_keys(field_names, vocab_sizes)
    return keys["field"].map(by_field).to_numpy(dtype=float)
