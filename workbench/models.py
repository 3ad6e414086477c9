"""Wrap a trained model as a ModelAdapter: batched forward on one device, with its loss.

Torch modules run as given (on a private copy). scikit-learn models whose maths is simple are
rebuilt as torch modules (``workbench.sklearn_convert``) so they batch on the GPU too; other
estimators and plain callables run on the CPU in numpy chunks. Whatever the model, ``forward``
returns float32 on the adapter's device with the shape the adapter's loss expects.
"""

from __future__ import annotations

import copy
import hashlib
import numbers
import pickle
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch.export.passes import move_to_device_pass

from workbench.errors import DataError, ModelError, ParameterError, WorkbenchError
from workbench.losses import OUTPUT_KINDS, Loss, resolve_loss
from workbench.sklearn_convert import to_torch_module

TASKS = ("classification", "regression")
_TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts")
_JOBLIB_SUFFIXES = (".joblib", ".pkl")
_MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, eq=False)
class ModelAdapter:
    """A model seen through one interface: ``forward(X) -> outputs`` on ``device``.

    Build it with :func:`wrap_model` or :func:`load_model_file`.

    Attributes
    ----------
    task : "classification" or "regression"
    output_kind : "probability", "logit" or "value"
        What ``forward`` returns.
    loss : Loss
        The loss matching task and output kind.
    n_classes : int
        2 for binary (one output column), C for multi-class, 1 for regression.
    device : torch.device
    module : torch.nn.Module or None
        The torch module actually run (for hooks); None for models run on the CPU.
    max_rows_per_call : int or None
        Most rows one call of a CPU model receives (None: no limit). ``forward`` does not
        split the input of a torch module; ``predict`` splits every input.
    n_features : int or None
        Expected input width when known.
    """

    task: str
    output_kind: str
    loss: Loss
    n_classes: int
    device: torch.device
    module: torch.nn.Module | None
    max_rows_per_call: int | None
    n_features: int | None
    dtype: torch.dtype = torch.float32
    _cpu_function: Callable[[np.ndarray], object] | None = field(default=None, repr=False)
    _source_digest: str | None = field(default=None, repr=False)
    _unhashable_token: str = field(default="", repr=False)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Model outputs for a batch, without building an autograd graph.

        Parameters
        ----------
        X : torch.Tensor
            (rows, features) float32, ideally already on ``self.device``.

        Returns
        -------
        torch.Tensor
            float32 on ``self.device``: (rows,) for binary classification and regression,
            (rows, n_classes) for multi-class.

        Examples
        --------
        >>> adapter = wrap_model(torch.nn.Linear(3, 1), device="cpu")
        >>> adapter.forward(torch.zeros(5, 3)).shape
        torch.Size([5])
        """
        if X.ndim != 2:
            raise ModelError(f"X must be 2-D (rows, features), got shape {tuple(X.shape)}")
        if self.n_features is not None and X.shape[1] != self.n_features:
            raise ModelError(
                f"model expects {self.n_features} features, got X with {X.shape[1]} columns"
            )
        with torch.no_grad():
            if self.module is None:
                return self._forward_on_cpu(X)
            outputs = _call_model(self.module, X.to(self.device, self.dtype))
            return self._checked_outputs(outputs, X.shape[0])

    def predict(self, X: object) -> torch.Tensor:
        """Model outputs for any rows, in chunks of ``max_rows_per_call``, returned on the CPU.

        Parameters
        ----------
        X : numpy array, torch.Tensor (any device) or Dataset
            (rows, features) numeric.

        Returns
        -------
        torch.Tensor
            float32 on the CPU, the same kind of output as ``forward`` (see ``output_kind``).

        Examples
        --------
        >>> adapter = wrap_model(torch.nn.Linear(3, 1), device="cpu")
        >>> adapter.predict(np.zeros((5, 3))).shape
        torch.Size([5])
        """
        features = _as_feature_tensor(X)  # (rows, features)
        step = self.max_rows_per_call or max(features.shape[0], 1)
        chunks = features.split(step) if features.shape[0] else (features,)
        return torch.cat([self.forward(chunk.to(self.device)).cpu() for chunk in chunks])

    def fingerprint(self) -> str:
        """sha256 hex of the model's parameters and of how it is read; stable across processes.

        Torch models hash their structure and state_dict, scikit-learn models their
        parameters and fitted arrays. A plain callable (model or loss) cannot be hashed
        reliably (its code and the objects it reads may change under the same name), so it
        makes the fingerprint unique to this adapter: cached results are never reused for it,
        rather than wrong.

        Returns
        -------
        str
            64 hex characters.
        """
        digest = hashlib.sha256()
        digest.update(repr((self.task, self.output_kind, self.loss.name, self.n_classes)).encode())
        digest.update((self._source_digest or _module_digest(self.module)).encode())
        digest.update(self._unhashable_token.encode())
        return digest.hexdigest()

    def _forward_on_cpu(self, X: torch.Tensor) -> torch.Tensor:
        rows = X.shape[0]
        if rows == 0:
            return torch.empty(self._output_shape(0), dtype=self.dtype, device=self.device)
        features = X.detach().to("cpu", self.dtype).numpy()  # (rows, features)
        step = self.max_rows_per_call or rows
        pieces = []
        for start in range(0, rows, step):
            chunk = features[start : start + step]
            outputs = _call_model(self._run_cpu_function, chunk)
            pieces.append(self._checked_outputs(outputs, chunk.shape[0]))
        return torch.cat(pieces)

    def _run_cpu_function(self, chunk: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(self._cpu_function(chunk), dtype=np.float32))

    def _output_shape(self, rows: int) -> tuple[int, ...]:
        return (rows, self.n_classes) if self.n_classes > 2 else (rows,)

    def _checked_outputs(self, outputs: object, rows: int) -> torch.Tensor:
        """Outputs in the adapter's shape, dtype and device, or a ModelError saying why not."""
        if not isinstance(outputs, torch.Tensor):
            raise ModelError(f"model returned {type(outputs).__name__}, expected a tensor")
        outputs = outputs.to(self.device, self.dtype)
        if self.n_classes <= 2 and outputs.ndim == 2 and outputs.shape[1] == 1:
            outputs = outputs[:, 0]
        elif self.n_classes == 2 and outputs.ndim == 2 and outputs.shape[1] == 2:
            # Two columns for a binary model: class-0 and class-1 scores.
            if self.output_kind == "logit":
                outputs = outputs[:, 1] - outputs[:, 0]
            elif self.output_kind == "probability":
                outputs = outputs[:, 1]
        expected = self._output_shape(rows)
        if tuple(outputs.shape) != expected:
            hint = ""
            if self.task == "classification" and outputs.ndim == 2 and outputs.shape[1] > 2:
                hint = f"; for a {outputs.shape[1]}-class model pass n_classes={outputs.shape[1]}"
            raise ModelError(
                f"model returned shape {tuple(outputs.shape)}, expected {expected} "
                f"for {self.task} with n_classes={self.n_classes}{hint}"
            )
        finite = torch.isfinite(outputs)
        if not finite.all():
            bad_rows = (~finite).reshape(rows, -1).any(dim=1).nonzero()[:, 0]
            raise ModelError(
                f"model returned NaN or infinite outputs for {bad_rows.numel()} of {rows} rows "
                f"(first at row {int(bad_rows[0])})"
            )
        return outputs


