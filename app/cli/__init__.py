"""The ``workbench`` command line: one subcommand per analysis, ``demo`` and ``serve``."""

from app.cli.command import main

__all__ = ["main"]
