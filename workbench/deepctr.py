"""DeepCTR-Torch models (DCNMix, AutoInt, FiBiNET, AFM, IFM, DIFM) on our coded CTR fields.

An optional extra (``pip install 'workbench[deepctr]'``): nothing here imports ``deepctr_torch``
until a function is called. A DeepCTR-Torch model takes one float (rows, features) matrix whose
columns follow its ``feature_index`` (sparse ids, then dense values); with one ``SparseFeat`` per
field of a codes data set (``adult_fields``), in the data set's column order, that matrix is
``Dataset.X`` itself. So the trained model is a plain ``nn.Module`` for every analysis: the
perturbation indices permute whole fields (one group per field) and gates are read by module
path (``DEEPCTR_SITES``, found with ``workbench.sites.discover_sites``); the field embeddings
are the stacked site ``DEEPCTR_EMBEDDING_SITE`` (``"embedding_dict.*"``).

deepctr-torch 0.3.0's ``__init__`` calls ``utils.check_version``, which starts a non-daemon
thread that asks pypi.python.org for the latest release with no timeout (an offline import
hangs interpreter exit until the request fails) and imports ``requests``, which the package
does not declare. ``import_deepctr`` imports the package without that call; see there.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from workbench.data import Dataset
from workbench.errors import DataError, ModelError, ParameterError
from workbench.models.adapter import ModelAdapter

__all__ = [
    "DEEPCTR_EMBEDDING_SITE",
    "DEEPCTR_MODELS",
    "DEEPCTR_SITES",
    "build",
    "check_feature_index",
    "deepctr_feature_columns",
    "import_deepctr",
    "train_deepctr",
    "wrap_deepctr",
]

DEEPCTR_MODELS = ("DCNMix", "AutoInt", "FiBiNET", "AFM", "IFM", "DIFM")

# Gate-like sites of each model (paths for the default constructor arguments): site text ->
# SiteSpec keyword arguments (``parse_site(text, **DEEPCTR_SITES[model][text])``). AutoInt's and
# AFM's attention weights come from F.softmax inside forward, not from a module: they are
# function sites (``workbench.site_functions``), read by ``analyzers.attention_maps``.
DEEPCTR_SITES: dict[str, dict[str, dict[str, Any]]] = {
    # InteractingLayer's F.softmax(inner_product): (heads, rows, F, F), one per layer
    # (att_layer_num=3 by default).
    "AutoInt": {
        f"int_layers.{layer}@softmax": {"kind": "attention", "rows_axis": 1} for layer in range(3)
    },
    # AFMLayer's F.softmax over the field pairs (itertools.combinations order): (rows, pairs, 1).
    "AFM": {"fm@softmax": {"kind": "attention"}},
    # SENET excitation A (rows, fields) >= 0 rescales each field's embedding: 1 lets it through.
    "FiBiNET": {"SE.excitation.3": {"kind": "gate", "open_value": 1.0, "value_range": "[0, inf)"}},
    # One gating score per expert per cross layer: the shared Linear runs once per layer, so
    # layer l is call #l. The softmax over experts is outside the module: the scores are logits.
    "DCNMix": {
        "crossnet.gating.0": {"kind": "expert_gate", "value_range": "real"},
        "crossnet.gating.0#1": {"kind": "expert_gate", "value_range": "real"},
    },
    # m'_x: the input-aware factor is F * softmax(m'_x); equal logits (0) give every field 1.
    "IFM": {
        "transform_weight_matrix_P": {"kind": "gate", "open_value": 0.0, "value_range": "real"}
    },
    # m_x = m_vec + m_bit scales each field directly (1: plain FM); the sum is not a module.
    "DIFM": {
        "transform_matrix_P_vec": {"kind": "gate", "open_value": None, "value_range": "real"},
        "transform_matrix_P_bit": {"kind": "gate", "open_value": None, "value_range": "real"},
    },
}


# The field embeddings of every DeepCTR-Torch model: one nn.Embedding per field in
# ``embedding_dict`` (keyed by feature name, each called once per forward pass), joined as
# fields in the data set's order (``workbench.site_stacks``); the tables are their weights.
# Read only: ablations and attributions at the embeddings need one module holding every field.
DEEPCTR_EMBEDDING_SITE = "embedding_dict.*"


def _skip_version_check(version: str) -> None:
    """Stands in for ``deepctr_torch.utils.check_version``: no thread, no request."""


def import_deepctr() -> types.ModuleType:
    """``deepctr_torch``, imported without its network version check.

    ``deepctr_torch/__init__.py`` runs ``from .utils import check_version`` and then
    ``check_version(__version__)``. ``deepctr_torch.utils`` holds nothing else, and no other
    module of the package imports it, so a stub registered as ``sys.modules["deepctr_torch.utils"]``
    before the import is what ``from .utils import`` finds (the import system looks in
    ``sys.modules`` first): no thread starts, no socket opens, ``requests`` is never imported.
    This changes nothing global (unlike patching ``threading.Thread`` or ``requests.get`` for the
    length of the import, which would also hit other threads of the process). If
    ``deepctr_torch`` was imported before, without this function, its check has already run.

    Returns
    -------
    module
        The ``deepctr_torch`` package.

    Example
    -------
    >>> deepctr_torch = import_deepctr()  # doctest: +SKIP
    >>> deepctr_torch.models.DCNMix  # doctest: +SKIP
    """
    if "deepctr_torch" in sys.modules:
        return sys.modules["deepctr_torch"]
    if importlib.util.find_spec("deepctr_torch") is None:
        raise ModelError(
            "deepctr-torch is not installed; pip install 'workbench[deepctr]' "
            "(deepctr-torch==0.3.0)"
        )
    stub = types.ModuleType("deepctr_torch.utils", "Version check disabled by workbench.deepctr.")
    stub.check_version = _skip_version_check
    sys.modules["deepctr_torch.utils"] = stub
    try:
        import deepctr_torch
    except Exception:
        if sys.modules.get("deepctr_torch.utils") is stub:
            del sys.modules["deepctr_torch.utils"]
        raise
    deepctr_torch.utils = stub  # as a real submodule import would have set it
    return deepctr_torch


def deepctr_feature_columns(dataset: Dataset, embedding_dim: int = 8) -> list:
    """One ``SparseFeat`` per field of a codes data set, in its column order.

    Parameters
    ----------
    dataset : Dataset
        Coded fields with ``code_levels`` (``adult_fields``, ``synthetic_ctr``): the vocabulary
        of each field is its number of levels.
    embedding_dim : int
        Embedding width of every field.

    Returns
    -------
    list of deepctr_torch.inputs.SparseFeat
        Columns of the model's ``feature_index`` = columns of ``dataset.X``.
    """
    from workbench.zoo.ctr_data import field_vocab

    if int(embedding_dim) < 1:
        raise ParameterError(f"embedding_dim must be >= 1, got {embedding_dim}")
    vocab = field_vocab(dataset)
    dotted = [name for name in dataset.feature_names if "." in name]
    if dotted:  # DeepCTR keys an nn.ModuleDict by field name, which refuses dots
        raise DataError(f"field {dotted[0]!r}: DeepCTR-Torch field names cannot contain '.'")
    inputs = import_deepctr().inputs
    return [
        inputs.SparseFeat(name, vocabulary_size=size, embedding_dim=int(embedding_dim))
        for name, size in zip(dataset.feature_names, vocab, strict=True)
    ]


def check_feature_index(model: nn.Module, dataset: Dataset | None) -> None:
    """One line unless column j of ``dataset.X`` is what ``model.feature_index`` reads at j
    (with no data set: unless the model has a ``feature_index``)."""
    index = getattr(model, "feature_index", None)
    if index is None:
        raise ModelError(f"{type(model).__name__} has no feature_index: not a DeepCTR-Torch model")
    if dataset is None:
        return
    expected = [name for name, (a, b) in sorted(index.items(), key=lambda kv: kv[1][0])]
    widths = {name: b - a for name, (a, b) in index.items()}
    if expected != list(dataset.feature_names) or any(w != 1 for w in widths.values()):
        raise DataError(
            f"the model's feature_index reads {expected[:4]}..., the data set's columns are "
            f"{list(dataset.feature_names)[:4]}...: build both from the same fields"
        )


def train_deepctr(
    name: str,
    dataset: Dataset,
    *,
    epochs: int = 2,
    batch_size: int = 256,
    learning_rate: float = 0.01,
    embedding_dim: int = 8,
    random_state: int = 0,
    model_kwargs: Mapping[str, Any] | None = None,
) -> nn.Module:
    """A DeepCTR-Torch model trained on a codes data set with a short seeded loop.

    Parameters
    ----------
    name : str
        One of ``DEEPCTR_MODELS``.
    dataset : Dataset
        Coded fields and a 0/1 target (``adult_fields``); its ``X`` is the model's input.
    epochs, batch_size, learning_rate : int, int, float
        Adam on the log loss plus DeepCTR's own regularisation terms. The step is 10x
        DeepCTR's: its embeddings start at std 1e-4, and a few epochs at 1e-3 leave a model
        close to constant (SENET weights ~1e-6, interactions ~1e-10 on Adult).
    embedding_dim : int
        Width of every field embedding.
    random_state : int
        Seeds the initialisation (DeepCTR's ``seed``), dropout and the batch order; the
        caller's global torch RNG is left as it was (DeepCTR's constructor reseeds it).
    model_kwargs : mapping, optional
        Passed to the model class (``cross_num``, ``dnn_hidden_units``, ...).

    Returns
    -------
    nn.Module
        In eval mode, returning the click probability (rows, 1): hand analyses
        ``wrap_deepctr(model)``.

    Example
    -------
    >>> data = adult_fields().subset(range(2000))  # doctest: +SKIP
    >>> model = train_deepctr("FiBiNET", data)  # doctest: +SKIP
    >>> gate_statistics(wrap_deepctr(model), data, sites=["SE.excitation.3"])  # doctest: +SKIP
    """
    if dataset.y is None or not set(dataset.y.unique().tolist()) <= {0.0, 1.0}:
        raise DataError("dataset needs a 0/1 target to train a DeepCTR-Torch model")
    for arg, value in (("epochs", epochs), ("batch_size", batch_size)):
        if int(value) < 1:
            raise ParameterError(f"{arg} must be >= 1, got {value}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        model = _construct(dataset, name, embedding_dim, random_state, model_kwargs)
        _fit(model, dataset, int(epochs), int(batch_size), float(learning_rate), random_state)
    _detach_kept_scores(model)
    return model.eval()


def build(
    dataset: Dataset,
    name: str,
    embedding_dim: int = 8,
    random_state: int = 0,
    model_kwargs: Mapping[str, Any] | None = None,
) -> nn.Module:
    """An untrained DeepCTR-Torch model with the feature columns ``train_deepctr`` gives it.

    The factory of a DeepCTR model registered in a workspace or named on the command line
    (``--factory workbench.deepctr:build --factory-kwargs '{"name": "FiBiNET"}'``): the
    workbench passes the registered data set as ``dataset`` and the manifest's
    ``factory_kwargs`` as the rest, then loads the saved ``state_dict`` into the result. The
    columns come from the data set's fields and vocabulary sizes, so a model trained by
    ``train_deepctr`` on that data set with the same ``name``, ``embedding_dim`` and
    ``model_kwargs`` gets its parameters back exactly.

    Parameters
    ----------
    dataset : Dataset
        Coded fields with ``code_levels``, in the columns the model was trained on.
    name : str
        One of ``DEEPCTR_MODELS``.
    embedding_dim, random_state, model_kwargs
        As for ``train_deepctr`` (the seed only sets the initial weights a state_dict replaces).

    Returns
    -------
    nn.Module
        In eval mode, returning the click probability (rows, 1): register it with output
        "probability".

    Example
    -------
    >>> model = build(data, "FiBiNET", model_kwargs={"bilinear_type": "all"})  # doctest: +SKIP
    >>> model.load_state_dict(torch.load("fibinet.pt", weights_only=True))  # doctest: +SKIP
    """
    with torch.random.fork_rng(devices=[]):  # DeepCTR's constructor reseeds the global RNG
        torch.manual_seed(random_state)
        return _construct(dataset, name, embedding_dim, random_state, model_kwargs).eval()


def _construct(dataset, name, embedding_dim, random_state, model_kwargs) -> nn.Module:
    """The model class ``name`` on one ``SparseFeat`` per field (the caller seeds the RNG)."""
    if name not in DEEPCTR_MODELS:
        raise ParameterError(f"name must be one of {DEEPCTR_MODELS}, got {name!r}")
    columns = deepctr_feature_columns(dataset, embedding_dim)
    model_class = getattr(import_deepctr().models, name)
    try:
        return model_class(columns, columns, seed=random_state, **dict(model_kwargs or {}))
    except TypeError as error:  # an argument the model class does not take
        raise ParameterError(f"model_kwargs of {name}: {error}") from None


def _detach_kept_scores(model: nn.Module) -> None:
    """Detach the last batch's attention DeepCTR keeps on its layers
    (``InteractingLayer.normalized_att_scores``, ``AFMLayer.normalized_att_score``): after a
    training step they hold autograd graphs, which ``copy.deepcopy`` (``wrap_model`` copies the
    module) refuses. The value is kept; only its graph goes."""
    for module in model.modules():
        for name, value in list(vars(module).items()):
            if torch.is_tensor(value) and value.grad_fn is not None:
                setattr(module, name, value.detach())


def wrap_deepctr(model: nn.Module, device: str = "cpu") -> ModelAdapter:
    """A DeepCTR-Torch model as a ModelAdapter: a classifier that returns probabilities.

    Every analysis takes a bare torch module as a classifier returning logits; DeepCTR's
    models end in a sigmoid (``PredictionLayer``), so pass this adapter instead, or the loss
    of an ablation and the logit scale of the indices would read probabilities as logits.
    """
    from workbench.models import wrap_model

    check_feature_index(model, None)
    _detach_kept_scores(model)
    return wrap_model(model, task="classification", output="probability", device=device)


def _fit(model, dataset: Dataset, epochs: int, batch_size: int, lr: float, seed: int) -> None:
    check_feature_index(model, dataset)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(dataset.n_rows, generator=order).split(batch_size):
            if len(batch) < 2:  # CrossNetMix squeezes (1, features) to (features,)
                continue
            p = model(dataset.X[batch]).squeeze(1)  # (rows,) probabilities
            loss = nn.functional.binary_cross_entropy(p, dataset.y[batch])
            loss = loss + model.get_regularization_loss()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
