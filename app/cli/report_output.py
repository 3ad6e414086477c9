"""Where and how a command writes its report: ``--out`` checked before any work, and the figure
formats (PNG/SVG need a Chromium)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from workbench.errors import ParameterError, WorkbenchError


def check_output_folder(text: str) -> Path:
    """``--out`` as a folder the report can be written to, checked before any work.

    Refuses an empty path (it would scatter files into the current folder), an existing file,
    a path under a file, and a place this process cannot write in. Probing writability makes a
    temporary folder and removes it at once, so nothing is left behind.
    """
    if not text.strip():
        raise ParameterError("--out: empty path; name the folder to write the report to")
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"--out: {str(folder)!r} is a file, not a folder")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ParameterError(f"--out: {str(folder)!r} is under the file {str(existing)!r}")
    # The report is staged beside the folder, then moved into it: both places must be writable.
    for place in {existing, existing.parent} if existing == folder else {existing}:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".workbench-probe-", dir=place))
        except OSError as error:
            raise ParameterError(
                f"--out: cannot write in {str(place)!r} ({error.strerror})"
            ) from None
    return folder


def add_output_arguments(parser: argparse.ArgumentParser, formats_default: str | None = None):
    """``--out`` (required) and ``--formats``."""
    parser.add_argument("--out", required=True, help="output folder")
    default_help = (
        f"default {formats_default!r}"
        if formats_default is not None
        else "default: all three when a Chromium is installed (PNG/SVG need one), else html"
    )
    parser.add_argument(
        "--formats",
        default=formats_default,
        help=f"figure formats among html,png,svg ('' for none); {default_help}",
    )


def figure_formats(text: str | None) -> tuple[str, ...]:
    """Formats to write, checked before any work: PNG/SVG need a Chromium for kaleido."""
    from analyzers.figures import find_chromium

    if text is None:
        if find_chromium() is None:
            print(
                "workbench: no Chromium found, writing HTML figures only "
                "(apt-get install chromium for PNG/SVG)",
                file=sys.stderr,
            )
            return ("html",)
        return ("html", "png", "svg")
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in ("html", "png", "svg", "pdf")]
    if unknown:
        raise WorkbenchError(f"--formats: unknown format {unknown[0]!r}; use html, png, svg")
    if set(formats) - {"html"} and find_chromium() is None:
        raise WorkbenchError(
            "--formats: PNG/SVG export needs Chromium (apt-get install chromium); "
            "use --formats html"
        )
    return formats
