"""The coalition-value kernel: the interventional game of every explained row, in bulk.

For an explained row x and a coalition S of groups, the interventional (marginal) value is

    v_x(S) = mean_b g(f(x_S, b_{-S}))

over the rows b of a background sample: the groups in S keep the row's own values, every other
group takes the background row's. ``g`` puts the model output on the requested scale (logit,
probability or value; see ``CoalitionValueKernel``). Every Shapley index (SII, STII, k-SII)
and Friedman's H² are functions of these values, so this is the one place those analyses run
the model.

Coalitions are bitmasks over groups (bit g set: group g is in S). One call evaluates all given
coalitions of all explained rows as stacked (coalitions, rows, background, features) batches
under the row budget of ``resolve_batch_rows``, on the adapter's device.

The games of single (row, background row) pairs live in ``workbench.kernels.pair_games``, the
output scales in ``workbench.kernels.game_scale`` (both mixed into the kernel), the per-call
cache of distinct rows' outputs in ``workbench.kernels.distinct_row_values``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from workbench.errors import DataError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows
from workbench.kernels.coding import GroupCoding
from workbench.kernels.distinct_row_values import _DistinctRowValues
from workbench.kernels.game_scale import (
    DEFAULT_PROBABILITY_CLIP,
    GameScale,
    _check_probability_clip,
    _resolve_class_index,
    _resolve_output,
)
from workbench.kernels.pair_games import PairGameBuilder, PairGames
from workbench.progress import ProgressCallback

__all__ = [
    "COALITION_STAGE",
    "DEFAULT_PROBABILITY_CLIP",
    "CoalitionValueKernel",
    "PairGames",
    "all_coalitions",
]

#: the stage a kernel's progress callback is told, per batch of model rows
COALITION_STAGE = "coalition batches"
# int64 bitmasks: bit 63 is the sign, so at most 62 groups.
_MAX_GROUPS = 62


class CoalitionValueKernel(PairGameBuilder, GameScale):
    """Interventional coalition values v_x(S) of a model, batched over rows and coalitions.

    Parameters
    ----------
    adapter : ModelAdapter
        The model (``forward``, ``device``, ``output_kind``, ``task``, ``n_classes``).
    group_columns : sequence of sequence of int
        The feature columns of each group, in group order (a partition of the columns).
    background : Tensor
        (background rows, features) float32: the rows absent groups are taken from.
    output : {"logit", "probability", "value"} or None
        Scale of the game. None: "logit" for classifiers (the scale SII is usually reported on
        for classifiers), "value" for regression.

        The "logit" scale of class c is its one-vs-rest log-odds log(p_c / (1 - p_c)). It is a
        function of the predicted probabilities alone, so a model gives the same game whether
        it returns logits or probabilities, and adding the same h(x) to every class logit
        (which changes no prediction) changes nothing; the raw logit of a class or its
        log-softmax would move with h. For two classes it is the usual binary logit. From
        logits it is computed stably as logit_c - logsumexp_{k != c} logit_k; from
        probabilities as log p_c - log(sum_{k != c} p_k) (for a binary model,
        log p - log(1 - p)), each probability clipped into
        [probability_clip, 1 - probability_clip]. "probability" uses p_c itself, with no clip.
    class_index : int or None
        Which class a multi-class model is explained for (required when n_classes > 2).
    max_batch_rows : int or None
        Model-input rows per forward pass; None sizes it from the device.
    probability_clip : float
        In (0, 0.5): the clip of probabilities on the logit scale. A model that outputs exact
        0/1 probabilities (a random forest, say) gets log-odds of about ±16 at the default
        1e-7, so its scores depend on this choice (``clipped_share`` tells how many rows it
        touches); the probability scale has no clip.

    Examples
    --------
    >>> kernel = CoalitionValueKernel(adapter, [g.columns for g in data.groups], data.X[:50])
    >>> games = kernel.values(data.X[:10], torch.arange(1 << data.n_groups))  # (10, 2**p)
    """

    def __init__(
        self,
        adapter,
        group_columns: Sequence[Sequence[int]],
        background: torch.Tensor,
        *,
        output: str | None = None,
        class_index: int | None = None,
        max_batch_rows: int | None = None,
        probability_clip: float = DEFAULT_PROBABILITY_CLIP,
        progress: ProgressCallback | None = None,
    ) -> None:
        if background.ndim != 2 or background.shape[0] < 1:
            raise DataError(
                f"background must be (rows >= 1, features), got shape {tuple(background.shape)}"
            )
        n_features = background.shape[1]
        if adapter.n_features is not None and adapter.n_features != n_features:
            raise DataError(
                f"background has {n_features} feature columns but the model expects "
                f"{adapter.n_features}"
            )
        if len(group_columns) > _MAX_GROUPS:
            raise ParameterError(
                f"coalition values support at most {_MAX_GROUPS} groups, got {len(group_columns)}"
            )
        self.adapter = adapter
        self.device = adapter.device
        self.output = _resolve_output(adapter, output)
        self.class_index = _resolve_class_index(adapter, class_index)
        self.probability_clip = _check_probability_clip(probability_clip)
        self.n_groups = len(group_columns)
        self.n_features = n_features
        column_group = torch.full((n_features,), -1, dtype=torch.int64)
        for g, columns in enumerate(group_columns):
            column_group[list(columns)] = g
        if (column_group < 0).any():
            missing = int(torch.nonzero(column_group < 0)[0, 0])
            raise DataError(f"feature column {missing} belongs to no group")
        self._column_group = column_group.to(self.device)  # (features,)
        self._group_columns = [tuple(int(c) for c in columns) for columns in group_columns]
        self.background = background.to(self.device, torch.float32)  # (background, features)
        self.batch_rows = resolve_batch_rows(
            max_batch_rows,
            self.device,
            estimate_bytes_per_row(adapter.module, n_features),
            adapter.max_rows_per_call if adapter.module is None else None,
        )
        self.rows_evaluated = 0
        # told (COALITION_STAGE, batches done, batches) as each call's batches finish, so a
        # job of minutes shows movement, not "0 / 1"
        self.progress = progress

    @property
    def n_background(self) -> int:
        return self.background.shape[0]

    def values(self, explained: torch.Tensor, coalitions: torch.Tensor) -> torch.Tensor:
        """v_x(S) for every explained row x and every coalition S.

        Parameters
        ----------
        explained : Tensor
            (rows, features) float32: the rows whose games are evaluated.
        coalitions : Tensor
            (coalitions,) int64 bitmasks over groups.

        Returns
        -------
        Tensor
            (rows, coalitions) float64 on the CPU.
        """
        if explained.ndim != 2 or explained.shape[1] != self.n_features:
            raise DataError(
                f"explained rows must be (rows, {self.n_features}), got {tuple(explained.shape)}"
            )
        coalitions = torch.as_tensor(coalitions, dtype=torch.int64).reshape(-1)
        if coalitions.numel() and (
            int(coalitions.min()) < 0 or int(coalitions.max()) >> self.n_groups
        ):
            raise ParameterError(f"coalitions must be bitmasks over {self.n_groups} groups")
        coding, row_codes, background_codes = self._codes(explained)
        evaluate = _DistinctRowValues(self, coding)
        if evaluate.radix is None:
            return self._values_of_inputs(explained, coalitions)
        n_rows, n_coalitions, n_background = (
            explained.shape[0],
            coalitions.shape[0],
            self.n_background,
        )
        totals = torch.zeros((n_coalitions, n_rows), dtype=torch.float64)
        keeps = ((coalitions[:, None] >> torch.arange(self.n_groups)) & 1).bool()  # (c, groups)
        chunks = self._chunks(n_rows, n_coalitions)
        tell = self._batch_counter(len(chunks))
        for (b0, b1), (r0, r1), (c0, c1) in chunks:
            codes = torch.where(
                keeps[c0:c1, None, None, :],
                row_codes[None, r0:r1, None, :],
                background_codes[None, None, b0:b1, :],
            )  # (c, r, b, groups)
            outputs = evaluate(codes.reshape(-1, self.n_groups)).reshape(codes.shape[:3])
            totals[c0:c1, r0:r1] += outputs.sum(dim=2)
            tell()
        return (totals / n_background).T

    def _values_of_inputs(self, explained: torch.Tensor, coalitions: torch.Tensor) -> torch.Tensor:
        """``values`` for data whose codes do not fit a key: inputs built and run as they come."""
        explained = explained.to(self.device, torch.float32)
        n_rows, n_coalitions = explained.shape[0], coalitions.shape[0]
        totals = torch.zeros((n_coalitions, n_rows), dtype=torch.float64, device=self.device)
        # (coalitions, features): whether each column keeps the explained row's value
        keeps = ((coalitions.to(self.device)[:, None] >> self._column_group[None, :]) & 1).bool()
        chunks = self._chunks(n_rows, n_coalitions)
        tell = self._batch_counter(len(chunks))
        for (b0, b1), (r0, r1), (c0, c1) in chunks:
            batch = torch.where(
                keeps[c0:c1, None, None, :],
                explained[None, r0:r1, None, :],
                self.background[None, None, b0:b1],
            )  # (c, r, b, features)
            # On the device: the outputs of a chunk are summed where they were computed.
            outputs = self._evaluate_on_device(batch.reshape(-1, self.n_features))
            totals[c0:c1, r0:r1] += outputs.reshape(batch.shape[:3]).sum(dim=2)
            tell()
        return (totals / self.n_background).T.cpu()

    def _chunks(self, n_rows: int, n_coalitions: int) -> list[tuple[tuple[int, int], ...]]:
        """(background, row, coalition) index ranges of batches within ``batch_rows``."""
        background_chunk = min(self.n_background, self.batch_rows)
        row_chunk = min(n_rows, max(1, self.batch_rows // background_chunk))
        coalition_chunk = max(1, self.batch_rows // (row_chunk * background_chunk))
        return [
            (
                (b0, min(b0 + background_chunk, self.n_background)),
                (r0, min(r0 + row_chunk, n_rows)),
                (c0, min(c0 + coalition_chunk, n_coalitions)),
            )
            for b0 in range(0, self.n_background, background_chunk)
            for r0 in range(0, n_rows, row_chunk)
            for c0 in range(0, n_coalitions, coalition_chunk)
        ]

    def _codes(self, explained: torch.Tensor) -> tuple[GroupCoding, torch.Tensor, torch.Tensor]:
        """Level codes of the explained and background rows, over one shared coding."""
        coding = GroupCoding.from_matrix(
            torch.cat([explained.detach().to("cpu", torch.float32), self.background.cpu()]),
            self._group_columns,
        )
        n_rows = explained.shape[0]
        return coding, coding.codes[:n_rows], coding.codes[n_rows:]

    def _batch_counter(self, total: int) -> Callable[[], None]:
        """``tell()`` reports one more of ``total`` batches done (a first report: none yet)."""
        progress = self.progress
        if progress is None:
            return lambda: None
        done = iter(range(1, total + 1))
        progress(COALITION_STAGE, 0, total)
        return lambda: progress(COALITION_STAGE, next(done, total), total)

    def _evaluate(self, inputs: torch.Tensor) -> torch.Tensor:
        """(rows,) float64 CPU outputs on the game's scale for (rows, features) inputs."""
        return self._evaluate_on_device(inputs).cpu()

    def _evaluate_on_device(self, inputs: torch.Tensor) -> torch.Tensor:
        """``_evaluate`` left on the adapter's device, for sums that stay there."""
        self.rows_evaluated += inputs.shape[0]
        return self._on_scale(self.adapter.forward(inputs))

    def predictions(self, explained: torch.Tensor) -> torch.Tensor:
        """(rows,) float64 model output on the game's scale: v_x(all groups)."""
        full = torch.tensor([(1 << self.n_groups) - 1], dtype=torch.int64)
        return self.values(explained, full)[:, 0]


def all_coalitions(n_groups: int) -> torch.Tensor:
    """(2**n_groups,) int64: every bitmask over ``n_groups`` groups, in binary order."""
    return torch.arange(1 << n_groups, dtype=torch.int64)
