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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from workbench.errors import DataError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows
from workbench.kernels.coding import GroupCoding, MixedRadix
from workbench.losses import OUTPUT_KINDS
from workbench.progress import ProgressCallback

# Probabilities are clipped before taking log-odds so a saturated model stays finite.
DEFAULT_PROBABILITY_CLIP = 1e-7
#: the stage a kernel's progress callback is told, per batch of model rows
COALITION_STAGE = "coalition batches"
# int64 bitmasks: bit 63 is the sign, so at most 62 groups.
_MAX_GROUPS = 62


@dataclass(frozen=True, eq=False)
class PairGames:
    """The games of several (explained row, background row) pairs with d differing groups.

    For one explained row x and one background row b, f(x_S, b_{-S}) depends on S only
    through S ∩ D, D the groups where x and b differ: every other group is a null player.
    So the pair's game is one on its d = |D| differing groups, 2**d values instead of 2**p.

    Attributes
    ----------
    rows : Tensor
        (pairs,) int64 position of each pair's explained row (in the ``explained`` given).
    players : Tensor
        (pairs, d) int64 the differing groups, ascending: local player j is group players[:, j].
    values : Tensor
        (pairs, 2**d) float64 on the CPU: f(x_L, b_{-L}) on the game's scale for every local
        coalition bitmask L (bit j: group players[:, j] takes the explained row's value).
    """

    rows: torch.Tensor
    players: torch.Tensor
    values: torch.Tensor

    @property
    def n_players(self) -> int:
        return self.players.shape[1]


