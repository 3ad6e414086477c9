"""What every CTR sample model shares: field embedding, named gate sites and a JSON config.

A *gate site* is an ``nn.Identity`` tap placed right after a gate, mask or cross term, one tap
per layer (captum's layer hooks need a module called once per forward, pytorch/captum#1236).
Analyzers read a site with a forward hook on ``model.taps[name]`` and replace it by returning a
new output from the hook, so no model code changes for an analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.sites import SiteSpec
from workbench.zoo.embedding import FieldEmbedding

__all__ = ["CtrModel", "GateSite", "mlp"]

SITE_KINDS = ("gate", "mask", "cross", "expert_gate", "attention")


@dataclass(frozen=True)
class GateSite:
    """A named place in a model where a gate, mask or cross term can be read and replaced.

    Attributes
    ----------
    name : str
        Key of the tap in ``model.taps``.
    kind : str
        "gate" (bounded, multiplies the features), "mask" (unbounded multiplicative mask),
        "cross" (a cross layer's interaction term), "expert_gate" (softmax over experts) or
        "attention" (softmax over key fields; the tap output is (rows, heads, F, F)).
    width : int
        Size of the tap output's last axis.
    field_aligned : bool
        Whether the last axis is the flattened embedding (field f at ``field_slices[f]``).
    open_value : float or None
        Value meaning "let everything through" (1 for multiplicative gates and masks); None
        where no such value exists (cross terms, expert gates).
    value_range : str
        What values the site can take, for display: "(0, 1)", "(0, 2)", "real", "simplex".
    """

    name: str
    kind: str
    width: int
    field_aligned: bool
    open_value: float | None
    value_range: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GateSite:
        return cls(**d)


def mlp(
    in_features: int, hidden: Sequence[int], dropout: float = 0.0, out_features: int | None = None
) -> nn.Sequential:
    """Linear → ReLU (→ Dropout) per hidden width, then an optional Linear to ``out_features``."""
    layers: list[nn.Module] = []
    width = in_features
    for units in hidden:
        layers += [nn.Linear(width, int(units)), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = int(units)
    if out_features is not None:
        layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class CtrModel(nn.Module):
    """Base of the sample CTR models: codes in (as float), one logit per row out.

    Subclasses set ``name``, build their layers after calling ``super().__init__``, create
    their taps with ``self._add_site`` and implement ``head(embeddings)``. The constructor's keyword
    arguments are the JSON config (``config``), so ``type(model)(**model.config)`` rebuilds it.

    Parameters
    ----------
    vocab_sizes : sequence of int
        Levels per field.
    field_names : sequence of str, optional
    embedding_dim : int
    shared_buckets : int, optional
        One hashed shared embedding table with this many rows instead of a table per field.
    hash_seed : int
    field_dims : sequence of int, optional
        Embedding size per field (per-field tables only), e.g. from GDCN's FDO dimensions.
        With mixed sizes ``head`` receives the flattened (batch, sum of dims) embedding instead
        of (batch, n_fields, dim); ``embedding_dim`` then only sizes model-own vectors.

    Attributes
    ----------
    revision : int
        Bumped when a model's function or parameters change, so cached weights trained by an
        earlier revision are retrained, not reused (``workbench.zoo.training``).
    """

    name: ClassVar[str] = "ctr"
    revision: ClassVar[int] = 1

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        **config: Any,
    ) -> None:
        super().__init__()
        self.embedding = FieldEmbedding(
            vocab_sizes,
            embedding_dim,
            field_names=field_names,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
        )
        self.config: dict[str, Any] = {
            "vocab_sizes": list(self.embedding.vocab_sizes),
            "field_names": list(self.embedding.field_names),
            "embedding_dim": int(embedding_dim),
            "shared_buckets": shared_buckets,
            "hash_seed": int(hash_seed),
            **config,
        }
        if field_dims is not None:
            # only when given, so the configs saved before field_dims existed stay identical
            self.config["field_dims"] = list(self.embedding.dims)
        self.taps = nn.ModuleDict()
        self._sites: dict[str, GateSite] = {}

    @property
    def n_fields(self) -> int:
        return self.embedding.n_fields

    @property
    def field_names(self) -> tuple[str, ...]:
        return self.embedding.field_names

    @property
    def flat_dim(self) -> int:
        """Width of the flattened embedding, F·d."""
        return self.embedding.total_dim

    def gate_sites(self) -> tuple[GateSite, ...]:
        """Every named site of this model, in forward order."""
        return tuple(self._sites.values())

    def site_specs(self) -> tuple[SiteSpec, ...]:
        """Every named site as a module-path site (``taps.<name>``): the zoo is one client of
        the generic path (``workbench.sites``), so analyses by path and by name agree."""
        slices = tuple((s.start, s.stop) for s in self.field_slices())
        return tuple(
            SiteSpec(
                f"taps.{site.name}",
                kind=site.kind,
                open_value=site.open_value,
                value_range=site.value_range,
                field_aligned=site.field_aligned,
                field_slices=slices if site.field_aligned else None,
                width=site.width,
                label=site.name,
            )
            for site in self._sites.values()
        )

    def site(self, name: str) -> GateSite:
        """The site called ``name``; ParameterError listing the model's sites otherwise."""
        if name not in self._sites:
            raise ParameterError(
                f"site {name!r} is not a site of {self.name}; sites: {', '.join(self._sites)}"
            )
        return self._sites[name]

    def field_slices(self) -> tuple[slice, ...]:
        """Columns of each field on a field-aligned site's last axis."""
        return self.embedding.field_slices()

    @property
    def mixed_dims(self) -> bool:
        """Whether fields have different embedding sizes (``head`` then takes the flat form)."""
        return len(set(self.embedding.dims)) > 1

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The input of ``head``: (batch, n_fields, dim), or (batch, sum of dims) if mixed."""
        return self.embedding.flat(X.long()) if self.mixed_dims else self.embedding(X.long())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(batch, n_fields) codes (any dtype, as in ``Dataset.X``) -> (batch,) logits."""
        return self.head(self.embed(X))

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        """(batch, n_fields, dim) field embeddings, or (batch, sum of dims) with mixed field
        dims, -> (batch,) logits: everything after the lookup, so gradient methods can
        interpolate embeddings (codes cannot be)."""
        raise NotImplementedError

    def _add_site(
        self,
        name: str,
        kind: str,
        width: int,
        *,
        field_aligned: bool,
        open_value: float | None,
        value_range: str,
    ) -> nn.Identity:
        tap = nn.Identity()
        self.taps[name] = tap
        self._sites[name] = GateSite(name, kind, width, field_aligned, open_value, value_range)
        return tap


def check_hidden(hidden: Sequence[int], argument: str) -> list[int]:
    """Hidden widths as a list of positive ints (one-line error otherwise)."""
    try:
        widths = [int(h) for h in hidden]
    except (TypeError, ValueError):
        raise ParameterError(f"{argument} must be a list of integers, got {hidden!r}") from None
    if any(w < 1 for w in widths):
        raise ParameterError(f"{argument} must hold positive widths, got {list(hidden)!r}")
    return widths
