"""Every user-facing surface of the workbench, over the analyzers and the core.

- ``app.web``: the Dash web app (pages, background jobs, exports);
- ``app.cli``: the ``workbench`` command line;
- ``app.reports``: report folders (JSON, CSV, HTML/PNG/SVG) written by the CLI;
- ``app.analyses``: the analysis registry that runs analyses against a workspace and its store;
- ``app.open``: the web app from a notebook or script, over models held in memory.

Imports run one way: ``app`` → ``analyzers`` → ``workbench``.
"""


def open(models, data, **kwargs):  # shadows the builtin only as app.open
    """Serve the web app over in-memory models; see :func:`app.launch.open_app`."""
    from app.launch import open_app

    return open_app(models, data, **kwargs)


__all__ = ["open"]
