"""Which analysis options apply to which workspace model or data set, and why not.

The pages offer an option only where it can work, and say why it is not offered (hover text,
a one-line note), instead of letting a job fail after seconds with a library's own message.
Each function returns None when the option applies, else the one-line reason.
"""

from __future__ import annotations

from workbench.models.boosters import is_native_file

#: built-in sample models that are fitted scikit-learn trees (shap's TreeExplainer reads them)
TREE_SAMPLES = ("gbt",)
#: where fitted tree models live (shap's TreeExplainer supports these libraries' trees)
_TREE_MODULES = (
    "sklearn.tree",
    "sklearn.ensemble._forest",
    "sklearn.ensemble._gb",
    "sklearn.ensemble._hist_gradient_boosting",
    "xgboost",
    "lightgbm",
    "catboost",
)


def tree_index_reason(workspace, model: str) -> str | None:
    """Why index "tree" (shap's TreeSHAP) cannot score ``model``, or None when it can.

    Decided from the manifest where it can be (a sample model's kind), so offering the option
    never trains a model; only a model given from Python (already in memory) is inspected.
    """
    entry = workspace.model_entry(model)
    what = "tree SHAP reads the fitted trees of a tree model"
    if entry.kind == "sample":
        if entry.sample in TREE_SAMPLES:
            return None
        return f"{what}; {model!r} is a {entry.sample} model"
    if entry.kind == "memory":
        estimator = workspace.model(model).estimator
        if is_tree_estimator(estimator):
            return None
        return f"{what}; {model!r} is a {type(estimator).__name__}"
    if entry.kind == "file" and entry.path and is_native_file(entry.path):
        return None  # an xgboost/lightgbm file: the workspace keeps its Booster for shap
    return f"{what}; {model!r} is a {entry.kind} model, read through a torch adapter"


def is_tree_estimator(estimator) -> bool:
    """Whether ``estimator`` is a fitted tree model of a library shap's TreeExplainer reads."""
    return type(estimator).__module__.startswith(_TREE_MODULES)


def fisc_data_reason(workspace, data: str) -> str | None:
    """Why FISC (the Rashomon page) cannot analyse data set ``data``, or None when it can."""
    try:
        coded = bool(workspace.dataset(data).code_levels)
    except Exception as error:  # a data set that fails to load: the Overview says why
        return f"data set {data!r} does not load ({type(error).__name__})"
    if coded:
        return (
            f"FISC scales inputs, which means nothing for the coded fields of data set {data!r}; "
            "use the Interactions page's indices for it"
        )
    return None


def model_set_builder_reason(workspace, model: str, builder: str) -> str | None:
    """Why ``builder`` (a name of ``app.model_set_analysis.BUILDERS``) cannot build a Rashomon
    set of ``model``, or None when it can: retrain clones a scikit-learn estimator the
    workspace trained, dropout masks a torch model's hidden layers."""
    from app.model_set_analysis import builder_choice

    try:
        loaded = workspace.model(model)
    except Exception as error:  # a model that fails to load: the page says why elsewhere
        return f"model {model!r} does not load ({type(error).__name__})"
    return builder_choice(builder).reason(loaded)


def zoo_model_name(workspace, model: str) -> str | None:
    """The ``workbench.zoo`` registry name of a zoo model ("autoint", "optinter"...), else
    None. From the manifest where it says (never training a model to find out); a zoo model
    given from Python is in memory already, so its module is read."""
    entry = workspace.model_entry(model)
    if entry.kind != "zoo":
        return None
    if entry.sample:
        return entry.sample
    module = getattr(workspace.model(model).adapter, "module", None)
    return getattr(module, "name", None)


def attention_sites_of(workspace, model: str) -> list | None:
    """The attention sites the "intrinsic" analysis reads for ``model``: a "torch" entry's
    sites of kind "attention" (as ``workbench add-model --site-kind attention`` registers
    them), a zoo AutoInt's own; None when it has none."""
    entry = workspace.model_entry(model)
    if entry.kind == "torch":
        sites = [s for s in workspace.model(model).sites or [] if s.kind == "attention"]
        return sites or None
    if zoo_model_name(workspace, model) == "autoint":
        module = workspace.model(model).adapter.module
        return [s for s in module.site_specs() if s.kind == "attention"] or None
    return None


def intrinsic_source_reason(workspace, model: str, source: str) -> str | None:
    """Why the intrinsic-vs-measured view cannot read ``source`` ("own": the model's own pair
    weights; "attention": the mean attention at its attention sites) of ``model``, or None."""
    from analyzers.intrinsic_weights import INTRINSIC_MODELS

    entry = workspace.model_entry(model)
    name = zoo_model_name(workspace, model)
    if source == "own":
        if name in INTRINSIC_MODELS:
            return None
        return (
            f"own pair weights are read for the zoo's {', '.join(INTRINSIC_MODELS)}; "
            f"{model!r} is {'a zoo ' + name if name else 'a ' + entry.kind} model"
        )
    if source != "attention":
        return f"unknown source {source!r}; known: own, attention"
    if name == "autoint":
        return None
    if entry.kind == "torch" and any(
        isinstance(item, dict) and item.get("kind") == "attention" for item in entry.sites or []
    ):
        return None
    return (
        f"{model!r} has no attention sites: register your torch model with `workbench "
        "add-model ... --site PATH --site-kind attention` (a DeepCTR AutoInt's "
        "int_layers.0@softmax, AFM's fm@softmax); the zoo's AutoInt has its own"
    )


def optinter_reason(workspace, model: str) -> str | None:
    """Why OptInter's operation switches cannot run on ``model``, or None (an OptInter of
    the zoo)."""
    if zoo_model_name(workspace, model) == "optinter":
        return None
    return (
        f"operation switches force OptInter's memorize/factorize/naive choice per field pair; "
        f"{model!r} is not an OptInter of the zoo"
    )


def optfs_reason(workspace, model: str) -> str | None:
    """Why OptFS's search → ticket → retrain cannot run for ``model``, or None (an OptFS of
    the zoo, whose options the run trains with)."""
    if zoo_model_name(workspace, model) == "optfs":
        return None
    return (
        "OptFS's search → ticket → retrain learns a gate per feature value of an OptFS; "
        f"{model!r} is not an OptFS of the zoo"
    )
