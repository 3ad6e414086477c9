"""The "model_set" analysis of the app: a Rashomon set of a workspace model built one of
several ways, an interaction index over its members and their consensus.

The builders are a list (:data:`BUILDERS`): each names itself as ``workbench rashomon-set
--builder`` does, says in one line why it does not apply to a model, and makes the analyzer's
builder from a loaded model. Another way to build a set is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from analyzers.model_sets import (
    DropoutSetBuilder,
    MaskSetBuilder,
    RetrainedSetBuilder,
    explore_model_set,
)
from workbench.errors import ParameterError, WorkbenchError
from workbench.member_cache import MemberCache
from workbench.progress import ProgressCallback

#: the app's default size of a set: small enough that the demo's job takes seconds on 2 cores
#: (8 retrained boosted-tree members and SII on 100 rows: ~12 s on a loaded machine)
DEFAULT_MEMBERS = 8
#: a retrained member trains on one bootstrap resample of the training rows (seed's own): a
#: deterministic learner (boosted trees without subsampling) gives one model over seeds alone
DEFAULT_BOOTSTRAP = 1
#: indices offered over a set ("tree" only where the members are fitted trees)
MODEL_SET_INDICES = ("sii", "stii", "ksii", "h2", "fis", "tree")


@dataclass(frozen=True)
class SetBuilderChoice:
    """One way to build a Rashomon set from a workspace model.

    ``reason(loaded model)`` is None when it applies, else one line saying why not;
    ``make(loaded model, parameters)`` gives the analyzer's builder.
    """

    name: str
    label: str
    reason: Callable[[Any], str | None]
    make: Callable[[Any, dict], Any]


def _retrain_reason(model) -> str | None:
    estimator = model.estimator
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        return (
            f"retrain clones the model's scikit-learn estimator; {model.name!r} is a "
            f"{type(estimator).__name__ if estimator is not None else 'model file'}"
        )
    if model.train_rows is None:
        return f"retrain needs the rows {model.name!r} was trained on; the workspace has none"
    return None


def _retrain(model, parameters: dict) -> RetrainedSetBuilder:
    from sklearn.base import clone

    first = parameters["random_state"]
    return RetrainedSetBuilder(
        clone(model.estimator),
        model.train_rows,
        seeds=range(first, first + parameters["members"]),
        n_bootstrap=parameters["n_bootstrap"],
    )


def _dropout_reason(model) -> str | None:
    from workbench.kernels.dropout_masks import resolve_layers

    module = getattr(model.adapter, "module", None)
    if module is None:
        return f"dropout masks a torch model's layers; {model.name!r} is not a torch model"
    try:
        resolve_layers(module, None, "activations")
    except WorkbenchError as error:  # e.g. a logistic model: no hidden layer to mask
        return f"dropout needs a hidden layer to mask; {model.name!r}: {error}"
    return None


def _dropout(model, parameters: dict) -> DropoutSetBuilder:
    from app.analyses import signature_default

    probes = min(parameters["members"], signature_default(DropoutSetBuilder, "n_probe"))
    return DropoutSetBuilder(
        model.adapter,
        n_members=parameters["members"],
        n_probe=probes,
        seed=parameters["random_state"],
    )


def _masks_reason(model) -> str | None:
    if model.rows.code_levels:
        return (
            "input masks scale inputs (FISC's model class), which means nothing for the coded "
            f"fields of {model.name!r}'s data"
        )
    return None


def _masks(model, parameters: dict) -> MaskSetBuilder:
    return MaskSetBuilder(
        model.adapter, n_members=parameters["members"], seed=parameters["random_state"]
    )


BUILDERS: tuple[SetBuilderChoice, ...] = (
    SetBuilderChoice("retrain", "retrain (seeds, bootstrap)", _retrain_reason, _retrain),
    SetBuilderChoice("dropout", "dropout masks (torch models)", _dropout_reason, _dropout),
    SetBuilderChoice("masks", "input masks (FISC's model class)", _masks_reason, _masks),
)


def tree_reason(model, builder: str) -> str | None:
    """Why index "tree" cannot score the members of ``builder``'s set of ``model``, or None."""
    from app.applicability import is_tree_estimator

    if builder != "retrain":
        return "tree SHAP reads fitted trees: only a retrained set of a tree model has them"
    if not is_tree_estimator(model.estimator):
        return f"tree SHAP reads fitted trees; {model.name!r} is not a tree model"
    return None


