"""Sites by module path on any ``torch.nn.Module``: where a gate, mask or embedding is read and
replaced, with no change to the model's code.

A site is a module path (``"feature_gating.0"``, ``"cross_net.layers.2.gate"``) and a call index:
a module called several times per forward pass (one ``nn.Sigmoid`` shared by every layer) gives
one site per call, ``"gate_sigmoid#0"``, ``"gate_sigmoid#1"``. ``SiteHooks`` counts the calls of
each hooked module per forward pass of the root model (a forward pre-hook on the root resets the
counts) and acts on the addressed call only, so reading, replacing and captum's layer methods
address one call. captum hooks every call of a layer module (pytorch/captum#1236), so for captum
the addressed call's output is routed through a fresh ``nn.Identity`` that runs once per forward
pass (``analyzers.gate_attributions``); the zoo's named taps are sites of this kind too
(``CtrModel.site_specs``).

A site can also name a function called inside a module's forward, ``"int_layers.0@softmax"``
(``#k``: its k-th call there per forward pass), for attention computed by ``F.softmax`` rather
than by a module (``workbench.site_functions``). ``rows_axis`` says which axis of the output holds
the rows (DeepCTR-Torch's attention is (heads, rows, F, F): rows_axis=1).

A site can join several modules' outputs as fields, ``"embedding_dict.*"`` (every child of
``embedding_dict``, or ``SiteSpec.members``): DeepCTR-Torch's per-field embedding tables, read
side by side (``workbench.site_stacks``; read only).

This module gathers the public names of: ``workbench.site_spec`` (``SiteSpec``, ``parse_site``),
``workbench.site_lookup`` (``resolve_module``, ``as_site_specs``), ``workbench.site_hooks``
(``SiteHooks``), ``workbench.site_measure`` (``measure_sites``) and ``workbench.site_discovery``
(``discover_sites``).
"""

from __future__ import annotations

from workbench.site_discovery import discover_sites
from workbench.site_hooks import SiteHooks
from workbench.site_lookup import as_site_specs, resolve_module
from workbench.site_measure import measure_sites
from workbench.site_spec import FROM_KIND, SITE_KIND_DEFAULTS, SiteSpec, parse_site

__all__ = [
    "FROM_KIND",
    "SITE_KIND_DEFAULTS",
    "SiteHooks",
    "SiteSpec",
    "as_site_specs",
    "discover_sites",
    "measure_sites",
    "parse_site",
    "resolve_module",
]
