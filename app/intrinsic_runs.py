"""How the app computes the views of a CTR model's own claims: the "intrinsic" analysis
(``analyzers.intrinsic_interactions``, the model's own pair weights or the mean attention at
its attention sites), the "optinter_switches" analysis (``analyzers.operation_switches``) and
the "optfs" analysis (``analyzers.optfs_selection``: OptFS's search → ticket → retrain).

As :mod:`app.analysis_runs` for the other analyses: the one place the app calls these
analyzers, so the web app's jobs and a script's ``compute_result`` give the same numbers.
"""

from __future__ import annotations

from analyzers.intrinsic_interactions import intrinsic_interactions
from analyzers.operation_switches import operation_switches
from app.applicability import (
    attention_sites_of,
    intrinsic_source_reason,
    optfs_reason,
    optinter_reason,
)
from app.parameter_text import field_pairs
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback

#: where the pair weights come from: the model's own reading (zoo AutoInt, DCN-V2, FinalMLP,
#: OptInter) or the mean attention at its attention sites (any torch model that names them)
INTRINSIC_SOURCES = ("own", "attention")


def compute_intrinsic(model, parameters: dict, progress: ProgressCallback | None, *, workspace):
    """Intrinsic vs measured interactions of a workspace model; ``parameters["source"]``
    chooses the model's own weights or its attention sites."""
    reason = intrinsic_source_reason(workspace, model.name, parameters["source"])
    if reason:
        raise ParameterError(f"source: {reason}")
    sites = (
        attention_sites_of(workspace, model.name) if parameters["source"] == "attention" else None
    )
    if progress:
        progress("reading weights and measuring pairs", 0, 1)
    result = intrinsic_interactions(
        model.adapter,
        model.rows,
        index=parameters["index"],
        rows=parameters["rows"],
        background=parameters["background"],
        random_state=parameters["random_state"],
        model_name=model.name,
        attention_sites=sites,
    )
    if progress:
        progress("reading weights and measuring pairs", 1, 1)
    return result


def read_intrinsic(payload: dict):
    from analyzers.intrinsic_interactions import IntrinsicInteractionResult

    return IntrinsicInteractionResult.from_dict(payload)


def compute_operation_switches(
    model, parameters: dict, progress: ProgressCallback | None, *, workspace
):
    """OptInter's operation switches over the chosen field pairs (every pair by default) of a
    workspace OptInter."""
    reason = optinter_reason(workspace, model.name)
    if reason:
        raise ParameterError(f"model: {reason}")
    if progress:
        progress("switching operations and measuring pairs", 0, 1)
    result = operation_switches(
        model.adapter,
        model.rows,
        pairs=field_pairs(parameters["pairs"]),
        n_bootstrap=parameters["n_bootstrap"],
        index=parameters["index"],
        rows=parameters["rows"],
        background=parameters["background"],
        random_state=parameters["random_state"],
        model_name=model.name,
    )
    if progress:
        progress("switching operations and measuring pairs", 1, 1)
    return result


def read_operation_switches(payload: dict):
    from analyzers.operation_switches import OperationSwitchResult

    return OperationSwitchResult.from_dict(payload)


def compute_optfs(model, parameters: dict, progress: ProgressCallback | None, *, workspace):
    """OptFS's search → ticket → retrain on the data set of a workspace OptFS, with that
    model's architecture options (its gates' own phase and vocabularies are set by the run)."""
    from analyzers.optfs_selection import optfs_selection

    reason = optfs_reason(workspace, model.name)
    if reason:
        raise ParameterError(f"model: {reason}")
    own = model.adapter.module.config
    config = {k: v for k, v in own.items() if k not in ("vocab_sizes", "field_names", "phase")}
    return optfs_selection(
        workspace.dataset(model.data),
        config=config,
        max_epochs=parameters["max_epochs"],
        search_epochs=parameters["search_epochs"],
        random_state=parameters["random_state"],
        backbone=parameters["backbone"] == "on",
        model_name=model.name,
        progress=progress,
    )


def read_optfs(payload: dict):
    from analyzers.optfs_selection import OptFSSelectionResult

    return OptFSSelectionResult.from_dict(payload)
