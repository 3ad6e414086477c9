"""The models FISC samples around a reference model, as masks, without the clouds.

The input-mask model sets (``analyzers.model_sets.masks``) take their members from here; the
search and sampling are ``explore_rashomon``'s own, with its defaults (``EXPLORE_PARAMETERS``,
``WALK_DEFAULTS`` of ``analyzers.rashomon``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analyzers.rashomon import EXPLORE_PARAMETERS, WALK_DEFAULTS
from analyzers.rashomon_clouds import ExplorationContext, joint_models, single_group_models
from analyzers.rashomon_parameters import (
    check_radii,
    choose_interactions,
    grid_units,
    select_groups,
)
from analyzers.rashomon_result import interaction_label
from analyzers.rashomon_stages import _no_progress, _reference_model, _search
from workbench.arguments import check_adapter, check_dataset, check_positive_real
from workbench.kernels import SubsetLossKernel
from workbench.progress import ProgressCallback


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