def wrap_model(
    model: object,
    task: str = "classification",
    *,
    output: str | None = None,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    n_classes: int | None = None,
    max_rows_per_call: int | None = 65536,
) -> ModelAdapter:
    """Wrap a torch module, a fitted scikit-learn estimator or a callable as a ModelAdapter.

    Parameters
    ----------
    model : torch.nn.Module, fitted scikit-learn estimator or callable
        A torch module is deep-copied (yours is left untouched), put in eval mode and moved to
        ``device``; it must accept float32 (rows, features). MLP, linear and logistic models
        (also behind StandardScaler / MinMaxScaler in a Pipeline) become torch modules that
        return logits or values; other estimators run on the CPU with ``predict_proba``
        (classification) or ``predict`` (regression). A callable gets float32 numpy
        (rows, features) and returns (rows,) or (rows, classes).
    task : "classification" or "regression"
    output : "probability", "logit", "value" or None
        What the model returns. None: "logit" for torch classifiers, "probability" for
        callables and CPU estimators, "value" for regression.
    loss : None, "log_loss", "mse", "cross_entropy" or callable
        See :func:`workbench.losses.resolve_loss`; None picks the default for the task.
    device : "auto", "cpu", "cuda", "cuda:N", "mps" or torch.device
        "auto" picks "cuda" when available.
    n_classes : int or None
        Number of classes; read from scikit-learn classifiers, else 2 unless given.
    max_rows_per_call : int or None
        Most rows handed to a CPU model at once (None: no limit).

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> adapter = wrap_model(clf, device="cpu")
    >>> adapter.output_kind, adapter.loss.name
    ('logit', 'log_loss')
    """
    _check_task(task)
    return _wrap(
        model,
        task,
        output=output,
        loss=loss,
        device=_resolve_device(device),
        n_classes=n_classes,
        max_rows_per_call=_check_max_rows(max_rows_per_call),
        copy_module=True,
    )


