"""A field specification for a model whose input is not one matrix: a dict of tensors.

FuxiCTR-style models take ``{"user_id": (rows,) long, "price": (rows, 1) float, ...}``; every
analysis here hands a model one (rows, features) float matrix. ``DictInputs`` wraps the model
so it takes the matrix: each named input is cut from the data set's columns by name, cast, and
the dict is passed on. Sites stay the model's own paths (``DictInputs.wrapped_model`` is where
``workbench.sites`` resolves them), and ``groups()`` gives the fields as data-set groups, so
every perturbation index (SII, H², FIS, FISC) permutes or masks whole model inputs.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from workbench.errors import ModelError, ParameterError

__all__ = ["DictInputs"]

INPUT_DTYPES = {"long": torch.long, "float": torch.float32}


class DictInputs(nn.Module):
    """``model`` fed a dict of tensors cut from a (rows, features) matrix.

    Parameters
    ----------
    model : nn.Module
        Called as ``model(inputs)`` with ``inputs`` a dict name -> tensor.
    fields : mapping name -> column or list of columns
        The data set's column(s) of each model input; one column gives a (rows,) tensor,
        several a (rows, k) tensor.
    feature_names : sequence of str
        ``Dataset.feature_names``: the columns of the matrix, in order.
    dtypes : mapping name -> "long" or "float", optional
        Default "long" (codes for an embedding lookup).

    Example
    -------
    >>> wrapped = DictInputs(model, {"user": "user", "price": ["price"]}, data.feature_names,
    ...                      dtypes={"price": "float"})  # doctest: +SKIP
    >>> data = data.with_groups(wrapped.groups())  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        fields: Mapping[str, str | Sequence[str]],
        feature_names: Sequence[str],
        dtypes: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.wrapped_model = model
        names = list(feature_names)
        self.columns: dict[str, list[int]] = {}
        for field, cols in fields.items():
            cols = [cols] if isinstance(cols, str) else list(cols)
            for col in cols:
                if col not in names:
                    close = difflib.get_close_matches(col, names, n=3)
                    hint = f"; closest: {', '.join(close)}" if close else ""
                    raise ParameterError(f"fields[{field!r}]: no column {col!r} in the data{hint}")
            self.columns[field] = [names.index(c) for c in cols]
        self.column_names = {f: [names[i] for i in idx] for f, idx in self.columns.items()}
        self.n_features_in = len(names)  # the matrix it takes (read by wrap_model)
        dtypes = dict(dtypes or {})
        unknown = sorted(set(dtypes) - set(self.columns))
        if unknown or any(d not in INPUT_DTYPES for d in dtypes.values()):
            raise ParameterError(
                f"dtypes must map inputs {sorted(self.columns)} to 'long' or 'float', got {dtypes}"
            )
        self.dtypes = {f: INPUT_DTYPES[dtypes.get(f, "long")] for f in self.columns}

    def groups(self) -> dict[str, list[str]]:
        """The model inputs as data-set groups (``Dataset.with_groups``)."""
        return {field: list(cols) for field, cols in self.column_names.items()}

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        inputs = {}
        for field, idx in self.columns.items():
            part = X[:, idx[0]] if len(idx) == 1 else X[:, idx]  # (rows,) or (rows, k)
            inputs[field] = part.to(self.dtypes[field])
        try:
            return self.wrapped_model(inputs)
        except KeyError as error:
            raise ModelError(
                f"the model reads input {error.args[0]!r}, which the field specification does "
                f"not give (it gives {', '.join(self.columns)})"
            ) from None
