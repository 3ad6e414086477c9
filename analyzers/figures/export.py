"""Write figures to disk: self-contained HTML, and PNG/SVG/PDF through kaleido and Chromium.

The only module of the figures package that touches files. kaleido 1.x does not bundle a browser:
it drives an installed Chromium found by ``choreographer`` (the ``BROWSER_PATH`` variable, then
``chromium``, ``chromium-browser``, ``google-chrome``... on PATH). HTML needs no browser, so it is
always written first and a missing browser costs only the images.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from analyzers.figures.reading import reading_of
from workbench.errors import ParameterError, WorkbenchError

SUPPORTED_FORMATS = ("html", "png", "svg", "pdf")
_IMAGE_FORMATS = frozenset({"png", "svg", "pdf"})
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """The browser kaleido would drive for image export, or None when there is none.

    Example
    -------
    >>> find_chromium()  # doctest: +SKIP
    '/usr/bin/chromium'
    """
    try:
        from choreographer.browsers.chromium import Chromium

        path = Chromium.find_browser(skip_local=False)
    except (ImportError, AttributeError, TypeError):
        # choreographer moved its search: fall back to the names it looks for on PATH.
        path = next((found for name in _BROWSER_NAMES if (found := shutil.which(name))), None)
    return str(path) if path and Path(path).is_file() else None


def write_figure(
    fig: go.Figure,
    path_stem: str | PathLike[str],
    formats: str | Iterable[str] = ("html", "png", "svg"),
) -> list[Path]:
    """Write one figure as ``<path_stem>.<format>`` for each format.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure to write.
    path_stem : str or path
        File path without extension; missing folders are created.
    formats : str or iterable of str
        Any of "html" (self-contained, plotly.js embedded, works offline), "png", "svg", "pdf".

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    WorkbenchError
        When images are asked for and no Chromium is installed (the HTML is still written).

    Example
    -------
    >>> write_figure(halo_plot(result, ("age", "prior")), "out/halo_age_prior")  # doctest: +SKIP
    [PosixPath('out/halo_age_prior.html'), PosixPath('out/halo_age_prior.png'), ...]
    """
    stem = Path(path_stem)
    if stem.suffix.lstrip(".").lower() in SUPPORTED_FORMATS:
        stem = stem.with_suffix("")  # "out/halo.png" names the same stem as "out/halo"
    return _write_targets({stem: fig}, _check_formats(formats))


def write_figures(
    figures: Mapping[str, go.Figure],
    folder: str | PathLike[str],
    formats: str | Iterable[str] = ("html", "png", "svg"),
) -> list[Path]:
    """Write several figures as ``<folder>/<name>.<format>``, starting the browser once.

    Parameters
    ----------
    figures : mapping of str to Figure
        File name (without extension, no folder separators) to figure.
    folder : str or path
        Destination folder; created when missing.
    formats : str or iterable of str
        As for ``write_figure``.

    Returns
    -------
    list of Path
        The files written, figure by figure, each in the order of ``formats``.

    Example
    -------
    >>> write_figures({"swarm": swarm_plot(result), "trace": search_trace_plot(result)}, "out")
    ... # doctest: +SKIP
    """
    wanted = _check_formats(formats)
    targets = {Path(folder) / _check_name(name): fig for name, fig in figures.items()}
    if not targets:
        raise ParameterError("figures is empty; pass at least one name → Figure")
    return _write_targets(targets, wanted)


def _write_targets(targets: dict[Path, go.Figure], wanted: list[str]) -> list[Path]:
    for stem, fig in targets.items():
        if not isinstance(fig, go.Figure):
            raise ParameterError(
                f"figure {stem.name!r} must be a plotly Figure; got {type(fig).__name__}"
            )
    written: dict[tuple[Path, str], Path] = {}
    for stem, fig in targets.items():
        stem.parent.mkdir(parents=True, exist_ok=True)
        if "html" in wanted:
            path = stem.parent / f"{stem.name}.html"
            page = fig.to_html(
                include_plotlyjs=True,
                full_html=True,
                config={
                    "displaylogo": False,
                    "toImageButtonOptions": {"format": "svg", "filename": stem.name},
                },
            )
            path.write_text(_with_reading_note(page, reading_of(fig)), encoding="utf-8")
            written[stem, "html"] = path
    images = {
        (stem, fmt): stem.parent / f"{stem.name}.{fmt}"
        for stem in targets
        for fmt in wanted
        if fmt in _IMAGE_FORMATS
    }
    if images:
        _write_images(
            [targets[stem] for stem, _ in images], list(images.values()), list(written.values())
        )
        written.update(images)
    return [written[stem, fmt] for stem in targets for fmt in wanted]


def _write_images(figures: list[go.Figure], paths: list[Path], html_written: list[Path]) -> None:
    formats = "/".join(dict.fromkeys(path.suffix.lstrip(".").upper() for path in paths))
    if find_chromium() is None:
        raise WorkbenchError(
            f"{formats} export needs Chromium (apt-get install chromium, or set BROWSER_PATH); "
            f"{_html_note(html_written)}"
        )
    # One write_images call drives one browser for every image. kaleido's start_sync_server
    # would too, but when the browser fails to launch its worker thread dies and every later
    # call blocks forever; write_images raises instead.
    batch = getattr(pio, "write_images", None)
    try:
        if batch is not None:
            # write_images ignores layout.width/height (700 × 500 for all); pass them on.
            width = [fig.layout.width for fig in figures]
            height = [fig.layout.height for fig in figures]
            batch(figures, paths, width=width, height=height)
        else:
            for fig, path in zip(figures, paths, strict=True):
                fig.write_image(path)
    except Exception as error:  # kaleido/choreographer raise many types; give the user one line
        # choreographer packs several sentences into args; the first names the failure.
        detail = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
        first_line = detail.strip().splitlines()[0] if detail.strip() else ""
        raise WorkbenchError(
            f"{formats} export failed ({type(error).__name__}: {first_line[:200]}); "
            f"check that Chromium starts headless; {_html_note(html_written)}"
        ) from None


def _html_note(html_written: list[Path]) -> str:
    if not html_written:
        return "nothing was written"
    if len(html_written) == 1:
        return f"HTML was written to {html_written[0]}"
    return f"{len(html_written)} HTML files were written to {html_written[0].parent}"


def _check_formats(formats: str | Iterable[str]) -> list[str]:
    requested = [formats] if isinstance(formats, str) else list(formats)
    wanted = list(dict.fromkeys(str(fmt).lower().lstrip(".") for fmt in requested))
    unknown = [fmt for fmt in wanted if fmt not in SUPPORTED_FORMATS]
    if unknown or not wanted:
        raise ParameterError(
            f"formats must be some of {', '.join(SUPPORTED_FORMATS)}; got {formats!r}"
        )
    return wanted


def _check_name(name: str) -> str:
    if (
        not isinstance(name, str)
        or not name.strip()
        or name in {".", ".."}
        or any(sep in name for sep in ("/", "\\"))
    ):
        raise ParameterError(f"figure name must be a plain file name; got {name!r}")
    return name


def _with_reading_note(page: str, reading: str | None) -> str:
    """The HTML page with the figure's "how to read this" text under the plot."""
    if not reading:
        return page
    note = (
        '<div class="how-to-read" style="font-family:sans-serif;max-width:60em;margin:0 1em">'
        f"<h3>How to read this</h3><p>{html.escape(reading)}</p></div>"
    )
    head, tail = page.rsplit("</body>", 1)
    return f"{head}{note}</body>{tail}"
