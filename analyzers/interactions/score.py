"""One entry point for every interaction index of one model: ``score_interactions``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from analyzers.interaction_result import InteractionResult, canonical_index
from analyzers.interactions.diagnostics import interaction_diagnostics
from workbench.arguments import check_dataset
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.kernels.coalition_values import DEFAULT_PROBABILITY_CLIP
from workbench.models import ModelAdapter, wrap_model
from workbench.progress import ProgressCallback
from workbench.store import ResultStore

DEFAULT_ROWS = 100
DEFAULT_BACKGROUND = 50


@renamed_parameters(seed="random_state", order="max_order", estimator="approximator")
def score_interactions(
    model: Any,
    dataset,
    index: str = "sii",
    max_order: int = 2,
    *,
    rows: int | np.ndarray | list[int] | None = None,
    background: int | np.ndarray | torch.Tensor | None = DEFAULT_BACKGROUND,
    random_state: int = 0,
    model_name: str = "model",
    output: str | None = None,
    class_index: int | None = None,
    approximator: str = "auto",
    n_samples: int = 64,
    max_exact_groups: int = 14,
    n_permutations: int = 30,
    tree_value_function: str = "path_dependent",
    h2_scale: str = "pair",
    max_batch_rows: int | None = None,
    device: str = "auto",
    probability_clip: float = DEFAULT_PROBABILITY_CLIP,
    progress: ProgressCallback | None = None,
    executor: Any = None,
    chunk_size: int | None = None,
    checkpoint: str | Path | ResultStore | None = None,
) -> InteractionResult:
    """Score every pair (and, with ``max_order=3``, every triple) of groups of one model.

    Parameters
    ----------
    model : ModelAdapter, torch module, fitted scikit-learn estimator or callable
        Anything ``wrap_model`` takes (wrapped with the task inferred from the data). The
        "tree" index needs the fitted tree model itself (scikit-learn, xgboost, lightgbm).
    dataset : Dataset
        Rows and groups; "fis" also needs its target.
    index : {"sii", "stii", "ksii", "h2", "fis", "tree"}
        Case and hyphens are ignored, so shapiq's "SII", "STII", "k-SII" work too.

        - "sii", "stii", "ksii": Shapley interactions (Grabisch-Roubens SII, Shapley-Taylor,
          k-SII) of the interventional game v_x(S) = mean_b f(x_S, b_{-S}), per row.
        - "h2": Friedman's H² from centred partial dependence on the row sample (global).
        - "fis": permutation feature interaction score of the model itself, the FISC
          definition FIS_ij = φ_ij - φ_i - φ_j on the loss (global).
        - "tree": ``shap.TreeExplainer(...).shap_interaction_values`` on the SII scale.
    max_order : {2, 3}
        Highest interaction order: 2 scores pairs, 3 pairs and triples ("h2", "tree": 2 only).
    rows : int, sequence of int or None
        Rows to explain: a count (a seeded sample), positions in ``dataset``, or None:
        all rows for "fis", a seeded sample of 100 otherwise.
    background : int, array, Tensor or None
        Background rows of the interventional game of the Shapley indices: a count (a seeded
        sample of ``dataset``), a (rows, features) array, or None: 50 rows.
    random_state : int
        Seed of every sample (rows, background, coalitions, permutations).
    model_name : str
        Name stored in the result. None: the model's class name (its torch module's).
    output : {"logit", "probability", "value"} or None
        Output scale; None: logit for classifiers, value for regression. The logit of class c
        is its one-vs-rest log-odds log(p_c / (1 - p_c)), a function of the predicted
        probabilities alone (see ``CoalitionValueKernel``); for two classes, the binary logit.
    class_index : int or None
        Class explained for a multi-class model.
    approximator : str
        Shapley indices: "auto", "exact" or "sampling". "fis": "auto", "exact" or "permutation"
        (``SubsetLossKernel``).
    n_samples : int
        Sampled coalitions per interaction (Shapley sampling approximator).
    max_exact_groups : int
        "auto" enumerates all 2**p coalitions up to this many groups.
    n_permutations : int
        Permutations per group for "fis" with the permutation approximator.
    tree_value_function : {"path_dependent"}
        Value function of shap's TreeExplainer for "tree" (see ``tree_shap``).
    h2_scale : {"pair", "output"}
        "h2": Friedman's pair-scaled statistic, or the residual over the output's variance,
        which ranks pairs by size (see ``friedman_h``).
    max_batch_rows : int or None
        Model rows per forward pass; None sizes it from the device.
    device : str
        Device used when ``model`` has to be wrapped.
    probability_clip : float
        "sii", "stii", "ksii", "h2" on the logit scale of a model returning probabilities:
        probabilities are clipped into [probability_clip, 1 - probability_clip]. Recorded in
        ``settings`` with ``clipped_row_share``; a ``probability_clip_active`` diagnostic
        warns when many rows hit it.
    progress : callable(stage, done, total), optional
        "sii", "stii", "ksii": told as each batch of coalitions is evaluated, so a long job
        shows movement (other indices ignore it).
    executor : concurrent.futures.Executor, distributed.Client or None
        Exact "sii", "stii", "ksii": the explained rows are scored in chunks of ``chunk_size``
        (None: 256) on this executor (a ``distributed.Client`` runs them on its cluster).
        Other indices and approximators run in this process. None with no ``checkpoint``: one
        run here. The values are the same either way.
    chunk_size : int or None
        Explained rows per chunk.
    checkpoint : folder, ResultStore or None
        Finished chunks are stored here; a run started again with the same model, data and
        settings computes only the missing ones (progress stage "chunks reused").

    Returns
    -------
    InteractionResult
        With ``settings["rows"]`` (the explained rows) and ``diagnostics`` (see
        ``analyzers.interactions.diagnostics``).

    Examples
    --------
    >>> result = score_interactions(adapter, data, index="sii", rows=50, background=30)
    >>> result.global_scores().sort_values("value").tail(3)  # doctest: +SKIP
    """
    check_dataset(dataset)
    index = canonical_index(index)
    _check_max_order(index, max_order)
    name = _default_name(model) if model_name is None else model_name
    generator = np.random.default_rng(random_state)
    default_rows = dataset.n_rows if index == "fis" else DEFAULT_ROWS
    row_positions = _row_positions(rows, dataset.n_rows, default_rows, generator, "rows")
    if index == "tree":
        result = _tree(
            model, dataset, row_positions, name, tree_value_function, output, class_index
        )
    else:
        result = _model_agnostic(
            index,
            _as_adapter(model, dataset, device),
            dataset,
            row_positions,
            lambda: _background(background, dataset, generator),
            max_order=max_order,
            name=name,
            output=output,
            class_index=class_index,
            approximator=approximator,
            n_samples=n_samples,
            max_exact_groups=max_exact_groups,
            n_permutations=n_permutations,
            h2_scale=h2_scale,
            max_batch_rows=max_batch_rows,
            random_state=random_state,
            probability_clip=probability_clip,
            progress=progress,
            chunks={"executor": executor, "chunk_size": chunk_size, "checkpoint": checkpoint},
        )
    return _finished(result, row_positions)


def _check_max_order(index: str, max_order: int) -> None:
    if max_order not in (2, 3):
        raise ParameterError(f"max_order must be 2 or 3, got {max_order!r}")
    if max_order == 3 and index in ("h2", "tree"):
        raise ParameterError(f"index={index!r} scores pairs only; use max_order=2")


def _finished(result: InteractionResult, row_positions: np.ndarray) -> InteractionResult:
    """The result with its explained rows (so results of several models can be checked for the
    same rows) and its diagnostics."""
    result = replace(result, settings={**result.settings, "rows": row_positions.tolist()})
    return replace(result, diagnostics=interaction_diagnostics(result))


def _tree(model, dataset, row_positions, name, value_function, output, class_index):
    from analyzers.interactions import tree_shap

    return tree_shap.tree_interactions(
        model,
        dataset,
        row_positions,
        model_name=name,
        value_function=value_function,
        output=output,
        class_index=class_index,
    )


def _model_agnostic(
    index: str,
    adapter: ModelAdapter,
    dataset,
    row_positions: np.ndarray,
    background: Callable[[], torch.Tensor],
    *,
    max_order: int,
    name: str,
    output: str | None,
    class_index: int | None,
    approximator: str,
    n_samples: int,
    max_exact_groups: int,
    n_permutations: int,
    h2_scale: str,
    max_batch_rows: int | None,
    random_state: int,
    probability_clip: float,
    progress: ProgressCallback | None,
    chunks: dict[str, Any],
) -> InteractionResult:
    from analyzers.interactions import friedman_h, permutation_fis, shapley

    common = {"model_name": name, "max_batch_rows": max_batch_rows, "random_state": random_state}
    if index == "fis":
        return permutation_fis.permutation_fis(
            adapter,
            dataset.subset(row_positions),
            max_order=max_order,
            approximator=approximator,
            n_permutations=n_permutations,
            **common,
        )
    if index == "h2":
        return friedman_h.friedman_h2(
            adapter,
            dataset,
            row_positions,
            output=output,
            class_index=class_index,
            scale=h2_scale,
            probability_clip=probability_clip,
            **common,
        )
    return shapley.shapley_interactions(
        adapter,
        dataset,
        row_positions,
        background(),  # drawn only here, after the rows, from the same generator
        index=index,
        max_order=max_order,
        approximator=approximator,
        max_exact_groups=max_exact_groups,
        n_samples=n_samples,
        output=output,
        class_index=class_index,
        probability_clip=probability_clip,
        progress=progress,
        **chunks,
        **common,
    )


def _default_name(model: Any) -> str:
    """The class name of the model (of the module inside an adapter, when it has one)."""
    if isinstance(model, ModelAdapter):
        return type(model.module).__name__ if model.module is not None else "model"
    return type(model).__name__


def _as_adapter(model: Any, dataset, device: str) -> ModelAdapter:
    if isinstance(model, ModelAdapter):
        return model
    from workbench.models.boosters import is_booster
    from workbench.samples import infer_task

    if is_booster(model):  # its objective says the task
        return wrap_model(model, device=device)
    task = infer_task(dataset) if dataset.y is not None else "regression"
    return wrap_model(model, task=task, device=device)


def _row_positions(
    rows: Any, n_rows: int, default: int, generator: np.random.Generator, argument: str
) -> np.ndarray:
    """Positions of the chosen rows: a seeded sample for a count, the given ones otherwise."""
    if rows is None or isinstance(rows, int | np.integer):
        count = default if rows is None else int(rows)
        if count < 1:
            raise ParameterError(f"{argument} must be >= 1, got {rows!r}")
        if count >= n_rows:
            return np.arange(n_rows)
        return np.sort(generator.choice(n_rows, size=count, replace=False))
    positions = np.asarray(rows).reshape(-1)
    if positions.size == 0 or positions.dtype.kind not in "iu":
        raise ParameterError(f"{argument} must be a count or integer row positions")
    if positions.min() < 0 or positions.max() >= n_rows:
        raise ParameterError(f"{argument}: positions must be in 0..{n_rows - 1}")
    return positions.astype(np.int64)


def _background(background: Any, dataset, generator: np.random.Generator) -> torch.Tensor:
    """(rows, features) float32 background: a seeded sample of the data, or the rows given."""
    if background is None or isinstance(background, int | np.integer):
        count = DEFAULT_BACKGROUND if background is None else background
        positions = _row_positions(count, dataset.n_rows, count, generator, "background")
        return dataset.X[torch.as_tensor(positions)]
    values = getattr(background, "X", background)  # a Dataset carries its rows as .X
    tensor = torch.as_tensor(np.asarray(values, dtype=np.float32))
    if tensor.ndim != 2 or tensor.shape[1] != dataset.n_features or tensor.shape[0] < 1:
        raise ParameterError(
            f"background must be a count or (rows, {dataset.n_features}) values, "
            f"got shape {tuple(tensor.shape)}"
        )
    finite = torch.isfinite(tensor)
    if not bool(finite.all()):  # else the model is blamed for the NaN outputs it then gives
        row, column = (int(i) for i in torch.nonzero(~finite)[0])
        raise ParameterError(
            f"background: NaN or infinite value at row {row}, column "
            f"{dataset.feature_names[column]!r}; pass finite values"
        )
    return tensor
