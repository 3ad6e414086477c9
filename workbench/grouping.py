"""Feature groups: the units an analysis permutes or masks together, and how to form them.

A data set's columns are partitioned into named groups: one per column, by name prefix
(``Race=Asian``, ``Age>=30`` -> "Race", "Age"), as one-hot fields, or by an explicit mapping.
Kept apart from ``workbench.data`` so the grouping rules can be read (and changed) in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.errors import DataError

GROUP_KINDS = ("column", "prefix", "onehot", "custom")
GroupsSpec = str | Mapping[str, Sequence[str] | str] | None

_PREFIX_MARKERS = "=<>"
_SHOWN = 5  # names quoted in one error message


@dataclass(frozen=True)
class FeatureGroup:
    """Columns that an analysis treats as one unit.

    Attributes
    ----------
    name : str
        Name shown in results (a column name, a prefix such as "Race", or a field name).
    columns : tuple of int
        Indices into ``Dataset.feature_names`` (and the columns of ``Dataset.X``), ascending.
    kind : str
        "column", "prefix", "onehot" (a field expanded by ``categorical="onehot"``) or "custom".
    """

    name: str
    columns: tuple[int, ...]
    kind: str


def resolve_groups(
    groups: GroupsSpec, names: tuple[str, ...], onehot_fields: tuple[FeatureGroup, ...]
) -> tuple[FeatureGroup, ...]:
    """FeatureGroups for a grouping spec, ordered by their first column.

    Parameters
    ----------
    groups : None, "columns", "prefix" or mapping
        None/"columns": one group per column, except that each one-hot field is one group.
        "prefix": columns grouped by the text before the first ``=``, ``<`` or ``>``; columns
        without a marker stay alone. Mapping ``{group: [column or field names]}``: the listed
        groups (kind "custom"); one-hot fields the mapping does not touch stay whole; every
        other column forms its own group.
    names : tuple of str
        Feature names, one per column.
    onehot_fields : tuple of FeatureGroup
        Blocks made by one-hot encoding, named by their field.

    Returns
    -------
    tuple of FeatureGroup
        Not yet checked; ``check_partition`` does that.

    Example
    -------
    >>> [g.name for g in resolve_groups("prefix", ("Age>=30", "Age<=40", "Gender=Male"), ())]
    ['Age', 'Gender']
    """
    mode = "columns" if groups is None else groups if isinstance(groups, str) else None
    if mode == "columns":
        in_field = {column for f in onehot_fields for column in f.columns}
        blocks = [(f.name, f.columns, "onehot") for f in onehot_fields]
        blocks += [(name, (i,), "column") for i, name in enumerate(names) if i not in in_field]
    elif mode == "prefix":
        blocks, by_prefix = [], {}
        for i, name in enumerate(names):
            prefix = _prefix_of(name)
            if prefix is None:
                blocks.append((name, (i,), "column"))
            else:
                by_prefix.setdefault(prefix, []).append(i)
        field_columns = {f.name: f.columns for f in onehot_fields}
        for prefix, columns in by_prefix.items():
            kind = "onehot" if field_columns.get(prefix) == tuple(columns) else "prefix"
            blocks.append((prefix, tuple(columns), kind))
    elif mode is None and isinstance(groups, Mapping):
        blocks = _blocks_from_mapping(groups, names, onehot_fields)
    else:
        raise DataError(
            f"groups={groups!r}: expected None, 'columns', 'prefix' or a mapping "
            "{group: [columns]}"
        )
    ordered = sorted((min(cols), name, tuple(sorted(cols)), kind) for name, cols, kind in blocks)
    return tuple(FeatureGroup(name, cols, kind) for _, name, cols, kind in ordered)


def _prefix_of(name: str) -> str | None:
    """Text before the first of ``=``, ``<``, ``>``; None when there is no such marker."""
    cut = min((name.index(marker) for marker in _PREFIX_MARKERS if marker in name), default=0)
    return name[:cut] if cut > 0 else None


def _blocks_from_mapping(
    groups: Mapping[str, Any], names: tuple[str, ...], onehot_fields: tuple[FeatureGroup, ...]
) -> list[tuple[str, tuple[int, ...], str]]:
    index = {name: i for i, name in enumerate(names)}
    field_columns = {f.name: f.columns for f in onehot_fields}
    listed: set[int] = set()
    blocks = []
    for group_name, members in groups.items():
        if not isinstance(group_name, str) or not group_name:
            raise DataError(f"groups: group names must be non-empty strings, got {group_name!r}")
        columns: set[int] = set()
        for member in [members] if isinstance(members, str) else list(members):
            if member in index:
                columns.add(index[member])
            elif member in field_columns:
                columns.update(field_columns[member])
            else:
                raise DataError(
                    f"groups[{group_name!r}]: unknown column {member!r}; "
                    f"columns include {quote_names(names)}"
                )
        if not columns:
            raise DataError(f"groups[{group_name!r}] is empty; list at least one column")
        listed |= columns
        blocks.append((group_name, tuple(columns), "custom"))
    # A one-hot field the mapping leaves alone stays whole: its level columns mean nothing apart.
    for f in onehot_fields:
        if listed.isdisjoint(f.columns):
            blocks.append((f.name, f.columns, "onehot"))
            listed.update(f.columns)
    blocks += [(name, (i,), "column") for i, name in enumerate(names) if i not in listed]
    return blocks


def check_partition(groups: tuple[FeatureGroup, ...], names: tuple[str, ...]) -> None:
    """Raise DataError unless ``groups`` partition the columns under distinct, unambiguous names.

    A group may share its name with a column only when that column is in the group.

    Example
    -------
    >>> check_partition((FeatureGroup("a", (0,), "column"),), ("a", "b"))
    Traceback (most recent call last):
    workbench.errors.DataError: groups: columns 'b' belong to no group
    """
    owner: dict[int, int] = {}  # column -> position of its group
    for position, group in enumerate(groups):
        if not isinstance(group, FeatureGroup) or group.kind not in GROUP_KINDS:
            raise DataError(f"groups: expected FeatureGroup with kind in {GROUP_KINDS}")
        if not group.columns:
            raise DataError(f"groups: group {group.name!r} has no columns")
        for column in group.columns:
            if not 0 <= column < len(names):
                raise DataError(f"groups: group {group.name!r} refers to missing column {column}")
            if column in owner:
                raise DataError(
                    f"groups: column {names[column]!r} is in group {groups[owner[column]].name!r} "
                    f"and in group {group.name!r}"
                )
            owner[column] = position
    ungrouped = [name for i, name in enumerate(names) if i not in owner]
    if ungrouped:
        raise DataError(f"groups: columns {quote_names(ungrouped)} belong to no group")
    index = {name: i for i, name in enumerate(names)}
    for position, group in enumerate(groups):
        if group.name in index and owner[index[group.name]] != position:
            raise DataError(
                f"groups: group name {group.name!r} is also the name of a column outside it; "
                "rename the group or put the column in it"
            )
    seen: set[str] = set()
    for group in groups:
        if group.name in seen:
            raise DataError(f"groups: two groups are named {group.name!r}; rename one")
        seen.add(group.name)


def quote_names(names: Sequence[Any]) -> str:
    """The first few names, quoted, and how many there are in all: for one-line messages."""
    shown = ", ".join(repr(str(name)) for name in list(names)[:_SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOWN else "")
