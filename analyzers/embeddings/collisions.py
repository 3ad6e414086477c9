"""Collisions in a shared hashed table: which features share rows, how much traffic they carry.

A shared ("unified") table of B buckets is multiplexed across fields: level v of field f reads
row h(f, v). Two features collide when they read the same row. A collision between levels of
one field is *intra*-field, with a level of another field *inter*-field. Rates are weighted by
traffic (how often a feature occurs in the data), and set against uniform hashing, under which a
given feature shares its bucket with at least one of k other features with probability
1 − (1 − 1/B)^k. These are properties of the hash and the data, not of the learned values, so
they hold for any parametrisation of the table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from analyzers.embeddings._inputs import named
from analyzers.embeddings.invariance import invariance_of
from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError


def expected_collision_rate(n_others: int | np.ndarray, n_buckets: int) -> float | np.ndarray:
    """P(a feature shares its bucket with at least one of ``n_others`` features), uniform hash."""
    return 1.0 - (1.0 - 1.0 / n_buckets) ** np.asarray(n_others, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class HashCollisions(Result):
    """Bucket load and traffic, collision rates and purity of a shared hashed table.

    Attributes
    ----------
    n_buckets : int
        Rows of the shared table.
    summary : dict
        n_features, used_buckets, traffic-weighted collision rates over all features
        (intra_collision_rate, inter_collision_rate, collision_rate), the uniform-hashing
        expectation of the last (expected_collision_rate = 1 − (1 − 1/B)^(N−1)) and the
        traffic-weighted mean bucket purity.
    fields : DataFrame
        One row per field: field, n_features, traffic, intra/inter/any collision rates
        (traffic-weighted) with their unweighted ``share_*`` counterparts and the expectations
        ``expected_intra`` = 1 − (1 − 1/B)^(n_f − 1), ``expected_inter`` = 1 − (1 − 1/B)^(N − n_f),
        ``expected_any`` = 1 − (1 − 1/B)^(N − 1).
    buckets : DataFrame
        One row per used bucket: bucket, load (distinct features), traffic, n_fields,
        top_field (most traffic), purity (top field's share of the traffic).
    features : DataFrame
        One row per feature: field, level, bucket, count, intra_collision, inter_collision.
    measure_invariance : dict
    settings : dict
        n_buckets and whether counts weighted the rates.
    model_names : tuple of str
        Empty: the buckets are given, not a model.
    seconds : float
    diagnostics : tuple of Diagnostic
    """

    kind: ClassVar[str] = "hash_collisions"

    n_buckets: int
    summary: dict[str, float]
    fields: pd.DataFrame
    buckets: pd.DataFrame
    features: pd.DataFrame
    measure_invariance: dict[str, str] = field(default_factory=lambda: invariance_of("collisions"))
    settings: dict[str, Any] = field(default_factory=dict)
    model_names: tuple[str, ...] = ()
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per field: its collision rates against uniform hashing."""
        return self.fields


def hash_collisions(
    buckets: Mapping[str, object] | Sequence[object],
    n_buckets: int,
    *,
    counts: Mapping[str, object] | Sequence[object] | None = None,
    field_names: Sequence[str] | None = None,
) -> HashCollisions:
    """Load, traffic, collision rates and purity of a shared table.

    Parameters
    ----------
    buckets : mapping of field name to (levels,) int array, or a sequence of them
        The bucket each level of each field reads (``FieldEmbedding.row_index``).
    n_buckets : int
        Rows of the shared table (B).
    counts : mapping or sequence of (levels,) arrays, optional
        Occurrences of each level in the data. Only levels that occur count as features, and
        rates are weighted by these counts. Without counts every level is a feature of weight 1.
    field_names : sequence of str, optional
        Names for a sequence of bucket arrays.

    Returns
    -------
    HashCollisions

    Example
    -------
    >>> result = hash_collisions({"a": [0, 1, 1], "b": [2, 0]}, n_buckets=4)
    >>> result.summary["collision_rate"]
    0.8
    """
    start = time.perf_counter()
    if int(n_buckets) < 1:
        raise ParameterError(f"n_buckets must be >= 1, got {n_buckets!r}")
    n_buckets = int(n_buckets)
    named_buckets = named(buckets, field_names, "buckets")
    named_counts = None if counts is None else named(counts, list(named_buckets), "counts")
    features = _feature_frame(named_buckets, named_counts, n_buckets)
    if features.empty:
        raise ParameterError("no level occurs in the data (all counts are 0)")
    names = list(named_buckets)
    field_id = features["field"].map({n: i for i, n in enumerate(names)}).to_numpy()
    bucket = features["bucket"].to_numpy()
    traffic = features["count"].to_numpy(dtype=np.float64)
    # (buckets, fields) features and traffic: per-field occupancy decides intra vs inter.
    cell = bucket * len(names) + field_id
    load_cell = np.bincount(cell, minlength=n_buckets * len(names)).reshape(n_buckets, -1)
    traffic_cell = np.bincount(cell, traffic, minlength=n_buckets * len(names)).reshape(
        n_buckets, -1
    )
    same_field = load_cell[bucket, field_id]
    other_fields = load_cell[bucket].sum(1) - same_field
    features["intra_collision"] = same_field >= 2
    features["inter_collision"] = other_fields >= 1
    fields = _field_frame(features, names, n_buckets)
    bucket_frame = _bucket_frame(load_cell, traffic_cell, names)
    any_collision = (features["intra_collision"] | features["inter_collision"]).to_numpy()
    total = traffic.sum()
    n_features = len(features)
    summary = {
        "n_features": int(n_features),
        "used_buckets": len(bucket_frame),
        "intra_collision_rate": float(traffic @ features["intra_collision"].to_numpy() / total),
        "inter_collision_rate": float(traffic @ features["inter_collision"].to_numpy() / total),
        "collision_rate": float(traffic @ any_collision / total),
        "expected_collision_rate": float(expected_collision_rate(n_features - 1, n_buckets)),
        "mean_purity": float(
            bucket_frame["traffic"] @ bucket_frame["purity"] / bucket_frame["traffic"].sum()
        ),
    }
    return HashCollisions(
        n_buckets,
        summary,
        fields,
        bucket_frame,
        features,
        settings={"n_buckets": n_buckets, "weighted_by_counts": counts is not None},
        seconds=time.perf_counter() - start,
    )


def _feature_frame(
    named_buckets: dict[str, object], named_counts: dict[str, object] | None, n_buckets: int
) -> pd.DataFrame:
    parts = []
    for name, raw in named_buckets.items():
        index = np.asarray(raw)
        if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
            raise ParameterError(f"buckets of field {name!r} must be a 1-D integer array")
        if index.size and (index.min() < 0 or index.max() >= n_buckets):
            raise ParameterError(f"buckets of field {name!r} must lie in [0, {n_buckets})")
        count = (
            np.ones(index.size)
            if named_counts is None
            else np.asarray(named_counts[name], dtype=np.float64)
        )
        if count.shape != index.shape or (count < 0).any() or not np.isfinite(count).all():
            raise ParameterError(
                f"counts of field {name!r} must be {index.size} finite values >= 0"
            )
        level = np.arange(index.size)
        occurs = count > 0
        parts.append(
            pd.DataFrame(
                {
                    "field": name,
                    "level": level[occurs],
                    "bucket": index[occurs].astype(np.int64),
                    "count": count[occurs],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _field_frame(features: pd.DataFrame, names: list[str], n_buckets: int) -> pd.DataFrame:
    n_total = len(features)
    rows = []
    for name in names:
        own = features[features["field"] == name]
        n_own = len(own)
        weight = own["count"].to_numpy()
        intra = own["intra_collision"].to_numpy()
        inter = own["inter_collision"].to_numpy()
        either = intra | inter
        traffic = weight.sum()
        rows.append(
            {
                "field": name,
                "n_features": n_own,
                "traffic": float(traffic),
                "intra_collision_rate": float(weight @ intra / traffic) if traffic else np.nan,
                "inter_collision_rate": float(weight @ inter / traffic) if traffic else np.nan,
                "collision_rate": float(weight @ either / traffic) if traffic else np.nan,
                "share_intra": float(intra.mean()) if n_own else np.nan,
                "share_inter": float(inter.mean()) if n_own else np.nan,
                "share_any": float(either.mean()) if n_own else np.nan,
                "expected_intra": float(expected_collision_rate(max(n_own - 1, 0), n_buckets)),
                "expected_inter": float(expected_collision_rate(n_total - n_own, n_buckets)),
                "expected_any": float(expected_collision_rate(n_total - 1, n_buckets)),
            }
        )
    return pd.DataFrame(rows)


def _bucket_frame(
    load_cell: np.ndarray, traffic_cell: np.ndarray, names: list[str]
) -> pd.DataFrame:
    load = load_cell.sum(1)
    used = np.flatnonzero(load)
    traffic = traffic_cell[used].sum(1)
    top = traffic_cell[used].argmax(1)
    top_traffic = traffic_cell[used, top]
    return pd.DataFrame(
        {
            "bucket": used.astype(np.int64),
            "load": load[used].astype(np.int64),
            "traffic": traffic,
            "n_fields": (load_cell[used] > 0).sum(1).astype(np.int64),
            "top_field": [names[i] for i in top],
            "purity": np.divide(top_traffic, traffic, out=np.ones_like(traffic), where=traffic > 0),
        }
    )