def load_model_file(
    path: str | Path,
    task: str = "classification",
    *,
    output: str | None = None,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    n_classes: int | None = None,
    max_rows_per_call: int | None = 65536,
) -> ModelAdapter:
    """Load a saved model and wrap it (see :func:`wrap_model`).

    Warning: ``.joblib`` and ``.pkl`` files are pickles, and loading a pickle runs code
    chosen by whoever wrote the file. Only load files you created or trust.

    Parameters
    ----------
    path : str or Path
        ``.pt`` / ``.pth`` / ``.ts``: TorchScript (``torch.jit.script(m).save(path)``);
        ``.pt2``: a ``torch.export`` archive (``torch.export.save``) exported with a dynamic
        batch dimension; ``.joblib`` / ``.pkl``: a scikit-learn object (``joblib.dump``).
    task, output, loss, device, n_classes, max_rows_per_call
        As for :func:`wrap_model`.

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> adapter = load_model_file("model.pt2", device="cpu")  # doctest: +SKIP
    """
    _check_task(task)
    resolved_device = _resolve_device(device)
    max_rows_per_call = _check_max_rows(max_rows_per_call)
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {str(path)!r}")
    suffix = path.suffix.lower()
    n_features = None
    if suffix in _TORCHSCRIPT_SUFFIXES:
        model = _load_torchscript(path, resolved_device)
    elif suffix == ".pt2":
        model, n_features = _load_exported(path, resolved_device)
    elif suffix in _JOBLIB_SUFFIXES:
        model = _read_file(path, joblib.load)
    else:
        known = ", ".join((*_TORCHSCRIPT_SUFFIXES, ".pt2", *_JOBLIB_SUFFIXES))
        raise ModelError(f"model file {path.name!r} has an unknown extension; expected {known}")
    return _wrap(
        model,
        task,
        output=output,
        loss=loss,
        device=resolved_device,
        n_classes=n_classes,
        max_rows_per_call=max_rows_per_call,
        copy_module=False,  # the loaded object is ours alone
        n_features=n_features,
    )


def _wrap(
    model: object,
    task: str,
    *,
    output: str | None,
    loss: object,
    device: torch.device,
    n_classes: int | None,
    max_rows_per_call: int | None,
    copy_module: bool,
    n_features: int | None = None,
) -> ModelAdapter:
    if output is not None and output not in OUTPUT_KINDS:
        raise ParameterError(f"output must be one of {OUTPUT_KINDS} or None, got {output!r}")
    cpu_function = None
    source_digest = None
    if isinstance(model, torch.nn.Module):
        module = _prepared_module(model, device, copy_module)
        default_output = "logit" if task == "classification" else "value"
        n_features = n_features or _first_linear_width(module)
        n_classes = _resolve_n_classes(task, n_classes, known=None)
    elif isinstance(model, BaseEstimator):
        _check_sklearn_task(model, task)
        n_classes = _resolve_n_classes(task, n_classes, known=_sklearn_class_count(model, task))
        n_features = getattr(model, "n_features_in_", None)
        source_digest = _estimator_digest(model)
        converted = to_torch_module(model)
        if converted is not None:
            module = converted.to(device)
            default_output = "logit" if task == "classification" else "value"
        else:
            module = None
            cpu_function = _sklearn_cpu_function(copy.deepcopy(model), task)
            default_output = "probability" if task == "classification" else "value"
        if output is not None and output != default_output:
            raise ParameterError(
                f"output={output!r} does not match {type(model).__name__}, whose adapter "
                f"returns {default_output!r}; leave output=None"
            )
    elif callable(model):
        module = None
        cpu_function = model
        source_digest = "callable"
        default_output = "probability" if task == "classification" else "value"
        n_classes = _resolve_n_classes(task, n_classes, known=None)
    else:
        raise ModelError(
            "model must be a torch.nn.Module, a fitted scikit-learn estimator or a callable, "
            f"got {type(model).__name__} (for another library's model pass its predict_proba "
            "or predict method)"
        )
    output_kind = output or default_output
    unhashable_token = uuid.uuid4().hex if source_digest == "callable" or callable(loss) else ""
    if loss == "cross_entropy" and n_classes == 2:
        loss = "log_loss"  # the same maths, in the one-output form a binary adapter returns
    return ModelAdapter(
        task=task,
        output_kind=output_kind,
        loss=resolve_loss(loss, task=task, output_kind=output_kind, n_classes=n_classes),
        n_classes=n_classes,
        device=device,
        module=module,
        max_rows_per_call=max_rows_per_call,
        n_features=n_features,
        _cpu_function=cpu_function,
        _source_digest=source_digest,
        _unhashable_token=unhashable_token,
    )


