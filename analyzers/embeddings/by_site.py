"""Field embeddings of any torch model, read at a site by module path (``workbench.sites``).

A model that is not from our zoo has no ``FieldEmbedding`` to read tables from; what it has is a
module whose output holds every field's vector side by side ((rows, fields, dim) or
(rows, fields·dim)), e.g. ``"embedding_layer"`` or ``"embed#0"``. The output is read with a
forward hook on the data rows, split into fields (equally, or by the site's ``field_slices``),
and each level's table row is the mean vector of the rows holding that level: for a lookup
table that is the looked-up row itself. Levels that never occur get a zero row and count 0.

A stacked site of lookup tables (DeepCTR-Torch's ``"embedding_dict.*"``: one ``nn.Embedding``
per field, ``workbench.site_stacks``) has the tables themselves: each field's table is its
member's ``weight``, every level included, as the zoo's ``FieldEmbedding`` gives them.
"""

from __future__ import annotations

import numpy as np
import torch

from analyzers.gate_common import as_site_adapter, chosen_sites, field_codes
from workbench.errors import DataError, ParameterError
from workbench.kernels.tap_edits import TapKernel
from workbench.site_stacks import field_ordered, is_stacked, stack_members
from workbench.sites import SiteSpec, parse_site

__all__ = ["embeddings_at_site", "lookup_tables_at_site", "vocab_sizes_at_site"]


def embeddings_at_site(
    model, dataset, site: str | SiteSpec, kept: torch.Tensor
) -> tuple[tuple[str, ...], tuple[torch.Tensor, ...], tuple[np.ndarray, ...], torch.Tensor]:
    """(field names, tables, counts, codes) of the fields at ``site`` on every row of ``dataset``.

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter
    dataset : Dataset
        One coded column per group (the groups are the fields).
    site : str or SiteSpec
        Module path (``"path#call"``) of the field embedding output.
    kept : Tensor
        (rows kept,) positions of the rows whose embeddings are returned as row embeddings.

    Returns
    -------
    field names, tables (vocab_f, dim_f) per field, counts (vocab_f,) per field, and the row
    embeddings (kept rows, width) flattened.
    """
    adapter, _ = as_site_adapter(model, "auto")
    if isinstance(site, str):
        site = parse_site(site, "embedding")
    if not site.field_aligned:
        raise ParameterError(f"embedding site {site.name!r} must be field-aligned")
    n_fields = dataset.n_groups
    codes = field_codes(dataset, n_fields)
    if codes is None:
        raise DataError(
            "embeddings by site need one column of integer codes per field (group); build the "
            "data set with categorical='codes'"
        )
    spec = chosen_sites(adapter, dataset, [site])[0]
    output = TapKernel(adapter, dataset.X).capture([spec])[spec.name].float()  # (rows, width)
    lookups = lookup_tables_at_site(adapter.module, spec)
    tables, counts = [], []
    sizes = vocab_sizes_at_site(dataset, codes, adapter.module, spec)
    for f, columns in enumerate(spec.slices()):
        vectors = output[:, columns]  # (rows, dim_f)
        size = sizes[f]
        count = torch.bincount(codes[f], minlength=size)
        if lookups is not None:
            tables.append(lookups[f])
        else:
            sums = torch.zeros(size, vectors.shape[1]).index_add_(0, codes[f], vectors)
            tables.append(sums / count.clamp(min=1).unsqueeze(1).float())
        counts.append(count.numpy())
    return tuple(dataset.group_names), tuple(tables), tuple(counts), output[kept]


def lookup_tables_at_site(
    module, site: str | SiteSpec, field_names=None
) -> tuple[torch.Tensor, ...] | None:
    """(vocab_f, dim_f) float32 CPU weight of each member of a stacked site whose members are
    all ``nn.Embedding`` (in field order: the site's members, else ``field_names`` where the
    members are named by field), else None (tables come from the data)."""
    if isinstance(site, str):
        site = parse_site(site, "embedding")
    if not is_stacked(site.path):
        return None
    inner = getattr(module, "wrapped_model", module)
    members = stack_members(inner, field_ordered(inner, site, field_names))
    if not all(isinstance(m, torch.nn.Embedding) for _, m in members):
        return None
    return tuple(m.weight.detach().float().cpu() for _, m in members)


def vocab_sizes_at_site(
    dataset, codes: list[torch.Tensor] | None = None, module=None, site=None
) -> tuple[int, ...]:
    """Levels of each field of a map read at a site: the data's level labels, or more where a
    code goes beyond them (the table map's layout, which colour columns must follow); for
    lookup tables at a stacked site (``module`` and ``site`` given), their rows."""
    codes = field_codes(dataset, dataset.n_groups) if codes is None else codes
    lookups = None if module is None else lookup_tables_at_site(module, site, dataset.group_names)
    if codes is None:
        raise DataError(
            "embeddings by site need one column of integer codes per field (group); build the "
            "data set with categorical='codes'"
        )
    sizes = []
    for f, group in enumerate(dataset.groups):
        levels = dataset.code_levels.get(dataset.feature_names[group.columns[0]], ())
        sizes.append(max(int(codes[f].max()) + 1, len(levels)))
    if lookups is None:
        return tuple(sizes)
    if len(lookups) != len(sizes):
        raise DataError(
            f"embedding site {getattr(site, 'name', site)!r} stacks {len(lookups)} tables; the "
            f"data set has {len(sizes)} fields"
        )
    for f, table in enumerate(lookups):
        if table.shape[0] < int(codes[f].max()) + 1:
            raise DataError(
                f"field {dataset.group_names[f]!r}: codes reach {int(codes[f].max())}, its "
                f"embedding table has {table.shape[0]} rows"
            )
    return tuple(int(t.shape[0]) for t in lookups)
