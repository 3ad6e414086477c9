"""What makes a Rashomon exploration degenerate, read off its own tables (no extra model calls).

Each check returns a :class:`Diagnostic` or None; ``rashomon_diagnostics`` keeps those found.
Nothing here changes a number of the result: it only says how to read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzers.boundary_search import STOP_BOUNDARY
from analyzers.rashomon_result import MIN_IN_SET_MODELS
from analyzers.result import Diagnostic

_SHOWN = 6  # names listed in a message before "..."
#: Share of boundary searches that must stop early (flat loss or mask limit) for the model class
#: to count as flat. "Most", not "all": on compas-gbt 13 of 14 searches stall (scaling a 0/1
#: input moves no tree split) while one walks to a split threshold at m ≈ 0.5 and ends there
#: with a loss increase of 0, and the halos are still dots.
FLAT_SHARE = 0.75


def rashomon_diagnostics(result) -> tuple[Diagnostic, ...]:
    """Diagnostics of a ``RashomonResult`` (its ``diagnostics`` field is ignored).

    Codes: ``insensitive_groups_dropped`` (info), ``interactions_skipped``, ``no_interactions``,
    ``flat_model_class`` (at least ``FLAT_SHARE`` of the boundary searches stopped before
    their boundary),
    ``boundary_search_stalled`` (info: some did), ``interaction_outside_set`` (an interaction
    with no sampled joint model inside the set), ``few_models_in_set`` (some, but fewer than
    ``MIN_IN_SET_MODELS``: the summary flags them instead of ranking them).
    """
    found = [
        _dropped_groups(result),
        _skipped_interactions(result.extra.get("skipped_interactions", ())),
        _no_interactions(result),
        _searches_stopped_early(result.boundaries),
        _interactions_outside_set(result.fis_cloud),
        _few_models_in_set(result.fis_cloud),
    ]
    return tuple(d for d in found if d is not None)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (" ..." if len(names) > _SHOWN else "")


def _dropped_groups(result) -> Diagnostic | None:
    dropped = list(result.dropped_groups)
    if not dropped:
        return None
    return Diagnostic(
        "insensitive_groups_dropped",
        f"{len(dropped)} group(s) have a reference main effect within drop_tolerance·L* of 0 "
        f"and were not searched (their interactions are not analysed): {_listed(dropped)}",
        severity="info",
    )


def _skipped_interactions(skipped: Sequence[str]) -> Diagnostic | None:
    if not skipped:
        return None
    return Diagnostic(
        "interactions_skipped",
        f"{len(skipped)} requested interaction(s) involve an insensitive group and were not "
        f"analysed: {_listed(list(skipped))}",
    )


def _no_interactions(result) -> Diagnostic | None:
    if len(result.fis_cloud) or len(result.reference_fis):
        return None
    return Diagnostic(
        "no_interactions",
        f"no interaction was analysed: {len(result.group_names)} group(s) kept, "
        f"{len(result.dropped_groups)} dropped as insensitive",
    )


def _searches_stopped_early(boundaries) -> Diagnostic | None:
    """Searches whose walk ended on a flat loss ("stall") or at the mask limit."""
    if not len(boundaries):
        return None
    early = boundaries["stop"] != STOP_BOUNDARY
    per_search = early.groupby([boundaries["group"], boundaries["direction"]], sort=False).any()
    if not per_search.any():
        return None
    n_early, n_searches = int(per_search.sum()), len(per_search)
    if n_early >= FLAT_SHARE * n_searches:
        return Diagnostic(
            "flat_model_class",
            f"the model class is flat for this model: {n_early} of {n_searches} boundary "
            "searches stopped before their boundary, because the loss stays flat as inputs are "
            "scaled (stall) or the mask ran past max_mask_distance, as for trees over binary "
            "features; the sampled models barely differ from the reference, so each halo "
            "collapses towards a dot and every FIS range is ~0. Input scaling does not explore "
            "this model's Rashomon set: use permutation FIS or Shapley interaction indices on "
            "the Interactions page (CLI: workbench interactions) instead",
        )
    stopped = [f"{group} ({direction})" for group, direction in per_search[per_search].index]
    return Diagnostic(
        "boundary_search_stalled",
        f"{len(stopped)} of {len(per_search)} boundary searches stopped before their boundary "
        f"(flat loss or mask limit), so their masks are where the walk stopped: "
        f"{_listed(stopped)}",
        severity="info",
    )


def _interactions_outside_set(cloud) -> Diagnostic | None:
    if not len(cloud):
        return None
    inside = cloud.groupby("interaction", sort=False)["in_set"].any()
    outside = list(inside.index[~inside.to_numpy(dtype=bool)])
    if not outside:
        return None
    return Diagnostic(
        "interaction_outside_set",
        f"{len(outside)} of {len(inside)} interaction(s) have no sampled joint model inside the "
        f"Rashomon set (L − L* ≤ ε), so their clouds describe models outside it: "
        f"{_listed(outside)}",
    )


def _few_models_in_set(cloud) -> Diagnostic | None:
    if not len(cloud):
        return None
    inside = cloud.groupby("interaction", sort=False)["in_set"].sum()
    few = inside[(inside > 0) & (inside < MIN_IN_SET_MODELS)]
    if few.empty:
        return None
    listed = [f"{label} ({int(n)})" for label, n in few.items()]
    return Diagnostic(
        "few_models_in_set",
        f"{len(few)} of {len(inside)} interaction(s) have fewer than {MIN_IN_SET_MODELS} "
        "sampled joint models inside the Rashomon set, so their FIS range is flagged and not "
        f"ranked: {_listed(listed)}",
    )
