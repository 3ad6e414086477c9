"""Pair games: the game of each (explained row, background row) pair on its differing groups.

v_x(S) is the mean over background rows of the pairs' games, and a pair needs 2**d model rows
(d: the groups where the two rows differ) instead of 2**p; ``PairGameBuilder`` is mixed into
``CoalitionValueKernel``, whose coding, batch budget and progress it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from workbench.kernels.distinct_row_values import _DistinctRowValues


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


class PairGameBuilder:
    """``pair_games`` and what it needs; mixed into ``CoalitionValueKernel``."""

    def pair_game_rows(self, explained: torch.Tensor) -> int:
        """Model rows ``pair_games`` would need before removing repeats: sum over pairs of 2**d."""
        _, row_codes, background_codes = self._codes(explained)
        counts = (row_codes[:, None, :] != background_codes[None, :, :]).sum(dim=2)
        return int((torch.ones_like(counts) << counts)[counts > 0].sum())

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
