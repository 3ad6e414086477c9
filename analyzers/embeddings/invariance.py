"""Which embedding measures survive a re-parametrisation that leaves the model's function unchanged.

For a field f, replacing every embedding e by A e with an invertible A, and absorbing A⁻¹ into
the first layer that reads the field, gives the same model (ctr-models.md §2.8). A measure that
changes under such a map describes this particular parametrisation, not what the model computes:
compare it across fields of one model, never read it as importance or compare it across models
that could be re-parametrisations of each other. Results carry the entries of the measures they
report in a ``measure_invariance`` field, and the figures show them.
"""

from __future__ import annotations

INVARIANT = "invariant"
ORTHOGONAL_ONLY = "orthogonal-only"
DESCRIPTIVE = "descriptive"

# measure -> (class, why), the class being one of the three above.
MEASURE_INVARIANCE: dict[str, tuple[str, str]] = {
    "row_norms": (
        DESCRIPTIVE,
        "norms change under any non-orthogonal invertible map of the field's embedding",
    ),
    "spectrum": (
        ORTHOGONAL_ONLY,
        "singular values (effective rank, participation ratio, stable rank, information "
        "abundance, explained variance and the 80/95% dimensions) survive orthogonal maps but "
        "not general invertible ones; descriptive across models",
    ),
    "anisotropy": (
        DESCRIPTIVE,
        "mean pairwise cosine and mean-vector ratio change under shifts absorbed by a bias "
        "and under non-orthogonal maps",
    ),
    "linear_cka": (
        ORTHOGONAL_ONLY,
        "linear CKA is invariant to orthogonal maps and isotropic scaling of either side, "
        "not to general invertible maps; the measure to compare fields or models with",
    ),
    "subspace_overlap": (
        DESCRIPTIVE,
        "principal directions of two fields are compared in one coordinate system; an "
        "orthogonal map of one field alone changes the overlap",
    ),
    "fm_strength": (
        DESCRIPTIVE,
        "E|<e_f, e_g>| changes when either field is mapped separately, even orthogonally",
    ),
    "centroid_cosine": (
        DESCRIPTIVE,
        "the angle between field means changes under per-field maps",
    ),
    "collisions": (
        INVARIANT,
        "bucket load, traffic, collision rates and purity depend on the hash and the data, "
        "not on the learned values",
    ),
    "private_rows_delta_loss": (
        INVARIANT,
        "interventional: a change of the model's loss, whatever the parametrisation",
    ),
    "projection": (
        DESCRIPTIVE,
        "PCA axes follow the parametrisation; UMAP distances are not metric-faithful: an "
        "overview only",
    ),
}


def invariance_of(*measures: str) -> dict[str, str]:
    """``{measure: "class: why"}`` for the named measures, as stored on results."""
    return {m: f"{MEASURE_INVARIANCE[m][0]}: {MEASURE_INVARIANCE[m][1]}" for m in measures}
