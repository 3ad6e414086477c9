"""Who may talk to the server, how much, and what it renders: the Host-header check, the
request size limit, and the check of a figure sent back for export.

The app has no login; it is safe only because it listens on 127.0.0.1. A web page whose domain
name re-resolves to 127.0.0.1 (DNS rebinding) reaches that port from the user's own browser,
with its own name in the Host header, so every request's Host must name this machine: the
localhost names or the address the server is bound to, or a name the user allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import flask

#: names that always reach this machine; a rebinding page cannot send them as its Host
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: the largest data file the Overview accepts
MAX_UPLOAD_BYTES = 50 * 2**20
#: a request body limit that lets the largest upload through: the browser sends the file
#: base64-encoded (4/3 of its size: 66.7 MB) inside the callback's JSON, plus the form values
MAX_REQUEST_BYTES = 70 * 2**20
_ALLOWED_KEY = "WORKBENCH_ALLOWED_HOSTS"
#: trace types the figure builders make; others (maps, images) load tiles or pictures
EXPORTABLE_TRACES = frozenset(
    {"scatter", "scattergl", "scatter3d", "heatmap", "bar", "box", "histogram", "table", "surface"}
)
#: properties that make the browser load something: pictures (layout or template images, an
#: image trace's or a map layer's source), GeoJSON; map styles only matter to map traces,
#: which EXPORTABLE_TRACES leaves out
_LOADING_KEYS = frozenset({"images", "source", "geojson"})
#: a URL (any scheme://, a //host, a data:/file:/javascript: one), a link tag, a CSS url()
_REFERENCE = re.compile(
    r"[a-z][a-z0-9+.-]*://|^\s*//|\b(?:data|file|javascript|blob):\S|<\s*a\b|url\s*\(", re.I
)


def host_name(host: str) -> str:
    """The name part of a Host header, lower-case: ``[::1]:8050`` → ``::1``, ``a:80`` → ``a``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def install_guards(
    server: flask.Flask,
    allowed_hosts: Iterable[str] = (),
    max_request_bytes: int = MAX_REQUEST_BYTES,
) -> None:
    """Refuse requests whose Host is not allowed (400) or whose body is too large (413).

    ``allowed_hosts`` adds names to the localhost ones ("*" turns the check off).
    """
    server.config[_ALLOWED_KEY] = {*LOCAL_HOSTS, *(host_name(h) for h in allowed_hosts if h)}
    server.config["MAX_CONTENT_LENGTH"] = int(max_request_bytes)

    @server.before_request
    def check_request():
        allowed = server.config[_ALLOWED_KEY]
        name = host_name(flask.request.host or "")
        if "*" not in allowed and name not in allowed:
            return _refuse(
                400,
                f"Host {name!r} is not allowed: this server answers "
                f"{', '.join(sorted(allowed))} (add names with --allowed-hosts)",
            )
        size = flask.request.content_length
        # Refused from the Content-Length, before the body is read; Flask's MAX_CONTENT_LENGTH
        # covers bodies sent without one (chunked) while they are read.
        if size is not None and size > server.config["MAX_CONTENT_LENGTH"]:
            return _refuse(
                413,
                f"request of {size / 2**20:.0f} MB is larger than the "
                f"{server.config['MAX_CONTENT_LENGTH'] / 2**20:.0f} MB limit",
            )
        return None


def allow_host(server: flask.Flask, host: str) -> None:
    """Also answer requests addressed to ``host`` (the address the server is bound to)."""
    name = host_name(host)
    if name not in ("0.0.0.0", "::", ""):
        server.config[_ALLOWED_KEY].add(name)


def _refuse(status: int, reason: str) -> flask.Response:
    response = flask.make_response(reason + "\n", status)
    response.mimetype = "text/plain"
    return response


def check_exportable(figure: dict) -> None:
    """Refuse a figure (as the browser sent it) that would make the exporting browser load
    anything: kaleido renders it in the server's Chromium, where an image source or a link can
    read a local file (file://) or reach another port of this machine.

    Raises ``ParameterError`` naming the first offending property. The figures this app builds
    carry no such thing, so only a crafted request is refused.
    """
    from workbench.errors import ParameterError

    if not isinstance(figure, dict):
        raise ParameterError("export: the figure is not a plotly figure")
    for trace in figure.get("data") or []:
        kind = trace.get("type", "scatter") if isinstance(trace, dict) else None
        if kind not in EXPORTABLE_TRACES:
            raise ParameterError(f"export: refused: trace type {kind!r} is not one this app draws")
    found = _external_reference(figure, "figure")
    if found:
        raise ParameterError(f"export: refused: {found} refers to something outside the figure")


def _external_reference(value, path: str) -> str | None:
    """The path of the first property that loads something, or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _LOADING_KEYS and item not in (None, "", [], {}):
                return f"{path}.{key}"
            found = _external_reference(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _external_reference(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, str) and _REFERENCE.search(value):
        return path
    return None