def _check_task(task: object) -> None:
    if task not in TASKS:
        raise ParameterError(f"task must be 'classification' or 'regression', got {task!r}")


def _check_max_rows(max_rows_per_call: object) -> int | None:
    if max_rows_per_call is None:
        return None
    if (
        isinstance(max_rows_per_call, bool)
        or not isinstance(max_rows_per_call, numbers.Integral)
        or max_rows_per_call < 1
    ):
        raise ParameterError(
            f"max_rows_per_call must be a positive integer or None, got {max_rows_per_call!r}"
        )
    return int(max_rows_per_call)


def _resolve_device(device: str | torch.device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
        raise ParameterError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        )
    if resolved.type == "cuda" and (
        not torch.cuda.is_available() or (resolved.index or 0) >= torch.cuda.device_count()
    ):
        raise ParameterError(f"device={device!r} is not available here; use device='auto'")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ParameterError(f"device={device!r} is not available here; use device='auto'")
    return resolved


def _resolve_n_classes(task: str, n_classes: object, *, known: int | None) -> int:
    if task == "regression":
        if n_classes not in (None, 1):
            raise ParameterError(f"n_classes must be None for regression, got {n_classes!r}")
        return 1
    if known is not None and n_classes is not None and n_classes != known:
        raise ParameterError(f"n_classes={n_classes!r} but the model was fitted on {known} classes")
    value = known if known is not None else 2 if n_classes is None else n_classes
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise ParameterError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    return int(value)


def _prepared_module(
    module: torch.nn.Module, device: torch.device, copy_module: bool
) -> torch.nn.Module:
    if copy_module:
        module = copy.deepcopy(module)
    try:
        module.eval()
    except NotImplementedError:
        pass  # torch.export modules keep the mode they were exported in
    return module.to(device)


def _first_linear_width(module: torch.nn.Module) -> int | None:
    """in_features of the first leaf layer holding weights, when that layer is Linear."""
    for layer in module.modules():
        if next(layer.children(), None) is not None or next(layer.parameters(), None) is None:
            continue
        # TorchScript keeps the class name of a scripted Linear in original_name.
        is_linear = isinstance(layer, torch.nn.Linear) or (
            getattr(layer, "original_name", None) == "Linear"
        )
        weight = getattr(layer, "weight", None)
        if not is_linear or isinstance(weight, torch.nn.parameter.UninitializedParameter):
            return None
        return weight.shape[1]  # traced layers keep the weight but not in_features
    return None


def _check_sklearn_task(model: BaseEstimator, task: str) -> None:
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ModelError(
            f"model is not fitted: call {type(model).__name__}.fit(X, y) before wrapping it"
        ) from None
    if task == "classification" and is_regressor(model):
        raise ParameterError(f"{type(model).__name__} is a regressor; use task='regression'")
    if task == "regression" and is_classifier(model):
        raise ParameterError(f"{type(model).__name__} is a classifier; use task='classification'")


