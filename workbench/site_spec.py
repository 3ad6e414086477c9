"""What a site is: one call of one module (or of a function inside it) of a model, its kind
and what a value there means (``SiteSpec``), and the ``"path@function#call"`` text that names one
(``parse_site``). The overview of sites is in ``workbench.sites``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from workbench.errors import ParameterError
from workbench.site_functions import check_function

# kind -> (open_value, value_range, field_aligned): what a site of that kind is unless told.
SITE_KIND_DEFAULTS: dict[str, tuple[float | None, str, bool]] = {
    "gate": (1.0, "(0, 1)", True),
    "mask": (1.0, "real", True),
    "cross": (None, "real", True),
    "expert_gate": (None, "simplex", False),
    "embedding": (None, "real", True),
    # (rows, heads, F, F) attention maps (AutoInt): read by the intrinsic-interaction analysis,
    # refused by the gate analyses, which need (rows, width) outputs.
    "attention": (None, "simplex", False),
}
FROM_KIND = "from kind"  # default of open_value, value_range, field_aligned: the kind's default


@dataclass(frozen=True)
class SiteSpec:
    """One call of one module of a model, whose output is read or replaced.

    Attributes
    ----------
    path : str
        Dotted module path (``model.get_submodule(path)``).
    call : int
        Which call of the module in one forward pass (0: the first).
    kind : str
        One of ``SITE_KIND_DEFAULTS`` (as ``workbench.zoo.GateSite.kind``).
    open_value : float or None
        The value that lets everything through (1 for multiplicative gates); None: none exists.
    value_range : str
        For display: "(0, 1)", "real", "simplex", ...
    field_aligned : bool
        Whether the flattened per-row output holds field f at ``field_slices[f]``.
        These three default to the kind's (``SITE_KIND_DEFAULTS``).
    field_slices : tuple of (start, stop) or None
        Columns of each field on the flattened output; None: an equal split over the fields,
        filled in by ``measure_sites``.
    width : int or None
        Size of the flattened per-row output; None until ``measure_sites``.
    label : str or None
        Display name (the zoo's tap name); default ``path``, ``path@function``, ``...#call``.
    function : str or None
        A function called inside the module's forward (``workbench.site_functions``): the site
        is that function's call ``call`` there, not the module's output.
    rows_axis : int
        Axis of the output that holds the rows (moved first before flattening).
    members : tuple of str or None
        For a stacked path (``"embedding_dict.*"``): the children joined, in field order; None:
        every child (``measure_sites`` orders children named by field in the data's order).
    """

    path: str
    call: int = 0
    kind: str = "gate"
    open_value: float | str | None = FROM_KIND
    value_range: str = FROM_KIND
    field_aligned: bool | str = FROM_KIND
    field_slices: tuple[tuple[int, int], ...] | None = None
    width: int | None = None
    label: str | None = None
    function: str | None = None
    rows_axis: int = 0
    members: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in SITE_KIND_DEFAULTS:
            raise ParameterError(
                f"site kind must be one of {tuple(SITE_KIND_DEFAULTS)}, got {self.kind!r}"
            )
        if int(self.call) < 0:
            raise ParameterError(f"site {self.path!r}: call index must be >= 0, got {self.call}")
        if self.function is not None:
            check_function(self.function, self.key)
        if int(self.rows_axis) < 0:
            raise ParameterError(f"site {self.key!r}: rows_axis must be >= 0, got {self.rows_axis}")
        defaults = SITE_KIND_DEFAULTS[self.kind]
        for name, default in zip(
            ("open_value", "value_range", "field_aligned"), defaults, strict=True
        ):
            if getattr(self, name) == FROM_KIND:
                object.__setattr__(self, name, default)

    @property
    def key(self) -> str:
        """What is hooked: the module path, or ``path@function`` for a function site."""
        return self.path if self.function is None else f"{self.path}@{self.function}"

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        return self.key if self.call == 0 else f"{self.key}#{self.call}"

    def slices(self) -> tuple[slice, ...]:
        """Columns of each field as slices (``field_slices`` must be known)."""
        if self.field_slices is None:
            raise ParameterError(f"site {self.name!r} has no field slices yet; measure it first")
        return tuple(slice(a, b) for a, b in self.field_slices)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SiteSpec:
        d = dict(d)
        if d.get("field_slices") is not None:
            d["field_slices"] = tuple(tuple(pair) for pair in d["field_slices"])
        if d.get("members") is not None:
            d["members"] = tuple(d["members"])
        return cls(**d)


def parse_site(text: str, kind: str = "gate", **options: Any) -> SiteSpec:
    """``"path"``, ``"path#call"``, ``"path@function"`` or ``"path@function#call"`` as a
    SiteSpec of ``kind`` with that kind's defaults (``options``: other SiteSpec fields)."""
    target, sep, call = str(text).partition("#")
    path, at, function = target.partition("@")
    if not path or (sep and not call.isdigit()) or (at and not function):
        raise ParameterError(
            f"site {text!r}: expected PATH, PATH#CALL, PATH@FUNCTION or PATH@FUNCTION#CALL "
            "(CALL a number >= 0)"
        )
    label = str(text) if sep else None
    return SiteSpec(
        path, int(call) if sep else 0, kind, label=label, function=function or None, **options
    )
