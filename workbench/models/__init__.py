"""Wrap a trained model as a ModelAdapter: batched forward on one device, with its loss.

Torch modules run as given (on a private copy). scikit-learn models whose maths is simple are
rebuilt as torch modules (``workbench.sklearn_convert``) so they batch on the GPU too; other
estimators and plain callables run on the CPU in numpy chunks. Whatever the model, ``forward``
returns float32 on the adapter's device with the shape the adapter's loss expects.

One job per module:

- ``adapter``: the :class:`ModelAdapter` (forward, predict, output checks, fingerprint);
- ``wrapping``: :func:`wrap_model`, which picks how a torch module, a scikit-learn estimator
  or a callable is run;
- ``runners``: how each kind of model runs (torch module, CPU estimator, Booster, callable);
- ``sklearn_estimators``: a scikit-learn estimator's checks, CPU predict function and digest;
- ``wrap_arguments``: checks of the arguments every wrapper shares (device, rows, classes);
- ``files``: :func:`load_model_file`, reading TorchScript, ``torch.export`` and joblib files.
"""

from workbench.models.adapter import ModelAdapter
from workbench.models.files import load_model_file
from workbench.models.wrapping import TASKS, wrap_model

__all__ = ["TASKS", "ModelAdapter", "load_model_file", "wrap_model"]
