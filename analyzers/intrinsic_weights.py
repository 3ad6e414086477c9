"""A CTR model's own interaction weight per field pair, read from its parameters or attention.

These are the numbers a paper would plot as "the model's interactions" (AutoInt Fig. 7, the
DCN-V2 and GDCN block-norm heat maps). They are descriptive: attention is not explanation (Jain
& Wallace 2019) and block norms change under reparametrisations that leave the function
unchanged (docs ctr-models.md §2.8). ``analyzers.intrinsic_interactions`` sets them beside the
interactions measured by intervention.

Every reader returns ``{source: (F, F) symmetric matrix}``; a source is one layer, head or
aggregate. The diagonal is unused. ``attention_pair_weights`` reads the attention sites of any
torch model (DeepCTR-Torch's AutoInt and AFM among them) through ``analyzers.attention_maps``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from analyzers.result import Diagnostic
from workbench.errors import ModelError
from workbench.sites import SiteSpec

__all__ = ["INTRINSIC_MODELS", "MEAN_ATTENTION", "attention_pair_weights", "intrinsic_pair_weights"]

INTRINSIC_MODELS = ("autoint", "dcnv2", "finalmlp", "optinter")
MEAN_ATTENTION = "attention (mean of layers and heads)"
_CHUNK_ROWS = 4096


def intrinsic_pair_weights(module, X: torch.Tensor) -> tuple[dict[str, np.ndarray], str]:
    """The model's own (F, F) pair weights per source, and a sentence on how they were read.

    Parameters
    ----------
    module : CtrModel
        An AutoInt, DCN-V2, FinalMLP or OptInter of ``workbench.zoo``.
    X : Tensor
        (rows, F) codes: the rows attention and FinalMLP's pulled-back weights average over
        (DCN-V2 mixture weights use them for the mean expert gate).

    Returns
    -------
    (dict of str -> ndarray, str)
    """
    readers = {"autoint": _autoint, "dcnv2": _dcnv2, "finalmlp": _finalmlp, "optinter": _optinter}
    name = getattr(module, "name", type(module).__name__)
    if name not in readers:
        raise ModelError(
            f"model: {name!r} has no intrinsic interaction weights we read; "
            f"supported: {', '.join(INTRINSIC_MODELS)}, or name its attention sites "
            "(attention_sites=[...], --attention-site)"
        )
    device = next(module.parameters()).device
    return readers[name](module, X.to(device))


def attention_pair_weights(
    adapter, dataset, sites: Sequence[str | SiteSpec]
) -> tuple[dict[str, np.ndarray], str, tuple[Diagnostic, ...]]:
    """Mean attention per field pair at ``sites`` of any torch model, over every row of
    ``dataset``: one source per site and head, and their mean when every site attends over
    fields.

    Parameters
    ----------
    adapter : ModelAdapter
        The model, wrapped (its output kind does not matter here: only the sites are read).
    dataset : Dataset
        The rows to average over (the rows whose interactions are measured).
    sites : sequence of str or SiteSpec
        Attention sites, as ``attention_maps`` takes them: (rows, heads, F, F) maps (zoo AutoInt,
        DeepCTR's ``"int_layers.0@softmax"``), or one weight per field pair (AFM's
        ``"fm@softmax"``).

    Returns
    -------
    (dict of str -> ndarray, str, tuple of Diagnostic)
        Sources, how they were read, and the attention maps' diagnostics (uniform heads).
    """
    from analyzers.attention_maps import attention_maps

    # The maps' own reading (rows axis found, AFM's pairs placed on field pairs): one path.
    maps = attention_maps(adapter, dataset, sites=sites, sample=0)
    weights, every = {}, []
    for site in maps.sites:
        pairs = maps.layouts[site] == "pairs"
        for head in maps.heads(site):
            matrix = maps.matrix(site, head)  # (F, F), query rows, key columns
            weights[site if pairs else f"{site} head{head}"] = _symmetric(matrix)
            if not pairs:
                every.append(matrix)
    # Field maps have rows summing to 1, pair maps all pairs: their mean would mix scales.
    if every and len(every) == len(weights):
        weights[MEAN_ATTENTION] = _symmetric(np.mean(every, axis=0))
    read = {
        "fields": "α_ij and α_ji averaged (query i attends to key j)",
        "pairs": "one weight per field pair (AFM) as it is",
    }
    layouts = dict.fromkeys(maps.layouts.values())
    how = f"mean attention over {dataset.n_rows} rows at {', '.join(maps.sites)}; " + "; ".join(
        read[layout] for layout in layouts
    )
    return weights, how, maps.diagnostics


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return (matrix + matrix.T) / 2


def _field_indicator(module) -> torch.Tensor:
    """(D, F) one-hot: the field of each column of the flattened embedding."""
    slices = module.field_slices()
    device = next(module.parameters()).device
    indicator = torch.zeros(module.flat_dim, len(slices), dtype=torch.float64, device=device)
    for f, columns in enumerate(slices):
        indicator[columns, f] = 1.0
    return indicator


def block_norms(matrix: torch.Tensor, indicator: torch.Tensor) -> torch.Tensor:
    """(..., D, D) -> (..., F, F): Frobenius norm of the block between output field i (rows)
    and input field j (columns), as DCN-V2's and GDCN's heat maps."""
    squares = matrix.double() ** 2
    return torch.sqrt(indicator.T @ squares @ indicator)


def _captured(module, X: torch.Tensor, names: list[str]) -> dict[str, torch.Tensor]:
    """Sum over rows of each named tap's output (one forward pass per chunk)."""
    sums: dict[str, torch.Tensor] = {}

    def hook(name):
        def keep(_module, _inputs, output):
            part = output.detach().double().sum(0)
            sums[name] = sums[name] + part if name in sums else part

        return keep

    handles = [module.taps[name].register_forward_hook(hook(name)) for name in names]
    try:
        with torch.no_grad():
            for chunk in X.split(_CHUNK_ROWS):
                module(chunk)
    finally:
        for handle in handles:
            handle.remove()
    return sums


