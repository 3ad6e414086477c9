"""Rashomon-set exploration: the cloud of feature interaction scores (FISC).

Li, Wang, Deng & Barnard, "Exploring the cloud of feature interaction scores in a Rashomon set"
(ICLR 2024); definitions and the reference code's bugs in ``shared/docs/fisc.md``. The model
class is input scaling, f_m(x) = f*(m ⊙ x) with one mask entry per group. For every group and
direction a greedy search finds the masks m^σ_i(t) whose single-group loss increase stays within
t·ε; joint models of a pair (triple) split the ε budget between its groups (9 splits × 4 sign
quadrants per pair, 36 × 8 per triple), and the FIS of each joint model is computed on that same
model: FIS_I(f) = φ_I(f) − Σ_{i∈I} φ_i(f).

Every loss goes through ``workbench.kernels.SubsetLossKernel``; this module only decides which
variants to evaluate and assembles the result. Parameter checks live in
``rashomon_parameters``, the boundary search in ``boundary_search``, the clouds of the sampled
models in ``rashomon_clouds``, their tables in ``rashomon_frames``, the diagnostics in
``rashomon_diagnostics`` (all in ``analyzers``).
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from analyzers.boundary_search import search_boundaries
from analyzers.rashomon_chunks import (
    DEFAULT_CHUNK_INTERACTIONS,
    chunked_subset_losses,
    kernel_settings,
)
from analyzers.rashomon_clouds import (
    Boundaries,
    ExplorationContext,
    interaction_clouds,
    joint_models,
    main_effect_cloud,
    single_group_models,
)
from analyzers.rashomon_diagnostics import rashomon_diagnostics
from analyzers.rashomon_parameters import (
    check_approximator,
    check_radii,
    choose_interactions,
    grid_units,
    resolve_epsilon,
    select_groups,
)
from analyzers.rashomon_result import RashomonResult, interaction_label
from workbench.arguments import check_adapter, check_dataset, check_positive_real, check_seed
from workbench.chunk_runs import check_chunk_size, check_executor, checkpoint_for
from workbench.deprecation import renamed_parameters
from workbench.kernels import SubsetLossKernel
from workbench.progress import ProgressCallback
from workbench.store import ResultStore


@renamed_parameters(seed="random_state", estimator="approximator")
def explore_rashomon(
    model,
    dataset,
    *,
    epsilon_rate: float | None = 0.1,
    epsilon: float | None = None,
    order: int = 2,
    interactions: Sequence[Sequence[str]] | None = None,
    groups: Sequence[str] | None = None,
    approximator: str = "auto",
    n_permutations: int = 30,
    permutation: str = "independent",
    delta: float = 0.1,
    radii: Sequence[float] = (1.0,),
    absolute: bool = False,
    drop_tolerance: float = 1e-9,
    initial_step: float = 0.1,
    n_refinements: int = 4,
    stall_patience: int = 20,
    max_mask_distance: float = 1e3,
    max_batch_rows: int | None = None,
    random_state: int = 0,
    model_name: str = "model",
    progress: ProgressCallback | None = None,
    executor: Any = None,
    chunk_size: int | None = None,
    checkpoint: str | Path | ResultStore | None = None,
) -> RashomonResult:
    """Sample the Rashomon set of a model and compute the FIS cloud of its interactions.

    Parameters
    ----------
    model : ModelAdapter
        The reference model f* (from ``workbench.wrap_model``).
    dataset : Dataset or DistinctRows
        Explanation rows with their target; ``dataset.groups`` are the units masked together.
        Data too large to load: ``DistinctRows.from_parquet`` reads it in chunks, keeping
        distinct rows and counts only (approximator "exact", or "auto" on few-level groups).
    epsilon_rate : float or None
        ε relative to the reference loss: ε = epsilon_rate · L*. Ignored when ``epsilon`` is set.
        0.1, the reference package's default, everywhere (API, CLI and app).
    epsilon : float or None
        Absolute ε (needed when L* = 0, e.g. MSE on noise-free data).
    order : {2, 3}
        The one interaction order analysed when ``interactions`` is not given: all pairs, or all
        triples (and then no pairs). Not shapiq's ``max_order``, which scores every order up to
        it; to analyse pairs and triples together, list them in ``interactions``.
    interactions : list of tuples of group names, optional
        Explicit pairs/triples to analyse (orders may mix).
    groups : list of str, optional
        Restrict the analysis to these groups (the others keep mask 1 and are never replaced).
    approximator : {"auto", "exact", "permutation"}
        How permutation effects are estimated (see ``workbench.kernels``); formerly
        ``estimator``.
    n_permutations : int
        Shuffles per group for the permutation approximator (the reference code uses 30).
    permutation : {"independent", "joint"}
        One permutation per replaced group, or one shared by all groups of an interaction.
    delta : float
        Spacing of the boundary grid t ∈ {0, δ, ..., 1}; 1/δ must be a whole number.
    radii : sequence of float
        Rings at r·ε; joint models are built for each ring. 1.0 is the Rashomon boundary.
    absolute : bool
        Report |FIS| (the paper-era convention) instead of the signed score.
    drop_tolerance : float
        Groups with |φ_i| ≤ drop_tolerance · L* are insensitive: dropped, never searched.
    initial_step, n_refinements, stall_patience, max_mask_distance
        Greedy-search settings (Algorithm 1: 0.1 and 4; guards against flat losses).
    max_batch_rows : int or None
        Rows per forward pass; None sizes it from the device.
    random_state : int
        Seed of the permutations (formerly ``seed``).
    model_name : str
        Name of the model in the result's ``model_names``.
    progress : callable, optional
        ``progress(stage, done, total)`` for stages "reference", "search", "main effects",
        "interactions" (and "chunks reused", "chunks" when run in chunks).
    executor : concurrent.futures.Executor, distributed.Client or None
        Where the joint models of the interactions are evaluated, in chunks of ``chunk_size``
        interactions (``analyzers.rashomon_chunks``); None with no ``checkpoint``: all in this
        process, as one run. The result is the same either way, for any chunking.
    chunk_size : int or None
        Interactions per chunk (None: 32, as many as one kernel call takes in process).
    checkpoint : folder, ResultStore or None
        Every finished chunk is stored here; a run started again with the same model, data and
        settings reads them back and computes only the missing chunks.

    Returns
    -------
    RashomonResult
        ``diagnostics`` flags dropped groups, a flat model class and interactions with no
        sampled model inside the set.

    Examples
    --------
    >>> result = explore_rashomon(model, ds, epsilon_rate=0.1, order=2, approximator="exact")
    >>> result.summary().sort_values("range", ascending=False).head()
    """
    started = time.perf_counter()
    check_adapter(model)
    check_dataset(dataset, distinct_rows=True)
    check_seed(random_state)
    if epsilon is not None:
        check_positive_real(epsilon, "epsilon")
    else:
        check_positive_real(epsilon_rate, "epsilon_rate")  # before the reference loss is paid for
    units = grid_units(delta)
    radii = check_radii(radii)
    check_executor(executor)
    chunk_size = check_chunk_size(chunk_size, DEFAULT_CHUNK_INTERACTIONS)
    kernel = SubsetLossKernel(
        model,
        dataset,
        estimator=check_approximator(approximator),
        n_permutations=n_permutations,
        permutation=permutation,
        max_batch_rows=max_batch_rows,
        seed=random_state,
    )
    names = list(dataset.group_names)
    selected = select_groups(names, groups)
    report = progress or _no_progress
    report("reference", 0, 1)
    reference = _reference_model(kernel, names, selected, epsilon_rate, epsilon, drop_tolerance)
    wanted, skipped = choose_interactions(
        names, reference.kept, reference.dropped, order, interactions
    )
    report("reference", 1, 1)
    context = ExplorationContext(
        kernel, len(names), names, reference.loss, reference.epsilon, radii, units, absolute, report
    )
    walk = dict(
        initial_step=initial_step,
        n_refinements=n_refinements,
        stall_patience=stall_patience,
        max_mask_distance=max_mask_distance,
    )
    boundaries = _search(context, reference.kept, walk)
    main_effects = main_effect_cloud(context, reference.kept, boundaries)
    requested = {
        "epsilon_rate": None if epsilon is not None else epsilon_rate,
        "epsilon": epsilon,
        "order": order,
        "approximator": approximator,
        "n_permutations": n_permutations,
        "permutation": permutation,
        "delta": delta,
        "radii": list(radii),
        "absolute": absolute,
        "drop_tolerance": drop_tolerance,
        **walk,
        "random_state": random_state,
    }
    rows_evaluated = 0
    if executor is None and checkpoint is None:
        reference_fis, fis_cloud = interaction_clouds(context, wanted, boundaries)
    else:
        losses, rows_evaluated = chunked_subset_losses(
            context,
            wanted,
            boundaries,
            model=model,
            dataset=dataset,
            settings=kernel_settings(kernel, max_batch_rows),
            chunk_size=chunk_size,
            executor=executor,
            checkpoint=checkpoint_for(
                checkpoint,
                "rashomon",
                model.fingerprint(),
                dataset.fingerprint(),
                {**requested, "interactions": wanted},
            ),
            progress=progress,
        )
        reference_fis, fis_cloud = interaction_clouds(context, wanted, boundaries, losses)
    result = RashomonResult(
        model_names=(model_name,),
        settings=_settings(model, dataset, kernel, wanted, requested),
        seconds=time.perf_counter() - started,
        **reference.result_fields(),
        **boundaries.tables(names, reference.epsilon),
        reference_fis=reference_fis,
        main_effect_cloud=main_effects,
        fis_cloud=fis_cloud,
        extra={
            "search_steps": boundaries.search.n_steps,
            "rows_evaluated": kernel.rows_evaluated + rows_evaluated,
            # Requested interactions with an insensitive group: no boundary to sample around.
            "skipped_interactions": skipped,
        },
    )
    return dataclasses.replace(result, diagnostics=rashomon_diagnostics(result))


#: The greedy search's settings and their defaults (``explore_rashomon``'s).
WALK_DEFAULTS = {
    name: inspect.signature(explore_rashomon).parameters[name].default
    for name in ("initial_step", "n_refinements", "stall_patience", "max_mask_distance")
}
#: explore_rashomon's parameters: the one source of the defaults of fisc_models and of the
#: mask-set builder.
EXPLORE_PARAMETERS = inspect.signature(explore_rashomon).parameters


@dataclass(frozen=True)
class FiscModels:
    """The models FISC samples around a reference model, as masks over every group.

    Attributes
    ----------
    reference_loss, epsilon : float
        L* and the absolute ε, as ``explore_rashomon`` resolves them.
    masks : ndarray
        (models, groups) mask of each sampled model; groups in the data set's order.
    descriptions : tuple of dict
        How each model was made: ``kind`` "boundary" (group, direction, t, radius) or
        "joint" (interaction, radius, split, signs); its masks are the row of ``masks``.
    stops : dict of str to int
        Boundaries by why their search stopped ("boundary", "stall", "mask_limit"); a set
        whose searches all stalled is the flat model class of a tree on binary features.
    """

    reference_loss: float
    epsilon: float
    masks: np.ndarray
    descriptions: tuple[dict, ...]
    stops: dict[str, int]


def fisc_models(
    model,
    dataset,
    *,
    epsilon_rate: float | None = EXPLORE_PARAMETERS["epsilon_rate"].default,
    epsilon: float | None = None,
    groups: Sequence[str] | None = None,
    delta: float = EXPLORE_PARAMETERS["delta"].default,
    radii: Sequence[float] = EXPLORE_PARAMETERS["radii"].default,
    drop_tolerance: float = EXPLORE_PARAMETERS["drop_tolerance"].default,
    max_batch_rows: int | None = None,
    progress: ProgressCallback | None = None,
) -> FiscModels:
    """FISC's search and sampling without the clouds: every model ``explore_rashomon`` samples.

    The single-group boundary models m^σ_i(t·r) of each kept group and the sum-to-one joint
    models of each pair of kept groups (the pair order of ``explore_rashomon``), found by the
    same search with its default walk (``WALK_DEFAULTS``). Parameters as ``explore_rashomon``.

    Returns
    -------
    FiscModels

    Examples
    --------
    >>> found = fisc_models(model, ds, epsilon_rate=0.1)
    >>> found.masks.shape, found.stops
    """
    check_adapter(model)
    check_dataset(dataset)
    if epsilon is not None:
        check_positive_real(epsilon, "epsilon")
    else:
        check_positive_real(epsilon_rate, "epsilon_rate")
    units, radii = grid_units(delta), check_radii(radii)
    kernel = SubsetLossKernel(model, dataset, max_batch_rows=max_batch_rows)
    names = list(dataset.group_names)
    report = progress or _no_progress
    report("reference", 0, 1)
    reference = _reference_model(
        kernel, names, select_groups(names, groups), epsilon_rate, epsilon, drop_tolerance
    )
    pairs, _ = choose_interactions(names, reference.kept, reference.dropped, 2, None)
    report("reference", 1, 1)
    context = ExplorationContext(
        kernel, len(names), names, reference.loss, reference.epsilon, radii, units, False, report
    )
    boundaries = _search(context, reference.kept, WALK_DEFAULTS)
    singles = single_group_models(context, reference.kept, boundaries)
    joints = joint_models(context, pairs, 2, boundaries)
    table = np.ones((len(singles) + len(joints), len(names)))  # (models, groups)
    descriptions = []
    for row, (g, sign, t, r, mask) in enumerate(singles):
        table[row, g] = mask
        descriptions.append(
            {"kind": "boundary", "group": names[g], "direction": sign, "t": t, "radius": r}
        )
    for row, joint in enumerate(joints, start=len(singles)):
        table[row, list(joint.groups)] = joint.masks
        descriptions.append(
            {
                "kind": "joint",
                "interaction": interaction_label([names[g] for g in joint.groups]),
                "radius": joint.radius,
                "split": ":".join(str(s) for s in joint.split),
                "signs": joint.signs,
            }
        )
    stops = Counter(str(stop) for stop in boundaries.search.stops.ravel())
    return FiscModels(reference.loss, reference.epsilon, table, tuple(descriptions), dict(stops))


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _settings(model, dataset, kernel: SubsetLossKernel, wanted: list, requested: dict) -> dict:
    """The parameters as given, with what they resolved to on this model and data."""
    return {
        "loss": model.loss.name,
        "output_kind": model.output_kind,
        **requested,
        "approximators_used": sorted({kernel.estimator_for(tuple(i)) for i in wanted}),
        "n_rows": dataset.n_rows,
        "n_distinct_rows": kernel.n_patterns,
        # what compare_models checks, so a FIS range is never set against another data set's
        "dataset_fingerprint": dataset.fingerprint(),
    }


# ---------------------------------------------------------------------------- stages
@dataclass(frozen=True)
class _Reference:
    """The reference model f* (all masks 1): its loss, ε, and which groups it is sensitive to."""

    loss: float
    epsilon: float
    main_effects: np.ndarray  # (groups,) φ_i of f*
    names: list[str]
    selected: list[int]
    kept: list[int]
    dropped: list[int]

    def result_fields(self) -> dict:
        """The fields of RashomonResult that describe the reference model."""
        names, selected = self.names, self.selected
        return {
            "reference_loss": self.loss,
            "epsilon": self.epsilon,
            "group_names": tuple(names[g] for g in self.kept),
            "dropped_groups": tuple(names[g] for g in self.dropped),
            "reference_main_effects": pd.DataFrame(
                {
                    "group": [names[g] for g in selected],
                    "main_effect": [float(self.main_effects[g]) for g in selected],
                    "dropped": [g in self.dropped for g in selected],
                }
            ),
        }


def _reference_model(
    kernel: SubsetLossKernel,
    names: list[str],
    selected: list[int],
    epsilon_rate: float | None,
    epsilon: float | None,
    drop_tolerance: float,
) -> _Reference:
    """L*, ε and φ_i of f*; groups with |φ_i| ≤ drop_tolerance · L* are dropped."""
    n_groups = len(names)
    ones = torch.ones((n_groups, n_groups), dtype=torch.float64)
    single = kernel.subset_losses(ones, torch.arange(n_groups).unsqueeze(1))  # (groups, 2)
    loss = float(single[0, 0])
    main_effects = (single[:, 1] - single[:, 0]).numpy()
    resolved = resolve_epsilon(epsilon_rate, epsilon, loss)
    tolerance = drop_tolerance * loss if loss > 0 else drop_tolerance
    kept = [g for g in selected if abs(main_effects[g]) > tolerance]
    dropped = [g for g in selected if g not in kept]
    return _Reference(loss, resolved, main_effects, names, selected, kept, dropped)


def _search(context: ExplorationContext, kept: list[int], walk: dict) -> Boundaries:
    """Both directions of every kept group, searched together (``search_boundaries``)."""
    groups = np.repeat(np.array(kept, dtype=np.int64), 2)
    directions = np.tile(np.array([1.0, -1.0]), len(kept))
    fractions = context.fractions
    search = search_boundaries(
        context.kernel.losses,
        context.n_groups,
        groups,
        directions,
        np.array(fractions) * context.epsilon,
        context.reference_loss,
        on_step=lambda done, total: context.report("search", done, total),
        **walk,
    )
    return Boundaries(search, groups, directions, fractions, context.units)
