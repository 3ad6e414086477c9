"""``explore_model_set``: any interaction index over any model set, with its consensus."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyzers.interaction_result import InteractionResult, canonical_index
from analyzers.interactions import score_interactions
from analyzers.interactions.score import DEFAULT_BACKGROUND, DEFAULT_ROWS
from analyzers.model_sets import consensus
from analyzers.model_sets.cost import SHAPLEY_INDICES, row_count, shapley_plan
from analyzers.model_sets.diagnostics import (
    model_set_diagnostics,
    sampling_diagnostics,
    sampling_errors,
)
from analyzers.model_sets.model_set import ModelSet, RashomonSetBuilder
from analyzers.model_sets.result import ModelSetResult
from workbench.chunk_runs import checkpoint_for, run_chunks
from workbench.errors import ParameterError
from workbench.kernels import CoalitionValueKernel
from workbench.progress import ProgressCallback
from workbench.store import ResultStore

SCORING_STAGE = "scoring members"


def explore_model_set(
    model_set: ModelSet | RashomonSetBuilder,
    dataset,
    index: str = "sii",
    *,
    epsilon_rate: float | None = 0.1,
    epsilon: float | None = None,
    top_k: int = 3,
    rows: int | np.ndarray | list[int] | None = None,
    background: int | None = DEFAULT_BACKGROUND,
    random_state: int = 0,
    output: str | None = None,
    class_index: int | None = None,
    approximator: str = "auto",
    n_samples: int = 64,
    max_exact_groups: int = 14,
    max_coalitions: int = 16_384,
    n_permutations: int = 30,
    collapse_tolerance: float = 1e-6,
    max_batch_rows: int | None = None,
    progress: ProgressCallback | None = None,
    executor: Any = None,
    checkpoint: str | Path | ResultStore | None = None,
) -> ModelSetResult:
    """Score the pair interactions of every in-set member; report ranges and consensus.

    Parameters
    ----------
    model_set : ModelSet or builder
        A built set, or a builder (``RetrainedSetBuilder``, ``FittedSetBuilder``,
        ``DropoutSetBuilder``) built here on
        ``dataset`` with ``epsilon_rate`` / ``epsilon``.
    dataset : Dataset
        Explained rows with their target: members' losses and interactions are computed here.
    index : {"sii", "stii", "ksii", "h2", "fis", "tree"}
        Any index of ``score_interactions`` ("tree" needs members that are fitted trees).
    epsilon_rate, epsilon : float or None
        ε as in FISC (``explore_rashomon``): relative to L*, or absolute (wins when given).
        Used only when ``model_set`` is a builder.
    top_k : int
        A pair is in the robust top-k when it ranks within ``top_k`` in every in-set member.
    rows, background, random_state, output, class_index, approximator, n_samples,
    max_exact_groups, n_permutations
        As in ``score_interactions``; every member gets the same rows, background and seed, so
        differences come from the models, not the draws (a sampled index draws the same
        coalitions for every member).
    max_coalitions : int
        "sii", "stii", "ksii" with ``approximator="auto"``: coalitions per explained row a
        member may cost. Exact while ``2**groups`` fits; beyond, sampled with as many draws per
        interaction (at most ``n_samples``) as fit (``cost.shapley_plan``, whose
        ``text()`` states the cost). The settings hold the plan; a ``sampled_shapley``
        diagnostic gives the sampling error.
    collapse_tolerance : float
        In-set members whose outputs differ by at most this on every explained row are one
        model (the ``collapsed_model_set`` diagnostic).
    max_batch_rows : int or None
        Rows per forward pass; None sizes it from the device.
    progress : callable, optional
        ``progress(stage, done, total)``: the builder's stages, then "scoring members" (or
        "chunks reused" and "chunks" when members are scored as chunks).
    executor : concurrent.futures.Executor, distributed.Client or None
        Where the in-set members are scored, one member per work unit (``score_interactions``
        on the worker). None with no ``checkpoint``: one after the other in this process. The
        result is the same either way.
    checkpoint : folder, ResultStore or None
        Each member's scores are stored as they finish; a run started again with the same
        members, data and settings scores only the members it lacks.

    Returns
    -------
    ModelSetResult

    Examples
    --------
    >>> builder = RetrainedSetBuilder(GradientBoostingClassifier(), train, n_bootstrap=8)
    >>> result = explore_model_set(builder, test, index="h2", epsilon_rate=0.05)
    >>> result.robust_top_k(), result.rank_swings(3)
    """
    started = time.perf_counter()
    index = canonical_index(index)
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ParameterError(f"top_k must be a positive integer, got {top_k!r}")
    if not isinstance(model_set, ModelSet):
        model_set = model_set.build(
            dataset, epsilon_rate=epsilon_rate, epsilon=epsilon, progress=progress
        )
    members = model_set.in_set
    scoring = {
        "index": index,
        "rows": rows,
        "background": background,
        "random_state": random_state,
        "output": output,
        "class_index": class_index,
        "approximator": approximator,
        "n_samples": n_samples,
        "max_exact_groups": max_exact_groups,
        "n_permutations": n_permutations,
        "max_batch_rows": max_batch_rows,
    }
    plan = None
    if index in SHAPLEY_INDICES:
        plan = set_plan(dataset, index, rows, background, len(members), scoring, max_coalitions)
        scoring |= {"approximator": plan.approximator, "n_samples": plan.n_samples or n_samples}
    if executor is None and checkpoint is None:
        scored = _score_here(members, dataset, scoring, progress)
    else:
        scored = _score_in_chunks(members, dataset, scoring, executor, checkpoint, progress)
    clouds = _clouds(scored)
    pairs = _pair_order(scored, dataset)
    strengths = _strength_matrix(clouds, [m.name for m in members], pairs)  # (members, pairs)
    ranges = _ranges(clouds, strengths, pairs, top_k)
    if plan is not None and plan.approximator == "sampling":
        ranges["sampling_error"] = ranges["pair"].map(sampling_errors(scored))
    spread = _prediction_spread(members, dataset, scored, output, class_index, max_batch_rows)
    settings = {
        "builder_settings": model_set.settings,
        "epsilon_rate": epsilon_rate,
        "top_k": int(top_k),
        "rows": scored[0].settings.get("rows") if scored else None,
        "random_state": int(random_state),
        "approximator": approximator,
        "max_coalitions": int(max_coalitions),
        "shapley_plan": plan.text() if plan else None,
        "collapse_tolerance": float(collapse_tolerance),
        # what compare_models checks, so a set's range is never set against another data set's
        "dataset_fingerprint": dataset.fingerprint(),
    }
    return ModelSetResult(
        model_names=tuple(m.name for m in model_set.members),
        index=index,
        builder=model_set.builder,
        group_names=tuple(dataset.group_names),
        members=model_set.to_frame(),
        clouds=clouds,
        ranges=ranges.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True),
        order_shares=consensus.order_shares(strengths, pairs),
        hasse=consensus.hasse_edges(strengths, pairs),
        reference_loss=model_set.reference_loss,
        epsilon=model_set.epsilon,
        top_k=int(top_k),
        settings=settings,
        seconds=time.perf_counter() - started,
        diagnostics=model_set_diagnostics(
            len(model_set.members), len(members), spread, collapse_tolerance
        )
        + sampling_diagnostics(plan, scored),
    )


def set_plan(dataset, index, rows, background, n_members, scoring, max_coalitions):
    """The ``ShapleyPlan`` of scoring ``n_members`` members of a set on ``dataset``."""
    return shapley_plan(
        index,
        dataset.n_groups,
        n_rows=row_count(rows, dataset.n_rows, DEFAULT_ROWS),
        n_background=row_count(background, dataset.n_rows, DEFAULT_BACKGROUND),
        n_members=n_members,
        approximator=scoring["approximator"],
        n_samples=scoring["n_samples"],
        max_coalitions=max_coalitions,
    )


def _score_here(members, dataset, scoring: dict, progress) -> list:
    """Every member's scores, one after the other in this process."""
    scored = []
    for done, member in enumerate(members):
        if progress is not None:
            progress(SCORING_STAGE, done, len(members))
        model = _scored_model(member, scoring)
        batches = _member_progress(progress, done, len(members))
        scored.append(
            score_interactions(model, dataset, model_name=member.name, progress=batches, **scoring)
        )
    if progress is not None:
        progress(SCORING_STAGE, len(members), len(members))
    return scored