def _sklearn_class_count(model: BaseEstimator, task: str) -> int | None:
    if task != "classification":
        return None
    if not hasattr(model, "predict_proba"):
        raise ModelError(
            f"{type(model).__name__} has no predict_proba; wrap a function returning "
            "class probabilities instead"
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    if np.ndim(classes) != 1 or len(classes) < 2:
        raise ModelError(f"{type(model).__name__} must be fitted on 2 or more classes, one target")
    return len(classes)


def _sklearn_cpu_function(model: BaseEstimator, task: str) -> Callable[[np.ndarray], object]:
    method = model.predict_proba if task == "classification" else model.predict

    def predict(chunk: np.ndarray) -> object:
        with warnings.catch_warnings():
            # Fitted on a DataFrame, predicting on arrays: the columns are the same.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return method(chunk)

    return predict


def _load_torchscript(path: Path, device: torch.device) -> torch.nn.Module:
    def load(file: Path) -> torch.nn.Module:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(file), map_location=device)

    return _read_file(path, load, hint="save it with torch.jit.script(model).save(path)")


def _load_exported(path: Path, device: torch.device) -> tuple[torch.nn.Module, int | None]:
    program = _read_file(path, torch.export.load, hint="save it with torch.export.save")
    program = move_to_device_pass(program, device)
    shape = _first_input_shape(program)
    if shape and isinstance(shape[0], int):
        raise ModelError(
            f"{path.name} was exported for exactly {shape[0]} rows; export with "
            "dynamic_shapes=({0: torch.export.Dim('rows')},) so any number of rows works"
        )
    width = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
    return program.module(), width


def _first_input_shape(program: torch.export.ExportedProgram) -> tuple:
    """Shape of the first user input; an int per static dimension, a SymInt per dynamic one."""
    names = program.graph_signature.user_inputs
    for node in program.graph.nodes:
        if names and node.op == "placeholder" and node.name == names[0]:
            value = node.meta.get("val")
            return tuple(value.shape) if isinstance(value, torch.Tensor) else ()
    return ()


def _read_file(path: Path, reader: Callable[[Path], object], hint: str = "") -> object:
    try:
        return reader(path)
    except Exception as error:
        advice = f"; {hint}" if hint else ""
        raise ModelError(
            f"could not load {path.name}: {type(error).__name__}: {_summary(error)}{advice}"
        ) from None


def _call_model(function: Callable[[object], object], inputs: object) -> object:
    try:
        return function(inputs)
    except (WorkbenchError, MemoryError, torch.cuda.OutOfMemoryError):
        raise  # already readable, or for the caller to retry with smaller batches
    except Exception as error:
        raise ModelError(f"model raised {type(error).__name__}: {_summary(error)}") from None


def _summary(error: BaseException) -> str:
    """One line from an error message: its first, or TorchScript's last (the actual cause)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    line = lines[-1] if lines[0].startswith("The following operation failed in") else lines[0]
    return line[:_MAX_MESSAGE_CHARS]


def _as_feature_tensor(X: object) -> torch.Tensor:
    data = getattr(X, "X", X)  # a Dataset carries its features as .X
    if isinstance(data, torch.Tensor):
        return data.detach().to("cpu", torch.float32)
    try:
        return torch.from_numpy(np.asarray(data, dtype=np.float32))
    except (TypeError, ValueError):
        raise DataError(f"X must be numeric (rows, features), got {type(data).__name__}") from None


def _estimator_digest(estimator: BaseEstimator) -> str:
    """Hash of an estimator's parameters and fitted arrays.

    A pickle round trip first lays the arrays out the way a model loaded from a file has them
    (a fitted array can be a strided view), so a fitted model and its saved copy hash alike.
    """
    return "sklearn:" + joblib.hash(pickle.loads(pickle.dumps(estimator)))


def _module_digest(module: torch.nn.Module) -> str:
    """Hash of a module's structure (layer types, traced code) and of every tensor it holds."""
    digest = hashlib.sha256()
    codes = [getattr(layer, "code", None) for layer in module.modules()]
    digest.update(repr(module).encode())
    digest.update("".join(code for code in codes if isinstance(code, str)).encode())
    for name, tensor in sorted(module.state_dict().items()):
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"{name}:{flat.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return "torch:" + digest.hexdigest()
