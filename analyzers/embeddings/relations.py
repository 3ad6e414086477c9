"""Structure between fields over the same data rows: CKA, subspace overlap, FM-style strength.

The inputs are the embeddings the fields take on N shared rows (X_f, N × d_f): the data-weighted
view, where a row's weight is how often it occurs. Only linear CKA survives orthogonal maps and
isotropic scaling of either field; the others are descriptive (``invariance``).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
import torch

from analyzers.embeddings._inputs import Tables, as_matrix, named
from analyzers.embeddings.invariance import invariance_of
from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

PAIR_COLUMNS = (
    "field_1",
    "field_2",
    "linear_cka",
    "subspace_overlap",
    "fm_strength",
    "centroid_cosine",
)


def linear_cka(X: object, Y: object) -> float:
    """Linear CKA of two representations of the same rows (Kornblith et al. 2019).

    CKA = ‖X̃ᵀỸ‖_F² / (‖X̃ᵀX̃‖_F ‖ỸᵀỸ‖_F) with column-centred X̃, Ỹ. It is 1 for a table and
    any orthogonal rotation or isotropic scaling of it, and near 0 for independent tables
    (with a positive bias of order d_x·d_y / rows).

    Parameters
    ----------
    X, Y : arrays (rows, d_x) and (rows, d_y)

    Returns
    -------
    float
        In [0, 1]; NaN when either side is constant.
    """
    x = as_matrix(X, "X", min_rows=2)
    y = as_matrix(Y, "Y", min_rows=2)
    if x.shape[0] != y.shape[0]:
        raise ParameterError(
            f"X has {x.shape[0]} rows but Y has {y.shape[0]}; CKA needs the same rows"
        )
    x = x - x.mean(0)
    y = y - y.mean(0)
    # Work with the smaller Gram matrices: ‖XᵀY‖_F etc. on (d, d), not (rows, rows).
    cross = (x.T @ y).square().sum()
    norm_x = (x.T @ x).square().sum().sqrt()
    norm_y = (y.T @ y).square().sum().sqrt()
    if norm_x <= 0 or norm_y <= 0:
        return math.nan
    return float(cross / (norm_x * norm_y))


def subspace_overlap(X: object, Y: object, k: int) -> float:
    """Mean cos² of the principal angles between the top-k principal directions of X and Y.

    ‖V_Xᵀ V_Y‖_F² / k with V the top-k right singular vectors of the centred matrices. Needs
    equal dimensions (both live in one coordinate system).
    """
    x = as_matrix(X, "X", min_rows=2)
    y = as_matrix(Y, "Y", min_rows=2)
    if x.shape[1] != y.shape[1]:
        raise ParameterError(
            f"subspace overlap needs equal dims, got {x.shape[1]} and {y.shape[1]}"
        )
    k = min(int(k), x.shape[1], x.shape[0], y.shape[0])
    if k < 1:
        raise ParameterError(f"k must be >= 1, got {k!r}")
    directions_x = torch.linalg.svd(x - x.mean(0), full_matrices=False).Vh[:k]
    directions_y = torch.linalg.svd(y - y.mean(0), full_matrices=False).Vh[:k]
    return float((directions_x @ directions_y.T).square().sum() / k)


@dataclass(frozen=True, eq=False)
class FieldRelations(Result):
    """Pairwise structure between fields over the same rows.

    Attributes
    ----------
    field_names : tuple of str
    n_rows : int
        Rows the measures were computed over.
    settings : dict
        top_k (subspace overlap).
    pairs : DataFrame
        One row per unordered pair of distinct fields: the columns of ``PAIR_COLUMNS``
        (``fm_strength`` = E|⟨e_f, e_g⟩|, ``subspace_overlap`` and ``centroid_cosine`` NaN when
        the fields' dims differ).
    measure_invariance : dict
    model_names : tuple of str
        Empty: the embeddings are given, not a model.
    seconds : float
    diagnostics : tuple of Diagnostic
    """

    kind: ClassVar[str] = "field_relations"

    field_names: tuple[str, ...]
    n_rows: int
    settings: dict[str, Any]
    pairs: pd.DataFrame
    measure_invariance: dict[str, str] = field(
        default_factory=lambda: invariance_of(
            "linear_cka", "subspace_overlap", "fm_strength", "centroid_cosine"
        )
    )
    model_names: tuple[str, ...] = ()
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per unordered pair of fields: the columns of ``PAIR_COLUMNS``."""
        return self.pairs

    def matrix(self, measure: str = "linear_cka") -> pd.DataFrame:
        """A symmetric field × field frame of one measure (CKA and overlap 1 on the diagonal)."""
        if measure not in PAIR_COLUMNS[2:]:
            raise ParameterError(f"measure must be one of {PAIR_COLUMNS[2:]}, got {measure!r}")
        names = list(self.field_names)
        diagonal = (
            1.0 if measure in ("linear_cka", "subspace_overlap", "centroid_cosine") else math.nan
        )
        frame = pd.DataFrame(math.nan, index=names, columns=names)
        for name in names:
            frame.loc[name, name] = diagonal
        for row in self.pairs.itertuples(index=False):
            value = getattr(row, measure)
            frame.loc[row.field_1, row.field_2] = value
            frame.loc[row.field_2, row.field_1] = value
        return frame


def field_relations(
    embeddings: Tables | torch.Tensor,
    *,
    field_names: Sequence[str] | None = None,
    top_k: int = 4,
) -> FieldRelations:
    """CKA, subspace overlap, FM-style strength and centroid cosine for every pair of fields.

    Parameters
    ----------
    embeddings : (rows, fields, dim) tensor, or mapping / sequence of (rows, dim_f) arrays
        The embedding each field takes on the same data rows.
    field_names : sequence of str, optional
        Names of the fields (default ``field_0``, ...).
    top_k : int
        Principal directions compared by the subspace overlap.

    Returns
    -------
    FieldRelations

    Example
    -------
    >>> relations = field_relations(torch.randn(500, 3, 8), field_names=["a", "b", "c"])
    >>> relations.matrix("linear_cka").shape
    (3, 3)
    """
    start = time.perf_counter()
    if torch.is_tensor(embeddings) and embeddings.ndim == 3:
        embeddings = list(embeddings.unbind(1))
    named_embeddings = named(embeddings, field_names, "embeddings")
    matrices = {
        name: as_matrix(value, f"embeddings of field {name!r}", min_rows=2)
        for name, value in named_embeddings.items()
    }
    rows = {m.shape[0] for m in matrices.values()}
    if len(rows) != 1:
        raise ParameterError(f"every field needs the same rows; got row counts {sorted(rows)}")
    if int(top_k) < 1:
        raise ParameterError(f"top_k must be >= 1, got {top_k!r}")
    pairs = []
    for (name_f, x_f), (name_g, x_g) in itertools.combinations(matrices.items(), 2):
        same_dim = x_f.shape[1] == x_g.shape[1]
        pairs.append(
            {
                "field_1": name_f,
                "field_2": name_g,
                "linear_cka": linear_cka(x_f, x_g),
                "subspace_overlap": subspace_overlap(x_f, x_g, top_k) if same_dim else math.nan,
                "fm_strength": float((x_f * x_g).sum(1).abs().mean()) if same_dim else math.nan,
                "centroid_cosine": _centroid_cosine(x_f, x_g) if same_dim else math.nan,
            }
        )
    return FieldRelations(
        field_names=tuple(matrices),
        n_rows=rows.pop(),
        settings={"top_k": int(top_k)},
        pairs=pd.DataFrame(pairs, columns=list(PAIR_COLUMNS)),
        seconds=time.perf_counter() - start,
    )


def _centroid_cosine(x: torch.Tensor, y: torch.Tensor) -> float:
    mean_x, mean_y = x.mean(0), y.mean(0)
    denominator = mean_x.norm() * mean_y.norm()
    return math.nan if denominator <= 0 else float(mean_x @ mean_y / denominator)
