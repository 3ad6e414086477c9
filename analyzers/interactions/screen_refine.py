"""Screen every pair cheaply, then run the precise estimator on the top-k and the ambiguous ones.

For hundreds of groups the precise FIS of all p(p-1)/2 pairs runs the model on
p(p-1)/2 · n_permutations · rows perturbed rows (the kernel batches many pairs per forward
pass, so the rows are the cost). ``screen_and_refine`` ranks all pairs with a
cheap screen that reports an error per pair, then refines only the top-k pairs and every pair
whose screen interval reaches the k-th pair's interval (the ones the screen cannot rule out).

Why the screen is few-permutation FIS on row subsamples, repeated:

- The coalition-value kernel behind H² and the Shapley indices codes coalitions as int64
  bitmasks, so it stops at 62 groups: neither one-vs-all H² nor sampled SII runs on 200 groups.
- Sampled SII's standard error is that of the signed mean over rows, while pairs are ranked by
  mean |value|: a centred product x_i x_k has a signed mean near 0, so the error bar would not
  be the error of the ranked number.
- FIS runs through ``SubsetLossKernel`` at any group count, and its permutations depend only on
  (seed, group), so the precise FIS of a few pairs (``interaction_fis``, the full computation's
  own function) is bit-identical to the same pairs of the full computation: refining a subset
  changes no refined number.

Each screen replicate is one ``score_interactions(index="fis")`` call with one permutation per
group on a seeded subsample of the rows, with its own seed. Replicates are independent draws of
the same estimator, so the spread across them covers both permutation and row-sampling noise
(subsampling without replacement makes it, if anything, conservative as an error of the
full-row value); the interval is mean ± t(confidence, replicates - 1) × standard error, wide
with few replicates as it should be.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analyzers.interactions import frames
from analyzers.interactions.permutation_fis import interaction_fis
from analyzers.interactions.score import _as_adapter, _row_positions, score_interactions
from analyzers.result import Diagnostic
from analyzers.screen_refine_result import ScreenRefineResult
from workbench.errors import ParameterError
from workbench.kernels.subset_losses import SubsetLossKernel

SCREENS = ("fis",)
REFINE_INDICES = ("fis",)


def screen_and_refine(
    model: Any,
    dataset,
    *,
    screen: str = "fis",
    refine_index: str = "fis",
    top_k: int = 20,
    rows: int | np.ndarray | list[int] | None = None,
    screen_rows: int = 256,
    screen_replicates: int = 4,
    screen_permutations: int = 1,
    confidence: float = 0.95,
    max_refined: int = 200,
    approximator: str = "auto",
    n_permutations: int = 30,
    random_state: int = 0,
    model_name: str = "model",
    max_batch_rows: int | None = None,
    device: str = "auto",
) -> ScreenRefineResult:
    """Rank every pair of groups by a cheap screen, then compute ``refine_index`` precisely on
    the top ``top_k`` and on every pair whose screen interval overlaps the k-th pair's.

    Parameters
    ----------
    model : ModelAdapter, torch module, fitted scikit-learn estimator or callable
        Anything ``score_interactions`` takes.
    dataset : Dataset
        Rows, groups and the target (FIS is defined on the loss).
    screen : {"fis"}
        Few-permutation FIS on row subsamples, repeated (see the module docstring).
    refine_index : {"fis"}
        Precise index on the refined pairs; its values equal ``score_interactions(model,
        dataset, index=refine_index, rows=rows, approximator=approximator,
        n_permutations=n_permutations, random_state=random_state)`` on those pairs.
    top_k : int
        Pairs wanted.
    rows : int, sequence of int or None
        Rows of the refine (as ``score_interactions``'s ``rows``; None: all).
    screen_rows : int
        Rows of each screen replicate, a seeded subsample of the refine rows.
    screen_replicates : int
        Independent screen replicates (>= 2): their spread is the screen's error.
    screen_permutations : int
        Permutations per group in each screen replicate.
    confidence : float
        Coverage of the screen intervals (Student t over the replicates).
    max_refined : int
        At most this many pairs (never fewer than ``top_k``) are refined, by screen rank, when
        the boundary is ambiguous.
    approximator, n_permutations, random_state, model_name, max_batch_rows, device
        As in ``score_interactions`` (for the refine; the screen uses permutations).

    Returns
    -------
    ScreenRefineResult

    Examples
    --------
    >>> result = screen_and_refine(adapter, data, top_k=10, screen_rows=128)  # doctest: +SKIP
    >>> result.top(5)  # doctest: +SKIP
    """
    _check(screen, refine_index, top_k, screen_rows, screen_replicates, confidence, max_refined)
    if dataset.n_groups < 2:
        raise ParameterError(f"dataset: pairs need at least 2 groups, it has {dataset.n_groups}")
    start = time.perf_counter()
    adapter = _as_adapter(model, dataset, device)
    generator = np.random.default_rng(random_state)
    positions = _row_positions(rows, dataset.n_rows, dataset.n_rows, generator, "rows")
    explained = dataset.subset(positions)
    combos = list(itertools.combinations(range(dataset.n_groups), 2))
    labels = frames.pair_labels(dataset.group_names, range(2, 3))
    table = _screen_table(
        adapter,
        explained,
        labels,
        screen_rows=screen_rows,
        replicates=screen_replicates,
        permutations=screen_permutations,
        confidence=confidence,
        random_state=random_state,
        max_batch_rows=max_batch_rows,
    )
    screen_seconds = time.perf_counter() - start
    chosen, overlaps = _refine_set(table, min(top_k, len(combos)), max_refined)
    refine_start = time.perf_counter()
    values = _refined_fis(
        adapter,
        explained,
        [combos[i] for i in chosen],
        approximator=approximator,
        n_permutations=n_permutations,
        random_state=random_state,
        max_batch_rows=max_batch_rows,
    )
    table["refined"] = False
    table["refined_value"] = np.nan
    table.loc[chosen, "refined"] = True
    table.loc[chosen, "refined_value"] = values
    table = table.sort_values("screen_rank", kind="stable").reset_index(drop=True)
    settings = {
        "rows": positions.tolist(),
        "screen_rows": min(screen_rows, len(positions)),
        "screen_replicates": screen_replicates,
        "screen_permutations": screen_permutations,
        "confidence": confidence,
        "max_refined": max_refined,
        "approximator": approximator,
        "n_permutations": n_permutations,
        "seed": random_state,
        "loss": adapter.loss.name,
        "n_refined": len(chosen),
        "n_boundary_overlaps": overlaps,
        "screen_seconds": screen_seconds,
        "refine_seconds": time.perf_counter() - refine_start,
    }
    return ScreenRefineResult(
        model_names=(model_name,),
        screen=screen,
        refine_index=refine_index,
        group_names=dataset.group_names,
        pairs=table,
        top_k=top_k,
        settings=settings,
        seconds=time.perf_counter() - start,
        diagnostics=_diagnostics(table, top_k, overlaps, len(chosen), max_refined, confidence),
    )


def _check(screen, refine_index, top_k, screen_rows, replicates, confidence, max_refined) -> None:
    if screen not in SCREENS:
        raise ParameterError(f"screen must be one of {SCREENS}, got {screen!r}")
    if refine_index not in REFINE_INDICES:
        raise ParameterError(
            f"refine_index must be one of {REFINE_INDICES}, got {refine_index!r} (the Shapley "
            "indices and H² stop at 62 groups, and a subset of sampled SII is not the same draw)"
        )
    for name, value, least in (
        ("top_k", top_k, 1),
        ("screen_rows", screen_rows, 2),
        ("screen_replicates", replicates, 2),
        ("max_refined", max_refined, 1),
    ):
        if not isinstance(value, int | np.integer) or value < least:
            raise ParameterError(f"{name} must be an integer >= {least}, got {value!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")


def _screen_table(
    adapter,
    explained,
    labels: list[str],
    *,
    screen_rows: int,
    replicates: int,
    permutations: int,
    confidence: float,
    random_state: int,
    max_batch_rows: int | None,
) -> pd.DataFrame:
    """pair, screen value, standard error, interval of |value| and rank, in pair order."""
    draws = np.stack(
        [
            score_interactions(
                adapter,
                explained,
                index="fis",
                rows=screen_rows,
                approximator="permutation",
                n_permutations=permutations,
                # Seeds apart from the refine's, so no replicate reuses its permutations.
                random_state=random_state + 1 + b,
                max_batch_rows=max_batch_rows,
            )
            .scores["value"]
            .to_numpy(dtype=float)
            for b in range(replicates)
        ]
    )  # (replicates, pairs)
    mean = draws.mean(axis=0)
    error = draws.std(axis=0, ddof=1) / np.sqrt(replicates)
    half = float(stats.t.ppf(0.5 + confidence / 2, replicates - 1)) * error
    strength = np.abs(mean)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(-strength, kind="stable")] = np.arange(1, len(labels) + 1)
    return pd.DataFrame(
        {
            "pair": labels,
            "screen_value": mean,
            "screen_standard_error": error,
            "screen_low": np.maximum(strength - half, 0.0),
            "screen_high": strength + half,
            "screen_rank": rank,
        }
    )


def _refine_set(table: pd.DataFrame, k: int, max_refined: int) -> tuple[list[int], int]:
    """Positions of the pairs to refine (by screen rank) and how many below rank k overlap the
    k-th pair's interval."""
    boundary_low = float(table.loc[table["screen_rank"] == k, "screen_low"].iloc[0])
    top = table["screen_rank"] <= k
    overlapping = ~top & (table["screen_high"] >= boundary_low)
    chosen = table.index[top | overlapping]
    chosen = table.loc[chosen].sort_values("screen_rank").index[: max(max_refined, k)]
    return sorted(int(i) for i in chosen), int(overlapping.sum())


def _refined_fis(
    adapter,
    explained,
    pairs: list[tuple[int, int]],
    *,
    approximator: str,
    n_permutations: int,
    random_state: int,
    max_batch_rows: int | None,
) -> np.ndarray:
    """FIS of the given pairs through ``permutation_fis``'s own ``interaction_fis`` on a kernel of
    the same settings, so each value equals the full computation's for that pair."""
    kernel = SubsetLossKernel(
        adapter,
        explained,
        estimator=approximator,
        n_permutations=n_permutations,
        max_batch_rows=max_batch_rows,
        seed=random_state,
    )
    return interaction_fis(kernel, pairs)


def _diagnostics(
    table: pd.DataFrame,
    top_k: int,
    overlaps: int,
    n_refined: int,
    max_refined: int,
    confidence: float,
) -> tuple[Diagnostic, ...]:
    found = []
    if overlaps > top_k:
        capped = n_refined < top_k + overlaps
        found.append(
            Diagnostic(
                "ambiguous_boundary",
                f"{overlaps} pairs below rank {top_k} have screen intervals reaching the "
                f"{top_k}-th pair's, so the screen cannot separate them"
                + (f"; only the first {max_refined} by screen rank were refined" if capped else "")
                + ". More screen replicates or rows narrow the intervals.",
            )
        )
    # With many pairs some intervals exclude 0 by chance alone: (1 - confidence) of them.
    above = int((table["screen_low"] > 0).sum())
    by_chance = (1 - confidence) * len(table)
    if above <= by_chance:
        found.append(
            Diagnostic(
                "screen_found_nothing",
                f"{above} of {len(table)} pairs have a screen value above its error interval, "
                f"no more than chance gives at confidence {confidence} ({by_chance:.1f}): the "
                "screen cannot tell any interaction from noise, so the refined set is not a "
                "ranking of the strongest.",
            )
        )
    return tuple(found)
