"""Level codes decode back to the data, in one gather for all groups."""

from __future__ import annotations

import numpy as np
import torch

from workbench.kernels import GroupCoding


def mixed_matrix(rng) -> tuple[torch.Tensor, list[tuple[int, ...]]]:
    """12 rows: a single column, a 3-level one-hot block, a group of two non-adjacent columns,
    and a continuous column; column 6 belongs to no group."""
    n = 12
    onehot = np.eye(3)[rng.permutation(np.arange(n) % 3)]
    pair_code = rng.permutation(np.arange(n) % 4)
    pair = np.column_stack([pair_code % 2 * 2.5, pair_code // 2 * -1.0])
    X = np.column_stack(
        [
            rng.permutation(np.arange(n) % 2),  # 0: binary
            onehot,  # 1-3: one-hot block
            pair[:, 0],  # 4: first column of the non-contiguous group
            rng.normal(size=n),  # 5: continuous
            np.full(n, 7.0),  # 6: in no group
            pair[:, 1],  # 7: second column of the non-contiguous group
        ]
    )
    return torch.tensor(X, dtype=torch.float32), [(0,), (1, 2, 3), (4, 7), (5,)]


def reference_decode(coding: GroupCoding, codes: torch.Tensor) -> torch.Tensor:
    """Group by group, as the kernels decoded before the single gather."""
    X = torch.zeros((codes.shape[0], coding.n_features), dtype=torch.float32)
    for g, cols in enumerate(coding.columns):
        X[:, cols] = coding.levels[g][codes[:, g]]
    return X


def test_decode_equals_the_group_by_group_decode(rng):
    X, groups = mixed_matrix(rng)
    coding = GroupCoding.from_matrix(X, groups)
    assert coding.n_levels == (2, 3, 4, 12)
    # Every level combination, not only the data's rows: perturbed rows mix levels freely.
    generator = torch.Generator().manual_seed(0)
    codes = torch.stack(
        [torch.randint(0, n, (200,), generator=generator) for n in coding.n_levels], dim=1
    )
    got = coding.decode(codes, torch.device("cpu"))
    torch.testing.assert_close(got, reference_decode(coding, codes), rtol=0, atol=0)
    # The data's own codes give the data back, with the column in no group read as 0.
    data = coding.decode(coding.codes, "cpu")
    grouped = [c for g in groups for c in g]
    torch.testing.assert_close(data[:, grouped], X[:, grouped], rtol=0, atol=0)
    assert (data[:, 6] == 0).all()


def test_decode_table_is_built_once_per_device(rng):
    X, groups = mixed_matrix(rng)
    coding = GroupCoding.from_matrix(X, groups)
    coding.decode(coding.codes[:3], "cpu")
    table = coding._decode_table(torch.device("cpu"))
    coding.decode(coding.codes[3:], torch.device("cpu"))
    assert coding._decode_table(torch.device("cpu")) is table
    assert coding.column_group.tolist() == [0, 1, 1, 1, 2, 3, 4, 2]  # 4 = in no group
