"""Interaction Workbench: feature interactions, Rashomon-set interaction clouds, gates and
embeddings of trained models.

Public entry points::

    from workbench import Dataset, wrap_model
    from analyzers.rashomon import explore_rashomon
    app.open(models={"mlp": mlp}, data=frame, target="y")   # the web app, from Python (app/)
"""

from workbench.data import Dataset, FeatureGroup
from workbench.errors import DataError, ModelError, ParameterError, WorkbenchError
from workbench.models import ModelAdapter, load_model_file, wrap_model

__version__ = "0.1.0"


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
    "wrap_model",
]
