"""Exact focus rows of many foci at once: one sort, one weight sum and one decode per batch.

Building a focus's rows is a few dozen small tensor operations; on a GPU each is a launch and
the merge waits on the device, so a call with hundreds of foci (the pairs of a FISC run) spent
its time on the host. Here the foci of one level-count signature go through the same steps
together: their perturbed row keys form one (foci, rows) matrix, sorted per row; a running
count of new keys numbers every focus's distinct rows in one global index, so one
``index_add_`` sums all label statistics and one decode builds all inputs. Each focus gets the
same rows, in the same order, with the same sums as the per-focus build (``_exact_rows`` and
``_distinct`` in focus_rows), so results do not change.
"""

from __future__ import annotations

import torch

# Elements of the (foci, subsets, patterns, combos, stats) weight tensor one batch may build.
_BATCH_ELEMENTS = 1 << 22


def batch_size(kernel, n_combos: int, n_subsets: int) -> int:
    """Foci per batch so that the batch's weight tensor stays within ``_BATCH_ELEMENTS``."""
    per_focus = n_subsets * kernel.n_patterns * n_combos * kernel._row_stats.shape[1]
    return max(1, _BATCH_ELEMENTS // max(per_focus, 1))


def exact_rows_batch(kernel, foci: list[tuple[int, ...]], focus_rows_type) -> list:
    """FocusRows of each focus (all of one level-count signature), built together.

    Needs the kernel's mixed-radix keys (``kernel._radix``) and the independent or joint
    weights of ``kernel._replaced_weights``.
    """
    device, radix = kernel.device, kernel._radix
    base, stats = kernel._base_codes, kernel._base_stats  # (patterns, G'), (patterns, stats)
    combos = kernel._level_combos(tuple(kernel.coding.n_levels[g] for g in foci[0]))
    n_foci, (n_patterns, n_stats), n_combos = len(foci), stats.shape, combos.shape[0]
    index = torch.tensor(foci, dtype=torch.int64).to(device)  # (foci, k)
    own_codes = base[:, index].permute(1, 0, 2)  # (foci, patterns, k)
    place = radix.place[index].unsqueeze(1)  # (foci, 1, k)
    rest = kernel._base_keys.unsqueeze(0) - (own_codes * place).sum(dim=-1)  # (foci, patterns)
    rows = rest.unsqueeze(2) + (combos.unsqueeze(0) * place).sum(dim=-1).unsqueeze(1)
    rows = rows.reshape(n_foci, n_patterns * n_combos)  # keys, p-major as in _exact_rows
    # Distinct keys per focus: sorted per row, numbered globally by a running count of new keys.
    ordered, order = rows.sort(dim=1)
    new = torch.ones_like(ordered, dtype=torch.bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    numbers = new.reshape(-1).cumsum(0) - 1
    inverse = torch.empty_like(order).scatter_(1, order, numbers.reshape(n_foci, -1))
    keys = ordered.reshape(-1)[new.reshape(-1)]  # (distinct rows of all foci,)
    owner = torch.arange(n_foci, device=device).repeat_interleave(new.sum(dim=1))
    weighted = _weights(kernel, foci, index, combos, own_codes, stats)  # (s., foci·p·c, stats)
    weights = torch.zeros(
        (weighted.shape[0], keys.shape[0], n_stats), dtype=torch.float64, device=device
    )
    weights.index_add_(1, inverse.reshape(-1), weighted)
    used = weights.abs().sum(dim=(0, 2)) > 0
    counts = torch.zeros(n_foci, dtype=torch.int64, device=device)
    counts = counts.index_add_(0, owner, used.to(torch.int64)).tolist()
    # Each distinct row is its first source (pattern p at combo c) with the focus codes set:
    # a row gather and a k-column scatter instead of decoding every key and every column.
    source = order.reshape(-1)[new.reshape(-1)][used]
    pattern, combo = source // n_combos, source % n_combos
    focus_groups = index[owner[used]]  # (rows, k)
    codes = base[pattern].scatter_(1, focus_groups, combos[combo])
    weights = weights[:, used]
    n_groups = kernel.coding.n_groups
    labels = None
    if kernel._label_values is not None:
        labels = kernel._label_values[codes[:, n_groups]]
    inputs = _inputs(kernel, foci, pattern, focus_groups, combos[combo], codes)
    built, start = [], 0
    for count in counts:
        part = slice(start, start + count)
        part_labels = None if labels is None else labels[part]
        rows_of_focus = focus_rows_type(
            codes[part], inputs[part], weights[:, part] / kernel.n_rows, part_labels, "exact"
        )
        built.append(rows_of_focus)
        start += count
    return built


def _weights(kernel, foci, index, combos, own_codes, stats) -> torch.Tensor:
    """(subsets, foci · patterns · combos, stats): each perturbed row's statistics per subset."""
    bits = kernel._subset_bits(len(foci[0]))  # (subsets, k)
    own = combos[None, None] == own_codes.unsqueeze(2)  # (foci, patterns, combos, k)
    kept = (own.unsqueeze(1) | bits[None, :, None, None, :]).all(dim=-1)  # (f., s., p., c.)
    if kernel.permutation != "joint" or len(foci[0]) < 2:
        table, offsets = kernel._marginal_table()
        marginal = table[combos.unsqueeze(0) + offsets[index].unsqueeze(1)]  # (foci, combos, k)
        ones = torch.ones((), dtype=torch.float64, device=combos.device)
        replaced = torch.where(bits[None, :, None, :], marginal.unsqueeze(1), ones).prod(dim=-1)
    else:  # each subset of each focus reads its own joint table
        replaced = torch.stack(
            [kernel._replaced_weights(f, i, combos, bits) for f, i in zip(foci, index, strict=True)]
        )  # (foci, subsets, combos)
    weight = kept * replaced.unsqueeze(2)
    weighted = weight.unsqueeze(-1) * stats[None, None, :, None, :]  # (f., s., p., c., stats)
    return weighted.transpose(0, 1).reshape(bits.shape[0], -1, stats.shape[1])


def _inputs(kernel, foci, pattern, focus_groups, focus_codes, codes) -> torch.Tensor:
    """(rows, features) decoded inputs: the pattern's inputs with the focus columns set.

    When every focus group is one column, its value is one lookup in the coding's decode table
    (the values ``GroupCoding.decode`` copies); otherwise the rows are decoded whole.
    """
    coding, device = kernel.coding, kernel.device
    if any(coding.columns[g].numel() != 1 for focus in foci for g in focus):
        return coding.decode(codes[:, : coding.n_groups], device)
    table, _, offset, _ = coding._decode_table(torch.device(device))
    columns = kernel._group_column()[focus_groups]  # (rows, k)
    values = table[offset[columns] + focus_codes]
    return kernel._base_inputs()[pattern].scatter_(1, columns, values)
