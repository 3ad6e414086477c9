"""How each analysis of the app's registry (:mod:`app.analyses`) computes its result from a
loaded workspace model and reads a stored one back.

The registry holds the parameters, defaults, bounds and store keys; these functions are the only
place an app analysis calls an analyzer, so the web app, the job workers and the CLI's cached
runs share one call per analysis.
"""

from __future__ import annotations

import analyzers.rashomon as rashomon
from analyzers.attention_maps import attention_maps
from analyzers.gates import analyze_gates
from analyzers.interactions import score_interactions
from app.embedding_job import embedding_report
from app.model_choices import compare_unavailable
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback


def compute_rashomon(model, parameters: dict, progress: ProgressCallback | None, *, chunks=None):
    if model.rows.code_levels:
        # FISC's model class scales inputs (f(m ⊙ x)); a scaled category code is another
        # category, so the Rashomon set it samples means nothing on coded fields.
        raise ParameterError(
            f"model {model.name!r}: FISC scales inputs, which is meaningless for coded fields; "
            "use the Interactions page (permutation FIS or Shapley indices) for this model"
        )

    return rashomon.explore_rashomon(
        model.adapter,
        model.rows,
        model_name=model.name,
        progress=progress,
        **parameters,
        **(chunks or {}),
    )


def read_rashomon(payload: dict):
    from analyzers.rashomon_result import RashomonResult

    return RashomonResult.from_dict(payload)


def compute_interactions(
    model, parameters: dict, progress: ProgressCallback | None, *, chunks=None
):
    if progress:
        progress("scoring", 0, 1)  # the Shapley indices then report per coalition batch
    # shap's TreeExplainer reads the fitted trees themselves, not the torch/CPU adapter.
    target = model.estimator if parameters["index"] == "tree" else model.adapter
    if target is None:
        raise ParameterError(f"index 'tree': model {model.name!r} is not a scikit-learn tree model")
    # "fis" is a global score: it uses every row, whatever the form says.
    rows = parameters["rows"] if parameters["index"] != "fis" else None
    # The cluster takes the exact Shapley indices' row chunks; other indices ignore it.
    given = {**parameters, "rows": rows, **(chunks or {})}
    result = score_interactions(
        target, model.rows, **given, model_name=model.name, progress=progress
    )
    if progress:
        progress("scoring", 1, 1)
    return result


def read_interactions(payload: dict):
    from analyzers.interaction_result import InteractionResult

    return InteractionResult.from_dict(payload)


def compute_gates(model, parameters: dict, progress: ProgressCallback | None):
    from analyzers.gate_common import sample_rows

    # A "torch" entry names its sites by module path; a zoo model names its own.
    if not model.sites and not hasattr(getattr(model.adapter, "module", None), "gate_sites"):
        raise ParameterError(
            f"model: {model.name!r} has no gates; choose a CTR model of the zoo (kind 'zoo') "
            "or your own torch model registered with its sites (kind 'torch')"
        )
    if parameters["rows"] < 2:
        raise ParameterError(f"rows: expected at least 2, got {parameters['rows']}")
    # A seeded sample of the held-out rows keeps the job short; the sample is part of the key.
    positions = sample_rows(model.rows.n_rows, parameters["rows"], parameters["random_state"])
    return analyze_gates(
        model.adapter,
        model.rows.subset(positions),
        sites=model.sites or None,
        embedding=model.embedding_site,
        attribution_rows=parameters["attribution_rows"],
        compute_interactions=parameters["compute_interactions"] == "on",
        n_permutations=parameters["n_permutations"],
        n_bootstrap=parameters["n_bootstrap"],
        random_state=parameters["random_state"],
        model_name=model.name,
        progress=progress,
    )


def compute_attention(model, parameters: dict, progress: ProgressCallback | None):
    """Attention maps of a model with attention sites: its own (the zoo's AutoInt) or the
    "attention" sites of a "torch" entry; the case is one held-out row, picked by number."""
    del progress  # one pass over the sample: seconds
    sites = [s for s in model.sites or [] if s.kind == "attention"] or None
    return attention_maps(
        model.adapter,
        model.rows,
        rows=[parameters["row"]],
        sites=sites,
        sample=parameters["sample"],
        random_state=parameters["random_state"],
        model_name=model.name,
    )


def read_gates(payload: dict):
    from analyzers.gate_results import GateReport

    return GateReport.from_dict(payload)


def compute_embeddings(model, parameters: dict, progress: ProgressCallback | None, *, workspace):
    other = parameters["compare_with"]
    others = {}
    if other != "none":
        reason = compare_unavailable(workspace, model.name, other)
        if reason:
            raise ParameterError(f"compare_with: {reason}")
        others[other] = workspace.model(other).adapter
    return embedding_report(
        model.adapter,
        model.rows,
        parameters,
        model_name=model.name,
        train_rows=model.train_rows,
        sites=model.sites,
        embedding_site=model.embedding_site,
        others=others,
        progress=progress,
    )


def read_embeddings(payload: dict):
    from analyzers.embeddings import EmbeddingReport

    return EmbeddingReport.from_dict(payload)