def _autoint(module, X: torch.Tensor) -> tuple[dict[str, np.ndarray], str]:
    names = [s.name for s in module.gate_sites() if s.kind == "attention"]
    sums = _captured(module, X, names)
    weights, every = {}, []
    for name in names:
        mean = (sums[name] / X.shape[0]).cpu().numpy()  # (heads, F, F)
        for head, matrix in enumerate(mean):
            weights[f"{name} head{head}"] = _symmetric(matrix)
            every.append(matrix)
    weights[MEAN_ATTENTION] = _symmetric(np.mean(every, axis=0))
    how = (
        f"mean attention over {X.shape[0]} rows, α_ij and α_ji averaged (query i attends "
        "to key j); layer 0 attends over the embeddings, later layers over mixed fields"
    )
    return weights, how


def _dcnv2(module, X: torch.Tensor) -> tuple[dict[str, np.ndarray], str]:
    indicator = _field_indicator(module)
    layers = len(module.cross_taps)
    with torch.no_grad():
        if module.cross_type == "full":
            norms = [block_norms(module.cross_weight[layer], indicator) for layer in range(layers)]
            how = "block Frobenius norms ‖W_l[i, j]‖_F of each cross layer, (ij + ji) / 2"
        else:
            names = [f"cross{layer}_experts" for layer in range(layers)]
            sums = _captured(module, X, names)
            norms = []
            for layer in range(layers):
                # Jacobian at x = 0 of expert k's U tanh(C tanh(Vᵀ x)): U Cᵀ Vᵀ, (K, D, D)
                jacobian = module.U[layer] @ module.C[layer].transpose(1, 2)
                jacobian = jacobian @ module.V[layer].transpose(1, 2)
                mean_gate = sums[names[layer]] / X.shape[0]  # (K,)
                per_expert = block_norms(jacobian, indicator)  # (K, F, F)
                norms.append(torch.einsum("k,kij->ij", mean_gate, per_expert))
            how = (
                "each expert's cross matrix linearised at x = 0 (U Cᵀ Vᵀ), its block norms "
                f"weighted by the expert's mean gate over {X.shape[0]} rows, (ij + ji) / 2"
            )
    norms = [n.cpu().numpy() for n in norms]
    weights = {f"cross{layer}": _symmetric(n) for layer, n in enumerate(norms)}
    weights["cross (sum of layers)"] = _symmetric(sum(norms))
    return weights, how


