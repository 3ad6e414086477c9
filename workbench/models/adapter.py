"""The ModelAdapter: one interface to run any wrapped model on a batch, on one device.

Built by :func:`workbench.models.wrap_model` or :func:`workbench.models.load_model_file`;
``forward`` checks what the model returns (shape, dtype, finiteness) so every analysis can
trust it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from workbench.errors import DataError, ModelError, WorkbenchError
from workbench.losses import Loss
from workbench.models.fast_forward import FastForward

_MAX_MESSAGE_CHARS = 300
# float32 rounding of a probability computed in float64 stays well inside this.
_PROBABILITY_SLACK = 1e-6


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
    _fast: FastForward | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # The fused path reads ``module`` at every call, so hooks and edits still take effect.
        if self.module is not None:
            object.__setattr__(self, "_fast", FastForward(self.module, self.dtype))

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
            outputs = call_model(self._run_module, X.to(self.device, self.dtype))
            return self._checked_outputs(outputs, X.shape[0])

    def forward_scaled(self, scale: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs of every row under every column scaling: ``forward(scale[v] * inputs[r])``.

        The kernels' masked evaluations go through this one seam. For a stack of Linear
        layers and activations (``workbench.models.fast_forward``) a row whose moved columns
        are all zero is run once, not once per variant, and a wide first layer is assembled
        from the unscaled row's pre-activation plus the moved columns' terms.

        Parameters
        ----------
        scale : torch.Tensor
            (variants, features) float32 column scalings, on ``self.device``.
        inputs : torch.Tensor
            (rows, features) float32 rows, on ``self.device``.

        Returns
        -------
        torch.Tensor
            As ``forward`` for the (variants · rows) rows, variant-major.
        """
        if self._fast is not None and self._fits_scaled(scale, inputs):
            with torch.no_grad():
                scale = scale.to(self.device, self.dtype)
                inputs = inputs.to(self.device, self.dtype)
                outputs = call_model(lambda pair: self._fast.scaled(*pair), (scale, inputs))
            if outputs is not None:
                return self._checked_outputs(outputs, scale.shape[0] * inputs.shape[0])
        batch = (scale[:, None, :] * inputs[None, :, :]).reshape(-1, inputs.shape[1])
        return self.forward(batch)

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
        features = as_feature_tensor(X)  # (rows, features)
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
        digest.update((self._source_digest or module_digest(self.module)).encode())
        digest.update(self._unhashable_token.encode())
        return digest.hexdigest()

    def _fits_scaled(self, scale: torch.Tensor, inputs: torch.Tensor) -> bool:
        """Shapes the fast path takes; anything else gets ``forward``'s checks and messages."""
        if inputs.ndim != 2 or scale.ndim != 2 or scale.shape[1] != inputs.shape[1]:
            return False
        return self.n_features is None or inputs.shape[1] == self.n_features

    def _run_module(self, X: torch.Tensor) -> object:
        outputs = self._fast(X) if self._fast is not None else None
        return self.module(X) if outputs is None else outputs

    def _forward_on_cpu(self, X: torch.Tensor) -> torch.Tensor:
        rows = X.shape[0]
        if rows == 0:
            return torch.empty(self._output_shape(0), dtype=self.dtype, device=self.device)
        features = X.detach().to("cpu", self.dtype).numpy()  # (rows, features)
        step = self.max_rows_per_call or rows
        pieces = []
        for start in range(0, rows, step):
            chunk = features[start : start + step]
            outputs = call_model(self._run_cpu_function, chunk)
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
            elif self.task == "regression" and outputs.ndim == 2:
                # predict_proba (one column per class) wrapped as a regressor
                hint = (
                    "; columns look like class scores: wrap a classifier with task='classification'"
                )
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
        if self.output_kind == "probability":
            self._check_probabilities(outputs)
        return outputs

    def _check_probabilities(self, outputs: torch.Tensor) -> None:
        """A model wrapped with output='probability' must return values in [0, 1]: log-loss
        and log-odds of anything else are silently wrong."""
        if not bool(((outputs < -_PROBABILITY_SLACK) | (outputs > 1 + _PROBABILITY_SLACK)).any()):
            return
        low, high = float(outputs.min()), float(outputs.max())
        raise ModelError(
            f"output='probability' but the model returned values in [{low:.4g}, {high:.4g}], "
            "outside [0, 1]; wrap it with output='logit' (scores) or task='regression'"
        )


def call_model(function: Callable[[object], object], inputs: object) -> object:
    try:
        return function(inputs)
    except (WorkbenchError, MemoryError, torch.cuda.OutOfMemoryError):
        raise  # already readable, or for the caller to retry with smaller batches
    except Exception as error:
        raise ModelError(f"model raised {type(error).__name__}: {error_summary(error)}") from None


def error_summary(error: BaseException) -> str:
    """One line from an error message: its first, or TorchScript's last (the actual cause)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    line = lines[-1] if lines[0].startswith("The following operation failed in") else lines[0]
    return line[:_MAX_MESSAGE_CHARS]


def as_feature_tensor(X: object) -> torch.Tensor:
    data = getattr(X, "X", X)  # a Dataset carries its features as .X
    if isinstance(data, torch.Tensor):
        return data.detach().to("cpu", torch.float32)
    try:
        return torch.from_numpy(np.asarray(data, dtype=np.float32))
    except (TypeError, ValueError):
        raise DataError(f"X must be numeric (rows, features), got {type(data).__name__}") from None


def module_digest(module: torch.nn.Module) -> str:
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
