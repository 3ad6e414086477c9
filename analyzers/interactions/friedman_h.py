"""Friedman's H² statistics from partial dependence computed on the coalition-value kernel.

On a row sample x_1..x_n, the partial dependence of groups S at row r is

    PD_S(x_r) = (1/n) sum_b f(x_{r,S}, x_{b,-S}),

which is exactly the interventional coalition value v_{x_r}(S) with the sample itself as the
background: the n×n grid of every pair is one batch of kernel variants. With every PD centred
over the sample (Friedman & Popescu 2008):

- pairwise  H²_jk = sum_r (PD_jk - PD_j - PD_k)² / sum_r PD_jk²  (``scale="pair"``),
  or over the output's variance, sum_r (PD_jk - PD_j - PD_k)² / sum_r f²  (``scale="output"``),
- one-vs-all H²_j = sum_r (f - PD_j - PD_{-j})² / sum_r f²,
- and as a main effect, the share of the output variance in PD_j: sum_r PD_j² / sum_r f².

Friedman's pair-scaled H² divides by the pair's own PD variance, so a pair of weak groups (a rare
one-hot level, say) can score near or above 1 from a tiny residual: it says how much of that
pair's effect is interaction, not how large the interaction is. The output-scaled statistic
ranks interactions by size and stays in [0, 1] for independent groups. A pair whose joint PD
carries no variance (below 1e-10 of the output's: rounding noise, where the ratio is
meaningless) scores 0, as does a constant function.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from analyzers.interaction_result import InteractionResult
from analyzers.interactions import frames
from analyzers.interactions.shapley import scale_settings
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.kernels.coalition_values import DEFAULT_PROBABILITY_CLIP, CoalitionValueKernel

_RELATIVE_FLOOR = 1e-10
H2_SCALES = ("pair", "output")


@renamed_parameters(seed="random_state")
def friedman_h2(
    adapter,
    dataset,
    rows: np.ndarray,
    *,
    model_name: str,
    output: str | None = None,
    class_index: int | None = None,
    max_batch_rows: int | None = None,
    scale: str = "pair",
    random_state: int = 0,
    probability_clip: float = DEFAULT_PROBABILITY_CLIP,
) -> InteractionResult:
    """Pairwise H² of every pair of groups, one-vs-all H² and PD variance shares per group.

    Parameters
    ----------
    adapter : ModelAdapter
    dataset : Dataset
    rows : ndarray
        Positions of the row sample (both the grid and the averaging rows); cost grows as
        len(rows)² × (p + p(p-1)/2 + p + 1) model rows.
    model_name : str
    output, class_index, max_batch_rows, probability_clip
        See ``CoalitionValueKernel``.
    scale : {"pair", "output"}
        Denominator of the pairwise statistic (see the module docstring).
    random_state : int
        Recorded only: the sample was drawn by the caller.

    Returns
    -------
    InteractionResult
        Global pair scores (H²_jk); main effects: PD variance share of each group;
        ``settings["one_vs_all"]``: {group: H²_j}.
    """
    if scale not in H2_SCALES:
        raise ParameterError(f"h2_scale must be one of {H2_SCALES}, got {scale!r}")
    start = time.perf_counter()
    names = dataset.group_names
    p = len(names)
    sample = dataset.X[torch.as_tensor(rows, dtype=torch.int64)]  # (n, features)
    kernel = CoalitionValueKernel(
        adapter,
        [g.columns for g in dataset.groups],
        sample,
        output=output,
        class_index=class_index,
        max_batch_rows=max_batch_rows,
        probability_clip=probability_clip,
    )
    pairs = list(itertools.combinations(range(p), 2))
    full = (1 << p) - 1
    singles = [1 << g for g in range(p)]
    coalitions = [*singles, *[(1 << j) | (1 << k) for j, k in pairs], *[full ^ s for s in singles]]
    coalitions.append(full)
    pd_values = kernel.values(sample, torch.tensor(coalitions, dtype=torch.int64)).numpy()
    h2_pairs, one_vs_all, pd_share = _statistics(pd_values, p, pairs, scale)
    labels = frames.pair_labels(names, range(2, 3))
    settings = {
        "estimator": "partial_dependence",
        "value_function": "interventional",
        "output": kernel.output,
        "class_index": kernel.class_index,
        **scale_settings(kernel, sample),
        "order": 2,
        "h2_scale": scale,
        "n_rows": len(rows),
        "seed": random_state,
        "model_rows_evaluated": kernel.rows_evaluated,
        "main_effect": "pd_variance_share",
        "one_vs_all": {name: float(v) for name, v in zip(names, one_vs_all, strict=True)},
    }
    return InteractionResult(
        model_names=(model_name,),
        index="h2",
        group_names=names,
        scores=frames.global_scores(model_name, "h2", labels, h2_pairs),
        main_effects=frames.main_effect_frame(model_name, "h2", names, pd_share),
        settings=settings,
        seconds=time.perf_counter() - start,
    )


def _statistics(
    pd_values: np.ndarray, p: int, pairs: list[tuple[int, int]], scale: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise H², one-vs-all H² and PD variance shares from the (n, coalitions) PD values
    of the singles, the pairs, all-but-one and all groups, in that order."""
    pd_values = pd_values - pd_values.mean(axis=0, keepdims=True)  # centred over the sample
    single = pd_values[:, :p]  # (n, p)
    pair = pd_values[:, p : p + len(pairs)]  # (n, pairs)
    rest = pd_values[:, p + len(pairs) : 2 * p + len(pairs)]  # (n, p): PD of all but j
    prediction = pd_values[:, -1]  # (n,)
    j_index = np.array([j for j, _ in pairs], dtype=np.int64)
    k_index = np.array([k for _, k in pairs], dtype=np.int64)
    residual = pair - single[:, j_index] - single[:, k_index]
    total = float((prediction**2).sum())
    floor = _RELATIVE_FLOOR * total
    denominator = (pair**2).sum(0) if scale == "pair" else np.full(len(pairs), total)
    h2_pairs = _ratio((residual**2).sum(0), denominator, floor)
    one_vs_all = _ratio(
        ((prediction[:, None] - single - rest) ** 2).sum(0), np.full(p, total), floor
    )
    pd_share = _ratio((single**2).sum(0), np.full(p, total), floor)
    return h2_pairs, one_vs_all, pd_share


def _ratio(numerator: np.ndarray, denominator: np.ndarray, floor: float) -> np.ndarray:
    usable = denominator > floor
    return np.where(usable, numerator / np.where(usable, denominator, 1.0), 0.0)
