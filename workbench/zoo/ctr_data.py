"""CTR-style data sets: every field one column of integer codes, one group per field.

``adult_fields`` turns UCI Adult into 14 categorical fields (numeric ones bucketised by
quantiles); ``synthetic_ctr`` draws Zipf-distributed fields with planted pairwise and 3-way
field interactions. Both return a ``Dataset`` whose ``code_levels`` give each field's level labels,
so a model's vocabulary follows from the data (``field_vocab``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from workbench.data import Dataset
from workbench.errors import DataError, ParameterError
from workbench.grouping import resolve_groups

__all__ = [
    "ADULT_CATEGORICAL",
    "ADULT_NUMERIC",
    "PlantedInteractions",
    "adult_fields",
    "field_levels",
    "field_vocab",
    "fields_from_frame",
    "synthetic_ctr",
]

ADULT_CATEGORICAL = (
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "gender",
    "native-country",
)
ADULT_NUMERIC = (
    "age",
    "fnlwgt",
    "educational-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
ADULT_TARGET = "income"
ADULT_FILE = "adult.csv.gz"


def field_vocab(dataset: Dataset) -> tuple[int, ...]:
    """Number of levels of each feature column of a codes data set (from ``code_levels``).

    Example
    -------
    >>> field_vocab(adult_fields())[:3]
    (10, 9, 9)
    """
    missing = [name for name in dataset.feature_names if name not in dataset.code_levels]
    if missing:
        raise DataError(
            f"column {missing[0]!r} has no code levels; build the data with adult_fields, "
            "synthetic_ctr or Dataset.from_frame(..., categorical='codes')"
        )
    return tuple(len(dataset.code_levels[name]) for name in dataset.feature_names)


def field_levels(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Level labels per field, in code order."""
    field_vocab(dataset)
    return {name: dataset.code_levels[name] for name in dataset.feature_names}


def adult_fields(path: str | Path | None = None, *, n_buckets: int = 10) -> Dataset:
    """UCI Adult as 14 coded fields: 8 categorical, 6 numeric bucketised by quantiles.

    Parameters
    ----------
    path : str or Path, optional
        The CSV (``adult.csv.gz`` layout); default the copy in ``sample_data/``.
    n_buckets : int
        Quantile buckets per numeric field; fewer when quantiles coincide (capital-gain is
        mostly 0).

    Returns
    -------
    Dataset
        Features in the file's column order, one group per field, codes as float32; "?" is a
        level of its own; target ``income`` with classes ("<=50K", ">50K").

    Example
    -------
    >>> data = adult_fields()
    >>> data.n_rows, data.n_groups, data.code_levels["workclass"][0]
    (48842, 14, '?')
    """
    from workbench.samples import sample_data_path

    source = sample_data_path(ADULT_FILE) if path is None else Path(path)
    if not source.is_file():
        raise DataError(f"path={str(source)!r} is not a file")
    frame = pd.read_csv(source)
    expected = (*ADULT_CATEGORICAL, *ADULT_NUMERIC, ADULT_TARGET)
    absent = [c for c in expected if c not in frame.columns]
    if absent:
        raise DataError(f"{source.name}: missing Adult columns {absent}")
    # The Adult test file writes ">50K." for ">50K".
    frame[ADULT_TARGET] = frame[ADULT_TARGET].astype(str).str.strip().str.rstrip(".")
    features = [c for c in frame.columns if c in expected and c != ADULT_TARGET]
    return fields_from_frame(
        frame[[*features, ADULT_TARGET]],
        ADULT_TARGET,
        positive=">50K",
        numeric=ADULT_NUMERIC,
        n_buckets=n_buckets,
    )


