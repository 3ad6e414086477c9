"""Read and replace a model's internal activations at named sites, many edits per forward pass.

A *site* is one call of a submodule whose output is read or replaced: a
``workbench.sites.SiteSpec`` (module path and call index, on any model), a zoo tap name
(``model.taps[name]``) or ``"path#call"`` text; outputs are seen flattened to (rows, width). An
*edit* replaces chosen units of the site's output by fixed values for every row. ``outputs``
stacks k edits of one site into one batch: the rows are tiled k times and a forward hook
rewrites copy j of the site's output with edit j, so k ablations cost one forward pass instead
of k. ``capture`` reads site outputs in row batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from workbench.errors import ModelError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows
from workbench.sites import SiteHooks, SiteSpec, parse_site

__all__ = ["TapEdit", "TapKernel", "find_site", "site_spec"]


@dataclass(frozen=True)
class TapEdit:
    """Replace ``units`` of a site's per-row output by ``values`` (the same for every row).

    Attributes
    ----------
    site : str or SiteSpec
        Tap name (``model.taps[site]``), ``"path#call"`` or a SiteSpec.
    units : Tensor
        Bool, one row of the site's output, flattened: (width,); True = replaced.
    values : Tensor
        Float, same shape; read where ``units`` is True.
    """

    site: str | SiteSpec
    units: torch.Tensor
    values: torch.Tensor


def find_site(module: torch.nn.Module, site: str) -> torch.nn.Module:
    """The submodule of a site: ``taps.<site>`` when the model has taps, else the module path."""
    for path in (f"taps.{site}", site):
        try:
            return module.get_submodule(path)
        except AttributeError:
            continue
    taps = getattr(module, "taps", None)
    known = f"; sites: {', '.join(taps.keys())}" if isinstance(taps, torch.nn.ModuleDict) else ""
    raise ParameterError(f"site {site!r} is not a submodule of the model{known}")


def site_spec(module: torch.nn.Module, site: str | SiteSpec) -> SiteSpec:
    """A site as a SiteSpec: a zoo tap name becomes ``taps.<name>``, other text ``path#call``."""
    if isinstance(site, SiteSpec):
        return site
    taps = getattr(module, "taps", None)
    if isinstance(taps, torch.nn.ModuleDict) and site in taps:
        return SiteSpec(f"taps.{site}", label=site)
    return parse_site(site)


class TapKernel:
    """Batched reads and edits of internal sites of a torch model on fixed rows.

    Parameters
    ----------
    adapter : ModelAdapter
        A wrapped torch module (``adapter.module`` is hooked; the user's model is untouched).
    X : Tensor
        (rows, features) model inputs.
    max_batch_rows : int or None
        Model rows per forward pass (tiled copies count); None sizes it from the device.

    Example
    -------
    >>> kernel = TapKernel(adapter, data.X)
    >>> edit = TapEdit("cross0_gate", units=torch.ones(224, dtype=bool), values=torch.ones(224))
    >>> kernel.outputs([edit]).shape  # (edits, rows)
    """

    def __init__(self, adapter, X: torch.Tensor, *, max_batch_rows: int | None = None) -> None:
        if adapter.module is None:
            raise ModelError("tap edits need a torch model; this adapter runs a CPU function")
        if X.ndim != 2:
            raise ParameterError(f"X must be (rows, features), got shape {tuple(X.shape)}")
        self.adapter = adapter
        self.X = X.to(adapter.device, adapter.dtype)  # (rows, features)
        self.n_rows = X.shape[0]
        self.batch_rows = resolve_batch_rows(
            max_batch_rows,
            adapter.device,
            estimate_bytes_per_row(adapter.module, X.shape[1]),
            None,
        )
        self.forward_passes = 0

    def capture(
        self,
        sites: Sequence[str | SiteSpec],
        reduce: Callable[[str, torch.Tensor], torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Outputs of ``sites`` on every row, flattened to (rows, width), on the CPU.

        Parameters
        ----------
        sites : sequence of str or SiteSpec
        reduce : callable (site name, (rows, width) batch output) -> tensor, optional
            Applied per batch before results are kept (e.g. per-field means), to save memory.

        Returns
        -------
        dict site name -> Tensor (rows, ...)
        """
        specs = [site_spec(self.adapter.module, site) for site in sites]
        pieces: dict[str, list[torch.Tensor]] = {spec.name: [] for spec in specs}

        def keeper(name: str):
            def read(output: torch.Tensor) -> None:
                kept = output.detach() if reduce is None else reduce(name, output.detach())
                pieces[name].append(kept.cpu())

            return read

        with SiteHooks(self.adapter.module, {s: keeper(s.name) for s in specs}) as hooks:
            for chunk in self.X.split(self.batch_rows):
                self.adapter.forward(chunk)
                self.forward_passes += 1
                hooks.check()
        return {name: torch.cat(parts) for name, parts in pieces.items()}

    def outputs(self, edits: Sequence[TapEdit]) -> torch.Tensor:
        """(edits, rows) model outputs with each edit applied alone, on the CPU.

        Edits of one site share forward passes: ``batch_rows // rows`` of them per pass when
        all rows fit, else one edit per pass over row chunks.
        """
        result = torch.empty((len(edits), self.n_rows), dtype=torch.float32)
        by_site: dict[SiteSpec, list[int]] = {}
        for i, edit in enumerate(edits):
            by_site.setdefault(site_spec(self.adapter.module, edit.site), []).append(i)
        for tap, members in by_site.items():
            units = torch.stack([edits[i].units.reshape(-1) for i in members]).to(
                self.adapter.device
            )
            values = torch.stack([edits[i].values.reshape(-1) for i in members]).to(
                self.adapter.device, self.adapter.dtype
            )  # (site edits, width)
            if self.n_rows <= self.batch_rows:
                per_pass = max(1, self.batch_rows // self.n_rows)
                for start in range(0, len(members), per_pass):
                    stop = min(start + per_pass, len(members))
                    out = self._edited(tap, units[start:stop], values[start:stop], self.X)
                    result[members[start:stop]] = out.view(stop - start, self.n_rows).cpu()
            else:
                for j, member in enumerate(members):
                    parts = [
                        self._edited(tap, units[j : j + 1], values[j : j + 1], chunk).cpu()
                        for chunk in self.X.split(self.batch_rows)
                    ]
                    result[member] = torch.cat(parts)
        return result

    def _edited(
        self, tap: SiteSpec, units: torch.Tensor, values: torch.Tensor, X: torch.Tensor
    ) -> torch.Tensor:
        """Outputs for k edits on rows X: (k·rows,), copy j of the rows under edit j."""
        k, rows = units.shape[0], X.shape[0]

        def edit(output: torch.Tensor) -> torch.Tensor:
            if output.shape[1:] != units.shape[1:]:
                raise ParameterError(
                    f"site {tap.name!r}: edit width {units.shape[1]} does not match the site's "
                    f"output width {output.shape[1]}"
                )
            copies = output.reshape(k, rows, output.shape[1])  # (k, rows, width)
            mask = units.unsqueeze(1)  # (k, 1, width)
            return torch.where(mask, values.unsqueeze(1), copies).reshape(output.shape)

        with SiteHooks(self.adapter.module, {tap: edit}) as hooks:
            out = self.adapter.forward(X.repeat(k, 1))  # (k·rows,)
            self.forward_passes += 1
        hooks.check()
        return out
