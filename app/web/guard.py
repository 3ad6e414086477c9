"""Who may talk to the server, and how much: the Host-header check and the request size limit.

The app has no login; it is safe only because it listens on 127.0.0.1. A web page whose domain
name re-resolves to 127.0.0.1 (DNS rebinding) reaches that port from the user's own browser,
with its own name in the Host header, so every request's Host must name this machine: the
localhost names or the address the server is bound to, or a name the user allowed.
"""

from __future__ import annotations

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
