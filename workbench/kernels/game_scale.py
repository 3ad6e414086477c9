"""Model outputs on a coalition game's scale: logit, probability or value.

``CoalitionValueKernel`` plays its games on one scale (its ``output``); ``GameScale`` is mixed
into it and turns raw model outputs (logits, probabilities or values, per class or binary) into
that scale, with probabilities clipped before taking log-odds. The ``_resolve_*``/``_check_*``
functions read and check the kernel's scale arguments.
"""

from __future__ import annotations

import torch

from workbench.errors import ParameterError
from workbench.losses import OUTPUT_KINDS

# Probabilities are clipped before taking log-odds so a saturated model stays finite.
DEFAULT_PROBABILITY_CLIP = 1e-7


class GameScale:
    """Outputs on the game's scale; mixed into ``CoalitionValueKernel``.

    Reads the kernel's ``adapter``, ``output``, ``class_index`` and ``probability_clip``.
    """

    def outputs_on_scale(self, rows: torch.Tensor) -> torch.Tensor:
        """(rows,) float64 CPU model outputs of ``rows`` (rows, features) on the game's scale."""
        if rows.shape[0] == 0:
            return torch.empty(0, dtype=torch.float64)
        return self._on_scale(self.adapter.predict(rows))

    def clipped_share(self, rows: torch.Tensor) -> float:
        """Share of ``rows`` (rows, features) whose output ``probability_clip`` changes.

        0.0 unless a probability output is put on the logit scale. A row counts when the class
        probability (or the sum of the other classes') is below the clip: its log-odds are
        the clip's, not the model's.
        """
        if self.adapter.output_kind != "probability" or self.output != "logit":
            return 0.0
        if rows.shape[0] == 0:
            return 0.0
        outputs = self.adapter.predict(rows).to(torch.float64)  # (rows[, classes])
        own, rest = self._class_and_rest(outputs)
        clipped = (own < self.probability_clip) | (rest < self.probability_clip)
        return float(clipped.double().mean())

    def _class_and_rest(self, probabilities: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows,) p_c and the (rows,) probability of the other classes."""
        if probabilities.ndim == 1:  # binary: p of class 1
            return probabilities, 1.0 - probabilities
        own = probabilities[:, self.class_index]
        # Summing the other classes keeps the precision that 1 - p_c loses when p_c is near 1.
        return own, probabilities.sum(dim=1) - own

    def _on_scale(self, outputs: torch.Tensor) -> torch.Tensor:
        """Model outputs (rows[, classes]) as float64 (rows,) on the game's scale."""
        outputs = outputs.to(torch.float64)
        kind, wanted = self.adapter.output_kind, self.output
        if kind == "value" or kind == wanted:
            if outputs.ndim == 1 or kind == "probability":
                return outputs if outputs.ndim == 1 else outputs[:, self.class_index]
            others = torch.cat(
                [outputs[:, : self.class_index], outputs[:, self.class_index + 1 :]], dim=1
            )
            return outputs[:, self.class_index] - torch.logsumexp(others, dim=1)
        if kind == "logit":  # wanted: probability
            if outputs.ndim == 1:
                return torch.sigmoid(outputs)
            return torch.softmax(outputs, dim=1)[:, self.class_index]
        own, rest = self._class_and_rest(outputs)  # probability on the logit scale
        clip = self.probability_clip
        return own.clamp(clip, 1.0 - clip).log() - rest.clamp(clip, 1.0 - clip).log()


def _resolve_output(adapter, output: str | None) -> str:
    if output is None:
        return "logit" if adapter.task == "classification" else "value"
    if output not in OUTPUT_KINDS:
        raise ParameterError(f"output must be one of {OUTPUT_KINDS} or None, got {output!r}")
    if (adapter.task == "regression") != (output == "value"):
        allowed = "'value'" if adapter.task == "regression" else "'logit' or 'probability'"
        raise ParameterError(
            f"output={output!r} does not fit a {adapter.task} model; use {allowed}"
        )
    return output


def _check_probability_clip(probability_clip: object) -> float:
    if isinstance(probability_clip, bool) or not isinstance(probability_clip, int | float):
        raise ParameterError(f"probability_clip must be a number, got {probability_clip!r}")
    if not 0.0 < float(probability_clip) < 0.5:
        raise ParameterError(f"probability_clip must be in (0, 0.5), got {probability_clip!r}")
    return float(probability_clip)


def _resolve_class_index(adapter, class_index: int | None) -> int | None:
    if adapter.n_classes <= 2:
        if class_index not in (None, 1):
            raise ParameterError(
                f"class_index={class_index!r}: a binary model is explained for class 1 only"
            )
        return None
    if class_index is None or not 0 <= int(class_index) < adapter.n_classes:
        raise ParameterError(
            f"class_index must be in 0..{adapter.n_classes - 1} for a "
            f"{adapter.n_classes}-class model, got {class_index!r}"
        )
    return int(class_index)
