"""Which workspace a request or a background job works on.

Two Dash globals make closures over "this app's workspace" unsafe when several apps live in one
process (tests, or ``app.open`` called twice in a notebook):
- the page registry is global, so a page's layout reads the workspace of the Flask app answering
  the request (:func:`current_workspace`);
- background callbacks are registered by a hash of their source and outputs in every job
  manager, so the last app built would run every app's jobs. Jobs therefore receive the
  workspace's key from the page (a ``dcc.Store`` in the shell) and look it up here
  (:func:`workspace_for`); job processes are forked from the server and inherit the table.
"""

from __future__ import annotations

import flask

from workbench.errors import ParameterError

_CONFIG_KEY = "WORKBENCH_WORKSPACE"
#: id of the shell's dcc.Store holding the workspace key of the page
WORKSPACE_KEY = "wb-workspace-key"
_WORKSPACES: dict = {}


def attach_workspace(server: flask.Flask, workspace) -> str:
    """Make ``workspace`` the one ``server`` serves; returns its key."""
    key = str(workspace.root)
    _WORKSPACES[key] = workspace
    server.config[_CONFIG_KEY] = workspace
    return key


def current_workspace():
    """The workspace of the app answering the current request, with the entries a background
    job registered since (an uploaded data set: ``Workspace.refresh``)."""
    workspace = flask.current_app.config[_CONFIG_KEY]
    workspace.refresh()
    return workspace


def workspace_for(key: str):
    """The workspace a page's job works on (a one-line error for an unknown key)."""
    if key not in _WORKSPACES:
        raise ParameterError("workspace: this page belongs to a server that is no longer running")
    workspace = _WORKSPACES[key]
    workspace.refresh()  # a Celery worker does not share the server's memory
    return workspace