class CoalitionValueKernel:
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

    def pair_game_rows(self, explained: torch.Tensor) -> int:
        """Model rows ``pair_games`` would need before removing repeats: sum over pairs of 2**d."""
        _, row_codes, background_codes = self._codes(explained)
        counts = (row_codes[:, None, :] != background_codes[None, :, :]).sum(dim=2)
        return int((torch.ones_like(counts) << counts)[counts > 0].sum())

    def _codes(self, explained: torch.Tensor) -> tuple[GroupCoding, torch.Tensor, torch.Tensor]:
        """Level codes of the explained and background rows, over one shared coding."""
        coding = GroupCoding.from_matrix(
            torch.cat([explained.detach().to("cpu", torch.float32), self.background.cpu()]),
            self._group_columns,
        )
        n_rows = explained.shape[0]
        return coding, coding.codes[:n_rows], coding.codes[n_rows:]

    def pair_games(self, explained: torch.Tensor) -> Iterator[PairGames]:
        """The game of every (explained row, background row) pair, on its differing groups only.

        v_x(S) is the mean over background rows b of these games (extended by null players),
        and every Shapley index is linear in the game and blind to null players, so an index of
        v_x is the mean over b of the index of each pair's game. On data with discrete groups a
        row and a background row agree on many groups, and the pair needs 2**d model rows
        instead of 2**p: the work falls by orders of magnitude with the same answer. Pairs that
        differ in no group (constant games) are skipped.

        Parameters
        ----------
        explained : Tensor
            (rows, features) float32.

        Yields
        ------
        PairGames
            Batches of pairs sharing one d, each batch at most ``batch_rows`` model rows (or
            one pair).
        """
        coding, row_codes, background_codes = self._codes(explained)
        differs = (
            row_codes[:, None, :] != background_codes[None, :, :]
        )  # (rows, background, groups)
        counts = differs.sum(dim=2)  # (rows, background)
        evaluate = _DistinctRowValues(self, coding)
        pairs_per_d = torch.bincount(counts.reshape(-1), minlength=self.n_groups + 1)
        tell = self._batch_counter(
            sum(
                -(-int(pairs_per_d[d]) // max(1, self.batch_rows >> d))
                for d in range(1, self.n_groups + 1)
            )
        )
        for d in range(1, self.n_groups + 1):
            row_index, background_index = torch.nonzero(counts == d, as_tuple=True)
            if row_index.numel() == 0:
                continue
            players = torch.nonzero(differs[row_index, background_index])[:, 1].reshape(-1, d)
            per_batch = max(1, self.batch_rows >> d)
            for p0 in range(0, row_index.shape[0], per_batch):
                chunk = slice(p0, p0 + per_batch)
                values = self._pair_values(
                    row_codes[row_index[chunk]],
                    background_codes[background_index[chunk]],
                    players[chunk],
                    evaluate,
                )
                tell()
                yield PairGames(row_index[chunk], players[chunk], values)

    def _batch_counter(self, total: int) -> Callable[[], None]:
        """``tell()`` reports one more of ``total`` batches done (a first report: none yet)."""
        progress = self.progress
        if progress is None:
            return lambda: None
        done = iter(range(1, total + 1))
        progress(COALITION_STAGE, 0, total)
        return lambda: progress(COALITION_STAGE, next(done, total), total)

    def _pair_values(
        self,
        row_codes: torch.Tensor,
        background_codes: torch.Tensor,
        players: torch.Tensor,
        evaluate: _DistinctRowValues,
    ) -> torch.Tensor:
        """(pairs, 2**d) outputs for every local coalition of each pair's players."""
        n_pairs, d = players.shape
        n_local = 1 << d
        local_bits = ((torch.arange(n_local)[:, None] >> torch.arange(d)) & 1).bool()  # (2**d, d)
        out = torch.empty((n_pairs * n_local,), dtype=torch.float64)
        for k0 in range(0, n_pairs * n_local, self.batch_rows):
            k = torch.arange(k0, min(k0 + self.batch_rows, n_pairs * n_local))
            pair, local = k // n_local, k % n_local
            keep = torch.zeros((k.shape[0], self.n_groups), dtype=torch.bool)
            keep.scatter_(1, players[pair], local_bits[local])  # (k, groups)
            codes = torch.where(keep, row_codes[pair], background_codes[pair])  # (k, groups)
            out[k0 : k0 + k.shape[0]] = evaluate(codes)
        return out.reshape(n_pairs, n_local)

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


class _DistinctRowValues:
    """Model outputs of rows given as group codes, each distinct row evaluated once.

    Pair games of discrete data repeat the same inputs many times (across coalitions, pairs
    and batches): rows become mixed-radix keys, and only keys never seen before in this call
    reach the model. When the code space does not fit a key (many continuous levels, where
    repeats are rare anyway) rows are evaluated as they come.
    """

    def __init__(self, kernel: CoalitionValueKernel, coding: GroupCoding) -> None:
        self.kernel = kernel
        self.coding = coding
        self.radix = MixedRadix(coding.n_levels) if MixedRadix.fits(coding.n_levels) else None
        self.keys = torch.empty(0, dtype=torch.int64)  # sorted keys evaluated so far
        self.values = torch.empty(0, dtype=torch.float64)

    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        """(rows,) float64 CPU outputs for (rows, groups) codes."""
        device = self.kernel.device
        if self.radix is None:
            return self.kernel._evaluate(self.coding.decode(codes, device))
        unique, inverse = torch.unique(self.radix.encode(codes), return_inverse=True)
        position = torch.searchsorted(self.keys, unique).clamp_max(max(len(self.keys) - 1, 0))
        found = self.keys[position] == unique if len(self.keys) else torch.zeros_like(unique).bool()
        values = torch.empty(unique.shape[0], dtype=torch.float64)
        values[found] = self.values[position[found]]
        missing = unique[~found]
        if missing.numel():
            new = self.kernel._evaluate(self.coding.decode(self.radix.decode(missing), device))
            values[~found] = new
            keys = torch.cat([self.keys, missing])
            order = keys.argsort()
            self.keys, self.values = keys[order], torch.cat([self.values, new])[order]
        return values[inverse]


def all_coalitions(n_groups: int) -> torch.Tensor:
    """(2**n_groups,) int64: every bitmask over ``n_groups`` groups, in binary order."""
    return torch.arange(1 << n_groups, dtype=torch.int64)


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