def _member_progress(progress, member: int, n_members: int):
    """The member's own progress (a Shapley index: per batch of coalitions) as a stage that
    names the member, so a long member shows "k / n" batches, not a frozen "0 / 8"."""
    if progress is None:
        return None
    stage = f"member {member + 1} of {n_members}"
    return lambda inner, done, total: progress(f"{stage}: {inner}", done, total)


def _score_in_chunks(members, dataset, scoring: dict, executor, checkpoint, progress) -> list:
    """Every member's scores as one work unit each (``workbench.chunk_runs``)."""
    prints = [m.adapter.fingerprint() for m in members]
    chunks = [
        (f"{m.name}:{fingerprint}", (_scored_model(m, scoring), m.name))
        for m, fingerprint in zip(members, prints, strict=True)
    ]
    key = {k: v for k, v in scoring.items() if k != "max_batch_rows"}  # how, not what
    if isinstance(key["rows"], np.ndarray):
        key["rows"] = key["rows"].tolist()
    stored = checkpoint_for(
        checkpoint,
        "model_set",
        hashlib.sha256("".join(prints).encode()).hexdigest(),
        dataset.fingerprint(),
        key,
    )
    outputs = run_chunks(
        scored_member,
        chunks,
        executor=executor,
        checkpoint=stored,
        progress=progress,
        shared=(dataset, scoring),
    )
    return [InteractionResult.from_dict(output) for output in outputs]


