"""Synthetic click data: Zipf-distributed fields with planted pairwise and 3-way field
interactions (``synthetic_ctr``), and what was planted (``PlantedInteractions``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.data import Dataset
from workbench.errors import ParameterError
from workbench.zoo.field_coding import coded_dataset


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
    data = coded_dataset(X, y, names, levels, "click", ("0", "1"))
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