def fields_from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    positive: str | None = None,
    numeric: Sequence[str] | None = None,
    n_buckets: int = 10,
) -> Dataset:
    """Any table as coded CTR fields: numeric columns bucketised, the others one level per value.

    Parameters
    ----------
    frame : DataFrame
    target : str
        A 0/1 column, or a column with two values (``positive`` names the clicked one; default
        the second in sorted order).
    positive : str, optional
    numeric : sequence of str, optional
        Columns to bucketise; default every numeric column with more than ``n_buckets`` values.
    n_buckets : int
        Quantile buckets per numeric field; fewer when quantiles coincide, and a value held by
        more than 1/n_buckets of the rows gets a bucket of its own (capital-gain 0).

    Returns
    -------
    Dataset
        One float column of codes and one group per field; ``code_levels`` labels the codes.
    """
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, int) or n_buckets < 2:
        raise ParameterError(f"n_buckets must be an integer >= 2, got {n_buckets!r}")
    if target not in frame.columns:
        raise DataError(f"target={target!r} is not a column; columns: {list(frame.columns)[:8]}")
    names = tuple(str(c) for c in frame.columns if c != target)
    if not names:
        raise DataError("the table has no feature columns besides the target")
    if numeric is None:
        numeric = [
            c
            for c in names
            if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > n_buckets
        ]
    columns, levels = [], {}
    for name in names:
        if frame[name].isna().any():
            raise DataError(f"feature {name!r} has missing values; encode them as a level")
        if name in numeric:
            codes, labels = _quantile_buckets(frame[name].to_numpy(dtype=np.float64), n_buckets)
        else:
            codes, labels = _category_codes(frame[name].astype(str).str.strip().to_numpy())
        columns.append(codes)
        levels[name] = labels
    y, classes = _binary_target(frame[target], positive, target)
    X = np.stack(columns, axis=1).astype(np.float32)  # (rows, fields)
    return _coded_dataset(X, y, names, levels, str(target), classes)


def _binary_target(
    series: pd.Series, positive: str | None, name: str
) -> tuple[np.ndarray, tuple[str, str]]:
    values = series.astype(str).str.strip()
    distinct = sorted(set(values))
    if positive is None:
        if len(distinct) != 2:
            raise DataError(f"target {name!r} must have two values, got {distinct[:5]}")
        positive = distinct[1]
    if str(positive) not in distinct or len(distinct) > 2:
        raise DataError(f"target {name!r} must take {positive!r} and one other value")
    negative = next((v for v in distinct if v != str(positive)), "other")
    return (values.to_numpy() == str(positive)).astype(np.float32), (negative, str(positive))