def scored_member(dataset, scoring: dict, model, name: str) -> dict:
    """Work unit: ``score_interactions`` of one member, as JSON."""
    return score_interactions(model, dataset, model_name=name, **scoring).to_dict()


def _scored_model(member, scoring: dict) -> Any:
    return member.adapter if scoring["index"] != "tree" else _tree_of(member)


def _tree_of(member) -> Any:
    if member.estimator is None:
        raise ParameterError(
            f"index='tree' needs fitted tree models; member {member.name!r} is a wrapped adapter"
        )
    return member.estimator


def _clouds(scored: list) -> pd.DataFrame:
    """member, pair, strength, value: one row per in-set member and pair."""
    pieces = []
    for result in scored:
        strength = result.global_scores("mean_abs")
        signed = result.global_scores("mean")
        pieces.append(
            pd.DataFrame(
                {
                    "member": result.model_name,
                    "pair": strength["pair"].astype(object),
                    "strength": strength["value"].to_numpy(dtype=float),
                    "value": signed["value"].to_numpy(dtype=float),
                }
            )
        )
    if not pieces:
        return pd.DataFrame({"member": [], "pair": [], "strength": [], "value": []}).astype(
            {"member": object, "pair": object}
        )
    return pd.concat(pieces, ignore_index=True)


def _pair_order(scored: list, dataset) -> list[str]:
    if scored:
        return list(scored[0].pairs)
    from analyzers.interactions.frames import pair_labels

    return pair_labels(tuple(dataset.group_names), range(2, 3))


def _strength_matrix(clouds: pd.DataFrame, members: list[str], pairs: list[str]) -> np.ndarray:
    """(members, pairs) strength of each pair in each in-set member."""
    if not members:
        return np.zeros((0, len(pairs)))
    table = clouds.pivot(index="member", columns="pair", values="strength")
    return table.loc[members, pairs].to_numpy(dtype=float)


def _ranges(clouds, strengths: np.ndarray, pairs: list[str], top_k: int) -> pd.DataFrame:
    """pair, n_members, min, max, mean, range of strength, then the rank columns."""
    stats = pd.DataFrame(
        {
            "pair": pairs,
            "n_members": strengths.shape[0],
            "min": strengths.min(axis=0) if len(strengths) else np.nan,
            "max": strengths.max(axis=0) if len(strengths) else np.nan,
            "mean": strengths.mean(axis=0) if len(strengths) else np.nan,
        }
    )
    stats["range"] = stats["max"] - stats["min"]
    ranks = consensus.rank_table(strengths, pairs, top_k)
    return stats.merge(ranks, on="pair", how="left", validate="one_to_one")


def _prediction_spread(members, dataset, scored, output, class_index, max_batch_rows):
    """Largest output difference between in-set members on the explained rows (None: < 2)."""
    if len(members) < 2:
        return None
    positions = np.asarray(scored[0].settings["rows"], dtype=np.int64)
    explained = dataset.X[positions]
    columns = [g.columns for g in dataset.groups]
    outputs = np.stack(
        [
            CoalitionValueKernel(
                m.adapter,
                columns,
                explained[:1],
                output=output,
                class_index=class_index,
                max_batch_rows=max_batch_rows,
            )
            .outputs_on_scale(explained)
            .numpy()
            for m in members
        ]
    )  # (members, rows)
    return float((outputs.max(axis=0) - outputs.min(axis=0)).max())
