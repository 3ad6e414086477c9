"""CTR model zoo: field embeddings, CTR data sets and gate/mask models.

``MODELS`` maps a model name to its class; ``build_model(name, dataset, **config)`` sizes a model
from a coded data set (``workbench.zoo.ctr_data``).
"""

from __future__ import annotations

from typing import Any

from workbench.errors import ParameterError
from workbench.zoo.autoint import AutoInt
from workbench.zoo.base import CtrModel, GateSite
from workbench.zoo.dcnv2 import DCNv2
from workbench.zoo.fcn import FCN
from workbench.zoo.finalmlp import FinalMLP
from workbench.zoo.gdcn import GDCN
from workbench.zoo.masknet import MaskNet
from workbench.zoo.optfs import OptFS
from workbench.zoo.optinter import OptInter

__all__ = ["MODELS", "CtrModel", "GateSite", "build_model", "check_config", "model_from_config"]

MODELS: dict[str, type[CtrModel]] = {
    "finalmlp": FinalMLP,
    "masknet": MaskNet,
    "gdcn": GDCN,
    "dcnv2": DCNv2,
    "autoint": AutoInt,
    "fcn": FCN,
    "optfs": OptFS,
    "optinter": OptInter,
}


def model_class(name: str) -> type[CtrModel]:
    """The class registered as ``name``; ParameterError listing the names otherwise."""
    if name not in MODELS:
        raise ParameterError(f"model: unknown CTR model {name!r}; choose from {', '.join(MODELS)}")
    return MODELS[name]


def check_config(name: str, config: dict[str, Any]) -> None:
    """A one-line ParameterError naming the first option ``name``'s class does not take
    (before, an unknown key surfaced as a TypeError traceback from the constructor)."""
    import inspect

    parameters = inspect.signature(model_class(name).__init__).parameters
    options = [p for p in parameters if p not in ("self", "vocab_sizes", "field_names")]
    unknown = [key for key in config if key not in options]
    if unknown:
        raise ParameterError(
            f"config: {name} has no option {unknown[0]!r}; its options are {', '.join(options)}"
        )


def build_model(name: str, dataset, **config: Any) -> CtrModel:
    """A fresh model sized for a coded data set (vocabularies and field names from its levels).

    Example
    -------
    >>> model = build_model("gdcn", adult_fields(), n_cross=2)
    """
    from workbench.zoo.ctr_data import field_vocab

    check_config(name, config)
    return model_class(name)(field_vocab(dataset), field_names=dataset.feature_names, **config)


def model_from_config(name: str, config: dict[str, Any]) -> CtrModel:
    """Rebuild an (untrained) model from the JSON config stored beside its weights."""
    try:
        return model_class(name)(**config)
    except TypeError as error:
        raise ParameterError(f"config of {name!r} does not fit the model: {error}") from None
