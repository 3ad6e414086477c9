"""Which workspace models an app analysis offers: the CTR models the Gates and Embeddings
pages list, and the models an embedding comparison (cross-model CKA) can pair with."""

from __future__ import annotations


def site_models(workspace, data: str | None, analysis_name: str) -> list[str]:
    """The models of ``data`` the "gates" or "embeddings" analysis runs on: the CTR zoo's, and
    the user's own torch models registered with gate sites (gates) or an embedding site
    (embeddings)."""
    if not data:
        return []
    names = []
    for name in workspace.model_names(data, kind=("zoo", "torch")):
        entry = workspace.model_entry(name)
        wanted = entry.sites if analysis_name == "gates" else entry.embedding_site
        if entry.kind == "zoo" or wanted:
            names.append(name)
    return names


def compare_candidates(workspace, model_name: str | None) -> list[str]:
    """The other CTR-zoo models of ``model_name``'s data set (its embeddings are compared
    with theirs on the same rows)."""
    if not model_name:
        return []
    data = workspace.model_entry(model_name).data
    return [m for m in workspace.model_names(data, kind="zoo") if m != model_name]


def compare_unavailable(workspace, model_name: str | None, other: str | None = None) -> str | None:
    """Why the cross-model CKA cannot run (None: it can; ``other`` None: with any model)."""
    candidates = compare_candidates(workspace, model_name)
    if not candidates:
        return "no other CTR-zoo model on this data set to compare with"
    if other is not None and other not in candidates:
        return f"{other!r} is not another CTR-zoo model of this data set; choose one of " + (
            ", ".join(candidates)
        )
    return None
