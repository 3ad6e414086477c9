"""Interaction Workbench: feature interactions, Rashomon-set interaction clouds, gates and
embeddings of trained models.

Public entry points::

    from workbench import Dataset, wrap_model
    from analyzers.rashomon import explore_rashomon
    workbench.open(models={"mlp": mlp}, data=frame, target="y")   # the web app, from Python
"""

from workbench.data import Dataset, FeatureGroup
from workbench.errors import DataError, ModelError, ParameterError, WorkbenchError
from workbench.models import ModelAdapter, load_model_file, wrap_model

__version__ = "0.1.0"


def open(models, data, **kwargs):  # shadows the builtin only as workbench.open
    """Serve the web app over in-memory models; see :func:`workbench.launch.open_app`."""
    from workbench.launch import open_app

    return open_app(models, data, **kwargs)


__all__ = [
    "DataError",
    "Dataset",
    "FeatureGroup",
    "ModelAdapter",
    "ModelError",
    "ParameterError",
    "WorkbenchError",
    "__version__",
    "load_model_file",
    "open",
    "wrap_model",
]
