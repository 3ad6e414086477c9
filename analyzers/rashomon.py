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
``rashomon_parameters``, the reference model and the search of its kept groups in
``rashomon_stages`` (over ``boundary_search``), the clouds of the sampled models in
``rashomon_clouds``, their tables in ``rashomon_frames``, the diagnostics in
``rashomon_diagnostics``, and the sampled models as masks without the clouds in ``fisc_models``
(importable from here too; all in ``analyzers``).
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analyzers.rashomon_chunks import (
    DEFAULT_CHUNK_INTERACTIONS,
    chunked_subset_losses,
    kernel_settings,
)
from analyzers.rashomon_clouds import ExplorationContext, interaction_clouds, main_effect_cloud
from analyzers.rashomon_diagnostics import rashomon_diagnostics
from analyzers.rashomon_parameters import (
    check_approximator,
    check_radii,
    choose_interactions,
    grid_units,
    select_groups,
)
from analyzers.rashomon_result import RashomonResult
from analyzers.rashomon_stages import _no_progress, _reference_model, _search
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


def __getattr__(name: str) -> Any:
    # fisc_models takes its defaults from explore_rashomon's signature (EXPLORE_PARAMETERS), so
    # it imports this module; importing it back here on first use keeps the old import path
    # ``from analyzers.rashomon import fisc_models`` without an import cycle.
    if name in ("FiscModels", "fisc_models"):
        from analyzers import fisc_models as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