def _finalmlp(module, X: torch.Tensor) -> tuple[dict[str, np.ndarray], str]:
    """The bilinear fusion x1ᵀ W_h x2 pulled back to fields through the streams' Jacobians:
    B_ij(x) = Σ_h ‖J1_h[:, i]ᵀ W_h J2_h[:, j]‖_F (FinalMLP's heads pair stream units, not
    fields, so this is the nearest per-field-pair reading of its own interaction weights)."""
    from torch.func import jacrev, vmap

    indicator = _field_indicator(module)
    heads = module.heads

    def streams(flat_row: torch.Tensor):
        x1, x2 = module.stream_outputs(flat_row.unsqueeze(0))
        return x1[0], x2[0]

    total = torch.zeros(module.n_fields, module.n_fields, dtype=torch.float64, device=X.device)
    with torch.no_grad():
        flat = module.embedding.flat(X.long())  # (rows, D)
    for chunk in flat.split(32):
        j1, j2 = vmap(jacrev(streams))(chunk)  # (rows, out1, D), (rows, out2, D)
        rows = chunk.shape[0]
        j1 = j1.detach().view(rows, heads, -1, module.flat_dim)  # (rows, H, out1/H, D)
        j2 = j2.detach().view(rows, heads, -1, module.flat_dim)
        pulled = torch.einsum("rhad,hab,rhbe->rhde", j1, module.fusion_bilinear.detach(), j2)
        total += block_norms(pulled, indicator).sum(dim=(0, 1))  # Σ over rows and heads
    matrix = (total / X.shape[0]).cpu().numpy()
    how = (
        f"bilinear fusion pulled back to fields through the two streams' Jacobians, Σ_h "
        f"‖J1_hᵢᵀ W_h J2_hⱼ‖_F averaged over {X.shape[0]} rows, (ij + ji) / 2"
    )
    return {"bilinear fusion": _symmetric(matrix)}, how


ORDINAL = {"memorize": 2.0, "factorize": 1.0, "naive": 0.0}


def _optinter(module, X: torch.Tensor) -> tuple[dict[str, np.ndarray], str]:
    """OptInter's chosen operation per pair as an ordinal (memorize 2 > factorize 1 > naive 0:
    a memorized pair claims a value-specific interaction, a factorized one a low-rank one,
    a naive one none) and, while searching, softmax(α / τ)'s weight on the non-naive ops."""
    del X  # the choice is a parameter of the model, the same for every row
    F = module.n_fields
    chosen, explicit = np.zeros((F, F)), np.zeros((F, F))
    with torch.no_grad():
        weights = module.operation_weights().double().cpu().numpy()  # (pairs, 3)
    for (i, j), op, w in zip(module.pairs, module.choices(), weights, strict=True):
        chosen[i, j] = chosen[j, i] = ORDINAL[op]
        explicit[i, j] = explicit[j, i] = w[0] + w[1]
    found = {"chosen operation (memorize 2, factorize 1, naive 0)": chosen}
    how = "OptInter's operation per field pair (argmax of α while searching)"
    if module.searching:
        found["α weight on memorize + factorize"] = explicit
        how += ", and softmax(α / τ)'s weight on the non-naive operations"
    return found, how