def builder_choice(name: str) -> SetBuilderChoice:
    for choice in BUILDERS:
        if choice.name == name:
            return choice
    known = ", ".join(c.name for c in BUILDERS)
    raise ParameterError(f"builder: expected one of {known}, got {name!r}")


def compute_model_set(
    model, parameters: dict, progress: ProgressCallback | None, *, workspace=None, chunks=None
):
    """``explore_model_set`` over the set the chosen builder makes of ``model``, explained on
    the model's rows; the result's settings also hold the score's unit (output, loss).
    ``chunks``: the ``executor`` and ``checkpoint`` of the members' scoring (a Dask cluster).

    A retrained set keeps its fitted members in the workspace's store (``MemberCache``), so a
    run with more seeds, another ε or another index trains only the members it lacks."""
    choice = builder_choice(parameters["builder"])
    reason = choice.reason(model)
    if reason:
        raise ParameterError(f"builder: {reason}")
    reason = tree_reason(model, parameters["builder"])
    if parameters["index"] == "tree" and reason:
        raise ParameterError(f"index: {reason}")
    builder = choice.make(model, parameters)
    if isinstance(builder, RetrainedSetBuilder) and workspace is not None:
        builder = replace(builder, cache=MemberCache.in_store(workspace.store))
    result = explore_model_set(
        builder,
        model.rows,
        parameters["index"],
        epsilon_rate=parameters["epsilon_rate"],
        top_k=parameters["top_k"],
        rows=parameters["rows"],
        random_state=parameters["random_state"],
        max_coalitions=parameters["max_coalitions"],
        progress=progress,
        **(chunks or {}),
    )
    adapter = model.adapter
    units = {
        "output": "logit" if adapter.task == "classification" else "value",
        "loss": adapter.loss.name,
    }
    return replace(result, settings={**result.settings, **units})


def read_model_set(payload: dict):
    from analyzers.model_sets import ModelSetResult

    return ModelSetResult.from_dict(payload)


def planned_members(parameters: dict) -> int:
    """Members the chosen builder makes (the in-set ones, scored, are at most these)."""
    if parameters["builder"] == "retrain":
        return parameters["members"] * max(1, parameters["n_bootstrap"])
    return parameters["members"]


def cost_text(model, parameters: dict) -> str:
    """The job's cost in the units that drive it, before Run: for a Shapley index the
    analyzer's own plan (``analyzers.model_sets.cost``: exact or sampled, coalitions × rows ×
    background rows × members), as ``explore_model_set`` will run it."""
    from analyzers.figures.interaction_reading import INDEX_TITLES
    from analyzers.model_sets.cost import SHAPLEY_INDICES
    from analyzers.model_sets.explore import set_plan
    from app.analyses import signature_default

    members = planned_members(parameters)
    index = parameters["index"]
    if index not in SHAPLEY_INDICES:
        return (
            f"Cost: {INDEX_TITLES.get(index, index)} on {parameters['rows']:,} rows × up to "
            f"{members} members (no coalitions to enumerate)"
        )
    game = {
        name: signature_default(explore_model_set, name) for name in ("approximator", "n_samples")
    }
    background = signature_default(explore_model_set, "background")
    plan = set_plan(
        model.rows,
        index,
        parameters["rows"],
        background,
        members,
        game,
        parameters["max_coalitions"],
    )
    return f"Cost: {plan.text()}; members are at most {members} (those within ε are scored)"
