"""The registry's entries (``app.analyses.ANALYSES``) of interaction analyses over a data set's
features or fields: FISC over a Rashomon set of input scalings ("rashomon"), one model's
interaction indices ("interactions") and an index over a set of models ("model_set")."""

from __future__ import annotations

import analyzers.rashomon as rashomon
from analyzers.interaction_result import INTERACTION_INDICES
from analyzers.interactions import score_interactions
from analyzers.interactions.score import DEFAULT_ROWS
from analyzers.model_sets import explore_model_set
from analyzers.rashomon_parameters import APPROXIMATORS, ORDERS
from app.analysis_runs import (
    compute_interactions,
    compute_rashomon,
    read_interactions,
    read_rashomon,
)
from app.analysis_spec import SEED_BOUNDS, Analysis, signature_defaults
from app.model_set_analysis import (
    BUILDERS,
    DEFAULT_BOOTSTRAP,
    DEFAULT_MEMBERS,
    MODEL_SET_INDICES,
    compute_model_set,
    read_model_set,
)
from app.parameter_text import parse_radii, parse_switch

FISC_ANALYSES: dict[str, Analysis] = {
    "rashomon": Analysis(
        name="rashomon",
        compute=compute_rashomon,
        read=read_rashomon,
        chunked=True,
        defaults=signature_defaults(
            rashomon.explore_rashomon,
            [
                "epsilon_rate",
                "approximator",
                "n_permutations",
                "order",
                "delta",
                "radii",
                "absolute",
                "random_state",
            ],
        ),
        choices={"approximator": APPROXIMATORS, "order": ORDERS},
        converters={"radii": parse_radii, "absolute": parse_switch},
        bounds={
            "epsilon_rate": (1e-4, 10.0),
            # rings at r·ε: inside the set (r < 1) to well outside it
            "radii": (0.05, 10.0),
            "n_permutations": (1, 1000),
            "delta": (0.01, 0.5),
            "random_state": SEED_BOUNDS,
        },
    ),
    "interactions": Analysis(
        name="interactions",
        compute=compute_interactions,
        read=read_interactions,
        chunked=True,
        defaults=signature_defaults(
            score_interactions,
            [
                "index",
                "max_order",
                "approximator",
                "background",
                "random_state",
                "output",
                "probability_clip",
            ],
            # The analyzer's rows=None is a seeded sample of DEFAULT_ROWS ("fis": every row,
            # which _compute_interactions keeps); the form shows the count, a URL types it.
            rows=DEFAULT_ROWS,
        ),
        choices={
            "index": INTERACTION_INDICES,
            "max_order": (2, 3),
            "approximator": ("auto", "exact", "sampling", "permutation"),
            # None: the model's natural scale (logit for classifiers, value for regressors).
            "output": (None, "logit", "probability"),
        },
        bounds={
            "background": (1, 10_000),
            "random_state": SEED_BOUNDS,
            "rows": (1, 100_000),
            # The analyzer takes (0, 0.5): probabilities clipped to [clip, 1 - clip].
            "probability_clip": (1e-12, 0.49),
        },
    ),
}

MODEL_SET_ANALYSES: dict[str, Analysis] = {
    "model_set": Analysis(
        name="model_set",
        compute=compute_model_set,
        read=read_model_set,
        with_workspace=True,  # retrained members are cached in the workspace's store
        chunked=True,
        defaults=signature_defaults(
            explore_model_set,
            ["index", "epsilon_rate", "top_k", "random_state", "max_coalitions"],
            # The app's own, as `workbench rashomon-set` names them: the builder, the set's
            # size (seeds retrained, or dropout members), bootstrap resamples per seed and a
            # seeded sample of DEFAULT_ROWS explained rows (the analyzer's rows=None).
            builder=BUILDERS[0].name,
            members=DEFAULT_MEMBERS,
            n_bootstrap=DEFAULT_BOOTSTRAP,
            rows=DEFAULT_ROWS,
        ),
        choices={"builder": tuple(b.name for b in BUILDERS), "index": MODEL_SET_INDICES},
        bounds={
            "epsilon_rate": (1e-4, 10.0),
            "top_k": (1, 100),
            "random_state": SEED_BOUNDS,
            "members": (2, 1024),
            "n_bootstrap": (0, 10),
            # 2**22 coalitions is where exact stops (analyzers.interactions.shapley)
            "max_coalitions": (16, 1 << 22),
            "rows": (1, 100_000),
        },
    ),
}
