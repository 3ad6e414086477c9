"""The registry's entries (``app.analyses.ANALYSES``) of CTR models' own parts: gates and
masks ("gates"), attention maps ("attention"), field embeddings ("embeddings"), and the model's
own interaction claims tested by intervention ("intrinsic", "optinter_switches", "optfs")."""

from __future__ import annotations

from analyzers.attention_maps import AttentionMapsResult, attention_maps
from analyzers.embeddings import analyze_embeddings
from analyzers.gates import analyze_gates
from analyzers.interaction_result import INTERACTION_INDICES
from analyzers.intrinsic_interactions import intrinsic_interactions
from analyzers.operation_switches import operation_switches
from analyzers.optfs_selection import optfs_selection
from app.analysis_runs import (
    compute_attention,
    compute_embeddings,
    compute_gates,
    read_embeddings,
    read_gates,
)
from app.analysis_spec import SEED_BOUNDS, Analysis, signature_defaults
from app.embedding_job import ATTRIBUTIONS
from app.intrinsic_runs import (
    INTRINSIC_SOURCES,
    compute_intrinsic,
    compute_operation_switches,
    compute_optfs,
    read_intrinsic,
    read_operation_switches,
    read_optfs,
)
from app.parameter_text import parse_field_pairs, parse_switch

# Held-out rows of a gate analysis, a seeded sample: the ablation's bootstrap and the field
# interactions run over every one of them. The app's and `workbench gates --rows`' default.
GATE_ROWS = 500

#: indices the intrinsic views measure field pairs with (not "tree": CTR models have no trees)
_PAIR_INDICES = tuple(index for index in INTERACTION_INDICES if index != "tree")

CTR_ANALYSES: dict[str, Analysis] = {
    "gates": Analysis(
        name="gates",
        compute=compute_gates,
        read=read_gates,
        defaults=signature_defaults(
            analyze_gates,
            [
                "n_bootstrap",
                "attribution_rows",
                "n_permutations",
                "compute_interactions",
                "random_state",
            ],
            switches=("compute_interactions",),
            # The app's own (analyze_gates takes the rows it is given): a seeded sample of the
            # held-out rows shared by every part; `workbench gates --rows` defaults to it too.
            rows=GATE_ROWS,
        ),
        choices={"compute_interactions": ("on", "off")},
        bounds={
            "n_bootstrap": (10, 10_000),
            "attribution_rows": (2, 10_000),
            "n_permutations": (1, 100),
            "random_state": SEED_BOUNDS,
            "rows": (2, 100_000),
        },
    ),
    "attention": Analysis(
        name="attention",
        compute=compute_attention,
        read=AttentionMapsResult.from_dict,
        # The app's own: the one case row a view shows (the analyzer takes any number).
        defaults=signature_defaults(attention_maps, ["sample", "random_state"], row=0),
        bounds={"row": (0, 10_000_000), "sample": (0, 100_000), "random_state": SEED_BOUNDS},
    ),
    "embeddings": Analysis(
        name="embeddings",
        compute=compute_embeddings,
        read=read_embeddings,
        defaults=signature_defaults(
            analyze_embeddings,
            [
                "projection",
                "projection_points",
                "n_components",
                "top_k",
                "max_rows",
                "max_points",
                "n_steps",
                "random_state",
            ],
            # The app's own (`workbench embeddings` too): which gate site colours the table
            # map ("auto": the model's first field-aligned one), a captum attribution colour,
            # the private-row Δloss (shared tables) and another model to compare by CKA.
            gate_site="auto",
            attribution="none",
            private_rows=False,
            compare_with="none",
        ),
        converters={"private_rows": parse_switch},
        with_workspace=True,
        # PCA by default (seconds): UMAP compiles numba code on its first fit (~30 s on 2 cores).
        choices={
            "projection": ("pca", "umap"),
            "projection_points": ("table", "rows"),
            "n_components": (2, 3),
            "attribution": ATTRIBUTIONS,
        },
        bounds={
            "top_k": (1, 100),
            "max_rows": (2, 1_000_000),
            "max_points": (3, 100_000),
            # fitting steps of the private-row variants: each is a pass over the training rows
            "n_steps": (1, 1000),
            "random_state": SEED_BOUNDS,
        },
    ),
}

INTRINSIC_ANALYSES: dict[str, Analysis] = {
    "intrinsic": Analysis(
        name="intrinsic",
        compute=compute_intrinsic,
        read=read_intrinsic,
        with_workspace=True,  # which sources apply is read from the manifest
        defaults=signature_defaults(
            intrinsic_interactions,
            ["index", "rows", "background", "random_state"],
            # The app's own: the model's own weights, or the attention at its attention sites
            # (the analyzer's attention_sites, which the app reads from the workspace entry).
            source=INTRINSIC_SOURCES[0],
        ),
        # "tree" reads a tree model, never a CTR model; the others score field pairs
        choices={"source": INTRINSIC_SOURCES, "index": _PAIR_INDICES},
        bounds={"rows": (2, 100_000), "background": (1, 10_000), "random_state": SEED_BOUNDS},
    ),
    "optinter_switches": Analysis(
        name="optinter_switches",
        compute=compute_operation_switches,
        read=read_operation_switches,
        with_workspace=True,
        defaults=signature_defaults(
            operation_switches,
            ["n_bootstrap", "index", "rows", "background", "random_state"],
            # The analyzer's pairs=None (every pair) as text a URL carries: "" or "a,b;c,d".
            pairs="",
        ),
        choices={"index": _PAIR_INDICES},
        converters={"pairs": parse_field_pairs},
        bounds={
            "n_bootstrap": (10, 10_000),
            "rows": (2, 100_000),
            "background": (1, 10_000),
            "random_state": SEED_BOUNDS,
        },
    ),
    "optfs": Analysis(
        name="optfs",
        compute=compute_optfs,
        read=read_optfs,
        with_workspace=True,  # trains on the model's whole data set, split as the recipe does
        defaults=signature_defaults(
            optfs_selection,
            ["max_epochs", "search_epochs", "random_state", "backbone"],
            switches=("backbone",),
        ),
        choices={"backbone": ("on", "off")},
        bounds={"max_epochs": (1, 1000), "search_epochs": (1, 1000), "random_state": SEED_BOUNDS},
    ),
}
