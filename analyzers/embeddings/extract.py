"""Read the field embeddings of a trained model: its tables, level frequencies, data-row vectors.

A model holds one ``FieldEmbedding`` (``workbench.zoo.embedding``) and reads column f of the
Dataset's code matrix as field f (the zoo contract). So the vector a data row gets for field f
is ``field_table(f)[code]``: no forward pass is needed to extract it, and it is the same for
per-field and shared tables and for per-field dims.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from workbench.deprecation import renamed_parameters
from workbench.errors import DataError, ModelError, ParameterError
from workbench.sites import SiteSpec


@dataclass(frozen=True, eq=False)
class ModelEmbeddings:
    """The embedding side of one model on one data set.

    Attributes
    ----------
    field_names : tuple of str
    level_labels : tuple of tuple of str
        Label of each level per field (``Dataset.code_levels``, or the codes as text).
    tables : tuple of Tensor
        (vocab_f, dim_f) float32 CPU: the vector each level of each field gets.
    counts : tuple of ndarray
        (vocab_f,) occurrences of each level in the data.
    codes : Tensor
        (rows, fields) int64: the sampled data rows whose embeddings are in ``row_embeddings``.
    row_embeddings : tuple of Tensor
        (rows, dim_f) per field: what those rows look up.
    buckets : tuple of ndarray or None
        Shared table only: (vocab_f,) row of the shared table each level reads.
    n_buckets : int or None
        Shared table only: its rows.
    """

    field_names: tuple[str, ...]
    level_labels: tuple[tuple[str, ...], ...]
    tables: tuple[torch.Tensor, ...]
    counts: tuple[np.ndarray, ...]
    codes: torch.Tensor
    row_embeddings: tuple[torch.Tensor, ...]
    buckets: tuple[np.ndarray, ...] | None
    n_buckets: int | None

    @property
    def is_shared(self) -> bool:
        return self.buckets is not None

    def tables_by_field(self) -> dict[str, torch.Tensor]:
        return dict(zip(self.field_names, self.tables, strict=True))

    def counts_by_field(self) -> dict[str, np.ndarray]:
        return dict(zip(self.field_names, self.counts, strict=True))

    def rows_by_field(self) -> dict[str, torch.Tensor]:
        return dict(zip(self.field_names, self.row_embeddings, strict=True))

    def table_points(self, *, seen_only: bool = True) -> tuple[torch.Tensor, pd.DataFrame]:
        """Every field's table rows stacked, with labels: field, level, frequency, norm.

        Needs equal dims. ``seen_only`` drops levels that never occur (their rows are noise
        from initialisation and crowd a map).
        """
        if len({t.shape[1] for t in self.tables}) != 1:
            raise ParameterError("fields have different dims; project one field at a time")
        parts, labels = [], []
        for name, levels, table, count in zip(
            self.field_names, self.level_labels, self.tables, self.counts, strict=True
        ):
            keep = count > 0 if seen_only else np.ones(len(count), dtype=bool)
            parts.append(table[torch.from_numpy(keep)])
            labels.append(
                pd.DataFrame(
                    {
                        "field": name,
                        "level": np.asarray(levels, dtype=object)[keep].astype(str),
                        "frequency": count[keep].astype(np.int64),
                        "norm": table[torch.from_numpy(keep)].norm(dim=1).numpy().astype(float),
                    }
                )
            )
        return torch.cat(parts), pd.concat(labels, ignore_index=True)


def find_field_embedding(module: torch.nn.Module, name: str | None = None) -> torch.nn.Module:
    """The field embedding inside a model: the one submodule with ``field_table``/``row_index``.

    Parameters
    ----------
    module : torch.nn.Module
    name : str, optional
        Dotted submodule name when the model holds several.
    """
    if module is None:
        raise ModelError("the model is not a torch module; embeddings need a torch model")
    found = {
        sub_name: sub
        for sub_name, sub in module.named_modules()
        if all(hasattr(sub, a) for a in ("field_table", "row_index", "vocab_sizes", "is_shared"))
    }
    if name is not None:
        if name not in found:
            raise ModelError(f"no field embedding named {name!r}; the model has {sorted(found)}")
        return found[name]
    if not found:
        raise ModelError("the model has no FieldEmbedding (workbench.zoo.embedding) to analyse")
    if len(found) > 1:
        raise ModelError(f"the model has several field embeddings {sorted(found)}; pass name=...")
    return next(iter(found.values()))


@renamed_parameters(seed="random_state")
def extract_embeddings(
    model: torch.nn.Module,
    dataset,
    *,
    max_rows: int | None = 20_000,
    random_state: int = 0,
    embedding_name: str | None = None,
    embedding_site: str | SiteSpec | None = None,
) -> ModelEmbeddings:
    """Tables, level frequencies and (a seeded sample of) data-row field embeddings.

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter
        A model holding one FieldEmbedding (an adapter's ``module`` is used), or any torch
        model with ``embedding_site`` given.
    dataset : Dataset
        Codes data set whose column f is field f (``adult_fields``, ``synthetic_ctr``).
    max_rows : int or None
        Data rows kept in ``row_embeddings`` (uniform seeded sample); frequencies always use
        every row.
    random_state : int
        Seed of the row sample (formerly ``seed``).
    embedding_name : str, optional
        Which embedding, when the model has several.
    embedding_site : str or SiteSpec, optional
        Module path (``"path#call"``) whose output holds the field vectors side by side, for a
        model without a FieldEmbedding (``analyzers.embeddings.by_site``): tables are the mean
        vector per level, computed from the data rows.

    Returns
    -------
    ModelEmbeddings
    """
    if max_rows is not None and int(max_rows) < 2:
        raise ParameterError(f"max_rows must be >= 2, got {max_rows!r}")
    if embedding_site is not None:
        return _extract_at_site(model, dataset, embedding_site, max_rows, random_state)
    module = getattr(model, "module", model)
    embedding = find_field_embedding(module, embedding_name)
    vocab = tuple(int(v) for v in embedding.vocab_sizes)
    if dataset.n_features != len(vocab):
        raise DataError(
            f"dataset has {dataset.n_features} columns but the embedding has {len(vocab)} fields"
        )
    codes = dataset.X.round().to(torch.int64)  # (rows, fields)
    if not torch.equal(codes.to(torch.float32), dataset.X):
        raise DataError(
            "dataset columns must hold integer codes (build it with categorical='codes')"
        )
    for f, size in enumerate(vocab):
        column = codes[:, f]
        if column.min() < 0 or column.max() >= size:
            raise DataError(
                f"field {embedding.field_names[f]!r}: codes must lie in 0..{size - 1}, "
                f"got {int(column.min())}..{int(column.max())}"
            )
    kept = codes[_sampled(codes.shape[0], max_rows, random_state)]
    with torch.no_grad():
        tables = tuple(embedding.field_table(f).detach().float().cpu() for f in range(len(vocab)))
        buckets = None
        if embedding.is_shared:
            buckets = tuple(
                embedding.row_index(f, torch.arange(size, device=_device_of(embedding)))
                .cpu()
                .numpy()
                for f, size in enumerate(vocab)
            )
    rows = tuple(tables[f][kept[:, f]] for f in range(len(vocab)))
    counts = tuple(np.bincount(codes[:, f].numpy(), minlength=size) for f, size in enumerate(vocab))
    labels = tuple(
        _level_labels(dataset.code_levels.get(name), size)
        for name, size in zip(dataset.feature_names, vocab, strict=True)
    )
    return ModelEmbeddings(
        field_names=tuple(str(n) for n in embedding.field_names),
        level_labels=labels,
        tables=tables,
        counts=counts,
        codes=kept,
        row_embeddings=rows,
        buckets=buckets,
        n_buckets=int(embedding.n_rows_total) if embedding.is_shared else None,
    )


def _sampled(n_rows: int, max_rows: int | None, random_state: int) -> torch.Tensor:
    """Sorted positions of the kept rows: all, or a uniform seeded sample of ``max_rows``."""
    if max_rows is None or n_rows <= int(max_rows):
        return torch.arange(n_rows)
    generator = torch.Generator().manual_seed(int(random_state))
    return torch.randperm(n_rows, generator=generator)[: int(max_rows)].sort().values


def _extract_at_site(model, dataset, site, max_rows, random_state: int) -> ModelEmbeddings:
    from analyzers.embeddings.by_site import embeddings_at_site

    chosen = _sampled(dataset.n_rows, max_rows, random_state)
    names, tables, counts, rows = embeddings_at_site(model, dataset, site, chosen)
    codes = torch.stack([dataset.X[:, g.columns[0]] for g in dataset.groups], 1).long()
    widths = np.cumsum([0] + [t.shape[1] for t in tables])
    levels = [dataset.code_levels.get(dataset.feature_names[g.columns[0]]) for g in dataset.groups]
    return ModelEmbeddings(
        field_names=names,
        level_labels=tuple(_level_labels(lv, len(c)) for lv, c in zip(levels, counts, strict=True)),
        tables=tables,
        counts=counts,
        codes=codes[chosen],
        row_embeddings=tuple(rows[:, a:b] for a, b in itertools.pairwise(widths)),
        buckets=None,
        n_buckets=None,
    )


def _level_labels(levels: tuple[str, ...] | None, size: int) -> tuple[str, ...]:
    """The data's level labels, or the codes as text where they do not cover the vocabulary."""
    if levels is not None and len(levels) == size:
        return tuple(str(level) for level in levels)
    return tuple(str(code) for code in range(size))


def _device_of(module: torch.nn.Module) -> torch.device:
    tensor = next(iter(module.parameters()), None)
    return tensor.device if tensor is not None else torch.device("cpu")
