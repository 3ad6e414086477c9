"""The embedding-variant kernel: mean loss of a model whose field embedding reads other tables.

A *variant* replaces what the model's ``FieldEmbedding`` returns: level c of field f reads row
``index[v, f, c]`` of the variant's own table ``tables[v]``. One variant per row of ``index``;
all variants run over the same data rows, stacked (variants × rows) into large batches sized by
``resolve_batch_rows``, on the adapter's device. This is how the embeddings analyzer gives
colliding features of a shared table their own rows without editing the model: the embedding's
``forward`` is swapped on the instance for the duration of a call (so both ``emb(codes)`` and
``emb.flat(codes)`` see it) and restored afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from workbench.errors import DataError, ModelError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows


class EmbeddingVariantKernel:
    """Mean losses of embedding-table variants of one model on one data set.

    Parameters
    ----------
    adapter : ModelAdapter
        A torch model (``adapter.module``) holding ``embedding``; one output per row.
    embedding : torch.nn.Module
        The model's FieldEmbedding (equal dims: the variants return (batch, fields, dim)).
    dataset : Dataset
        Codes data set with a target; column f is field f.
    max_batch_rows : int or None
        Model-input rows per forward pass; None sizes it from the device.

    Examples
    --------
    >>> kernel = EmbeddingVariantKernel(adapter, embedding, dataset)
    >>> kernel.mean_losses(tables, index)  # (variants,) mean loss of each variant
    """

    def __init__(
        self, adapter, embedding: torch.nn.Module, dataset, *, max_batch_rows: int | None = None
    ) -> None:
        if adapter.module is None:
            raise ModelError("embedding variants need a torch model")
        if adapter.n_classes > 2:
            raise ModelError("embedding variants support one output per row (binary or regression)")
        if dataset.y is None:
            raise DataError("dataset has no target column; losses need one")
        if len(set(embedding.dims)) != 1:
            raise ParameterError("embedding variants need equal field dims")
        self.adapter = adapter
        self.embedding = embedding
        self.device = adapter.device
        self.codes = dataset.X.to(self.device).round().long()  # (rows, fields)
        self.inputs = dataset.X.to(self.device)  # (rows, fields) float codes, as the model reads
        self.labels = dataset.y.to(self.device)
        self.n_rows = dataset.n_rows
        self.batch_rows = resolve_batch_rows(
            max_batch_rows,
            self.device,
            estimate_bytes_per_row(adapter.module, dataset.n_features) + 8 * sum(embedding.dims),
            None,
        )
        self.rows_evaluated = 0

    def mean_losses(
        self, tables: torch.Tensor, index: torch.Tensor, *, grad: bool = False
    ) -> torch.Tensor:
        """Mean loss over the data rows of every variant.

        Parameters
        ----------
        tables : Tensor
            (variants, table_rows, dim) float32 on the device; may require grad.
        index : Tensor
            (variants, fields, max_vocab) int64: the table row level c of field f reads.
        grad : bool
            Keep the autograd graph and call ``backward`` on each batch's share of the summed
            mean losses, so ``tables.grad`` accumulates d(Σ_v mean loss_v)/d tables without
            holding every batch in memory. The returned losses are detached either way.

        Returns
        -------
        Tensor
            (variants,) float64 on the device.
        """
        variants = index.shape[0]
        if (
            tables.ndim != 3
            or tables.shape[0] != variants
            or tables.shape[2] != self.embedding.dims[0]
        ):
            raise ParameterError(
                f"tables must be (variants={variants}, rows, dim={self.embedding.dims[0]}), "
                f"got {tuple(tables.shape)}"
            )
        if index.ndim != 3 or index.shape[1] != len(self.embedding.dims):
            raise ParameterError(
                f"index must be (variants, fields, max_vocab), got {tuple(index.shape)}"
            )
        totals = torch.zeros(variants, dtype=torch.float64, device=self.device)
        flat_tables = tables.reshape(-1, tables.shape[2])  # (variants · table_rows, dim)
        rows_per_variant = tables.shape[1]
        field_ids = torch.arange(index.shape[1], device=self.device)
        total_rows = variants * self.n_rows
        for start in range(0, total_rows, self.batch_rows):
            flat = torch.arange(start, min(start + self.batch_rows, total_rows), device=self.device)
            variant = flat // self.n_rows  # (batch,)
            row = flat % self.n_rows
            codes = self.codes[row]  # (batch, fields)
            lookup = index[variant[:, None], field_ids[None, :], codes]  # (batch, fields)
            lookup = lookup + (variant * rows_per_variant)[:, None]
            with (
                torch.set_grad_enabled(grad),
                self._substituted(flat_tables, lookup),
                self._model_frozen(),
            ):
                outputs = self.adapter.module(self.inputs[row]).reshape(-1)  # (batch,)
                per_row = self.adapter.loss.per_row(outputs, self.labels[row])  # (batch,) float64
                if grad:
                    (per_row.sum() / self.n_rows).backward()
            totals.index_add_(0, variant, per_row.detach())
            self.rows_evaluated += flat.numel()
        return totals / self.n_rows

    @contextmanager
    def _model_frozen(self):
        """The model's own parameters take no gradient: only the variant tables are fitted."""
        parameters = [p for p in self.adapter.module.parameters() if p.requires_grad]
        for parameter in parameters:
            parameter.requires_grad_(False)
        try:
            yield
        finally:
            for parameter in parameters:
                parameter.requires_grad_(True)

    @contextmanager
    def _substituted(self, flat_tables: torch.Tensor, lookup: torch.Tensor):
        expected = lookup.shape

        def forward(codes: torch.Tensor) -> torch.Tensor:
            if codes.shape != expected:
                raise ModelError(
                    f"the model called its embedding with codes {tuple(codes.shape)}, expected "
                    f"{tuple(expected)}: it must embed the data columns as given"
                )
            return flat_tables[lookup]  # (batch, fields, dim)

        self.embedding.forward = forward
        try:
            yield
        finally:
            del self.embedding.forward