def _quantile_buckets(values: np.ndarray, n_buckets: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of quantile buckets, labelled by the observed value range of each bucket.

    A value held by more than 1/n_buckets of the rows (capital-gain 0, 40 hours a week) gets a
    bucket of its own, so a zero-inflated field keeps its informative tail.
    """
    distinct, counts = np.unique(values, return_counts=True)
    heavy = np.flatnonzero(counts > values.size / n_buckets)
    rest = values[~np.isin(values, distinct[heavy])]
    edges: set[float] = set()
    if rest.size:
        quantiles = np.linspace(0, 1, max(2, n_buckets - heavy.size) + 1)[1:-1]
        edges.update(np.quantile(rest, quantiles).tolist())
    for position in heavy:
        edges.add(float(distinct[position]))
        if position + 1 < distinct.size:
            edges.add(float(distinct[position + 1]))
    cuts = np.array(sorted(e for e in edges if e > distinct[0]))
    codes = np.searchsorted(cuts, values, side="right")  # bucket k: cuts[k-1] <= v < cuts[k]
    used = np.unique(codes)
    codes = np.searchsorted(used, codes)  # renumber, so no bucket is empty
    labels = []
    for k in range(used.size):
        inside = values[codes == k]
        low, high = inside.min(), inside.max()
        labels.append(f"{low:g}" if low == high else f"{low:g}-{high:g}")
    return codes, tuple(labels)


def _category_codes(values: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    labels = tuple(sorted(set(values.tolist())))
    lookup = {label: i for i, label in enumerate(labels)}
    return np.array([lookup[v] for v in values], dtype=np.int64), labels


def _coded_dataset(
    X: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    levels: dict[str, tuple[str, ...]],
    target: str,
    classes: tuple[str, ...],
) -> Dataset:
    return Dataset(
        X=torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)),
        y=torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
        feature_names=names,
        groups=resolve_groups(None, names, ()),
        target_name=target,
        target_classes=classes,
        code_levels=levels,
    )


# --------------------------------------------------------------------------- synthetic CTR


@dataclass(frozen=True)
class PlantedInteractions:
    """What ``synthetic_ctr`` planted, to check analyses against.

    Attributes
    ----------
    pairs : tuple of (str, str)
        Field pairs with a pure pairwise term strength·s_a(x_a)·s_b(x_b).
    triples : tuple of (str, str, str)
        Field triples with a term strength·[s_a > 0]·[s_b > 0]·[s_c > 0] (an AND: a 3-way
        interaction with lower-order parts).
    main_fields : tuple of str
        Fields with an additive effect.
    pair_strength_logit, triple_strength_logit, main_strength_logit : float
        Coefficients of those terms on the logit scale (signs s are ±1 per level).
    oracle_auc, oracle_log_loss : float
        AUC and log-loss of the true click probability on the drawn labels: the best any model
        can do on this draw.
    """

    pairs: tuple[tuple[str, str], ...]
    triples: tuple[tuple[str, str, str], ...]
    main_fields: tuple[str, ...]
    pair_strength_logit: float
    triple_strength_logit: float
    main_strength_logit: float
    oracle_auc: float
    oracle_log_loss: float

    def to_dict(self) -> dict:
        return {
            "pairs": [list(p) for p in self.pairs],
            "triples": [list(t) for t in self.triples],
            "main_fields": list(self.main_fields),
            "pair_strength_logit": self.pair_strength_logit,
            "triple_strength_logit": self.triple_strength_logit,
            "main_strength_logit": self.main_strength_logit,
            "oracle_auc": self.oracle_auc,
            "oracle_log_loss": self.oracle_log_loss,
        }

    @classmethod
    def from_dict(cls, d: dict) -> PlantedInteractions:
        return cls(
            pairs=tuple(tuple(p) for p in d["pairs"]),
            triples=tuple(tuple(t) for t in d["triples"]),
            main_fields=tuple(d["main_fields"]),
            pair_strength_logit=float(d["pair_strength_logit"]),
            triple_strength_logit=float(d["triple_strength_logit"]),
            main_strength_logit=float(d["main_strength_logit"]),
            oracle_auc=float(d["oracle_auc"]),
            oracle_log_loss=float(d["oracle_log_loss"]),
        )


def synthetic_ctr(
    n_rows: int = 20_000,
    n_fields: int = 8,
    seed: int = 0,
    *,
    vocab_sizes: Sequence[int] | None = None,
    zipf_exponent: float = 1.1,
    pairs: Sequence[tuple[int, int]] = ((0, 1),),
    triples: Sequence[tuple[int, int, int]] = ((2, 3, 4),),
    main_fields: Sequence[int] = (5, 6),
    pair_strength: float = 1.5,
    triple_strength: float = 1.5,
    main_strength: float = 0.5,
    base_rate: float = 0.25,
) -> tuple[Dataset, PlantedInteractions]:
    """Click data with Zipf-distributed fields and planted field interactions.

    Each level of a planted field gets a random sign s(level) ∈ {-1, +1}, balanced over the
    field's traffic, and the click logit is

        logit = b + main·Σ_{main f} s_f + pair·Σ_{(a,b)} s_a s_b
                  + triple·Σ_{(a,b,c)} [s_a > 0][s_b > 0][s_c > 0]

    so each pair term is a pure interaction (no additive part on balanced signs) and each
    triple term an AND of three fields. Fields in none of the terms are noise.

    Parameters
    ----------
    n_rows, n_fields, seed : int
    vocab_sizes : sequence of int, optional
        Levels per field; default cycles through 5, 20, 50, 200.
    zipf_exponent : float
        P(level k) ∝ (k + 1)^-exponent.
    pairs, triples, main_fields : field positions of the planted terms.
    pair_strength, triple_strength, main_strength : float
        Logit coefficients.
    base_rate : float
        Click rate the intercept b aims at (before the other terms).

    Returns
    -------
    (Dataset, PlantedInteractions)
        Fields ``f0, f1, ...`` with levels ``f0=0, ...``; target ``click`` (classes "0", "1").

    Example
    -------
    >>> data, planted = synthetic_ctr(n_rows=5000, seed=1)
    >>> planted.pairs
    (('f0', 'f1'),)
    """
    for name, value, low in (("n_rows", n_rows, 10), ("n_fields", n_fields, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0 < base_rate < 1:
        raise ParameterError(f"base_rate must be in (0, 1), got {base_rate!r}")
    if vocab_sizes is None:
        vocab = tuple((5, 20, 50, 200)[f % 4] for f in range(n_fields))
    else:
        vocab = tuple(int(v) for v in vocab_sizes)
        if len(vocab) != n_fields or min(vocab) < 2:
            raise ParameterError(
                f"vocab_sizes needs {n_fields} sizes >= 2, got {list(vocab_sizes)}"
            )
    used = [f for term in (*pairs, *triples) for f in term] + list(main_fields)
    if any(not 0 <= f < n_fields for f in used):
        raise ParameterError(f"pairs/triples/main_fields name fields outside 0..{n_fields - 1}")
    rng = np.random.default_rng(seed)
    codes, signs = [], []
    for size in vocab:
        p = (np.arange(size) + 1.0) ** -float(zipf_exponent)
        p /= p.sum()
        codes.append(rng.choice(size, size=n_rows, p=p))
        signs.append(_balanced_signs(p, rng))
    s = np.stack([signs[f][codes[f]] for f in range(n_fields)], axis=1)  # (rows, fields) ±1
    logit = np.full(n_rows, np.log(base_rate / (1 - base_rate)))
    logit += main_strength * s[:, list(main_fields)].sum(axis=1) if main_fields else 0.0
    for a, b in pairs:
        logit += pair_strength * s[:, a] * s[:, b]
    for a, b, c in triples:
        # An AND of the three signs: a 3-way term (with lower-order parts) that gradient training
        # can find; a pure 3-way parity s_a·s_b·s_c gives no signal until all three are learnt.
        logit += triple_strength * (s[:, a] > 0) * (s[:, b] > 0) * (s[:, c] > 0)
    probability = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random(n_rows) < probability).astype(np.float32)
    names = tuple(f"f{f}" for f in range(n_fields))
    levels = {
        name: tuple(f"{name}={k}" for k in range(v)) for name, v in zip(names, vocab, strict=True)
    }
    X = np.stack(codes, axis=1).astype(np.float32)  # (rows, fields)
    data = _coded_dataset(X, y, names, levels, "click", ("0", "1"))
    planted = PlantedInteractions(
        pairs=tuple((names[a], names[b]) for a, b in pairs),
        triples=tuple((names[a], names[b], names[c]) for a, b, c in triples),
        main_fields=tuple(names[f] for f in main_fields),
        pair_strength_logit=float(pair_strength),
        triple_strength_logit=float(triple_strength),
        main_strength_logit=float(main_strength),
        oracle_auc=_auc(probability, y),
        oracle_log_loss=_log_loss(probability, y),
    )
    return data, planted


def _balanced_signs(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """±1 per level with the traffic-weighted mean near 0: levels are taken in order of
    frequency and each joins the side with less mass so far (a random side on ties)."""
    signs = np.empty(p.size)
    mass = {1.0: 0.0, -1.0: 0.0}
    for level in np.argsort(-p, kind="stable"):
        if mass[1.0] == mass[-1.0]:
            side = 1.0 if rng.random() < 0.5 else -1.0
        else:
            side = 1.0 if mass[1.0] < mass[-1.0] else -1.0
        signs[level] = side
        mass[side] += p[level]
    return signs


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def _log_loss(probability: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(probability, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
