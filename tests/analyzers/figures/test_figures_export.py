import re
import struct

import pytest

from analyzers.figures import (
    export,
    halo_plot,
    search_trace_plot,
    swarm_plot,
    write_figure,
    write_figures,
)
from workbench.errors import ParameterError, WorkbenchError

needs_chromium = pytest.mark.skipif(
    export.find_chromium() is None,
    reason="PNG/SVG export needs a Chromium for kaleido (apt-get install chromium); none found",
)


def test_html_is_self_contained(result, tmp_path):
    (path,) = write_figure(halo_plot(result, ("age", "prior")), tmp_path / "halo", formats="html")
    assert path == tmp_path / "halo.html"
    text = path.read_text(encoding="utf-8")
    assert "plotly.js v" in text  # the bundle itself, not a CDN link
    assert not re.search(r"<script[^>]*src=", text)
    assert "Halo of age" in text  # the figure itself is inside


@needs_chromium
def test_png_and_svg_are_real_images(result, tmp_path):
    paths = write_figure(halo_plot(result, ("age", "income")), tmp_path / "out" / "halo.png")
    assert [p.name for p in paths] == ["halo.html", "halo.png", "halo.svg"]
    assert paths[0].stat().st_size > 0
    assert paths[1].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = paths[2].read_text(encoding="utf-8").lstrip()
    assert svg.startswith(("<svg", "<?xml"))


@needs_chromium
def test_several_figures_in_one_go(result, tmp_path):
    figures = {"swarm": swarm_plot(result), "trace": search_trace_plot(result)}
    paths = write_figures(figures, tmp_path, formats=("html", "svg"))
    assert [p.name for p in paths] == ["swarm.html", "swarm.svg", "trace.html", "trace.svg"]
    assert all(p.stat().st_size > 0 for p in paths)


@needs_chromium
def test_images_keep_the_size_set_in_the_layout(result, tmp_path):
    tall = search_trace_plot(result).update_layout(width=640, height=900)
    plain = search_trace_plot(result).update_layout(width=None, height=None)
    paths = write_figures({"tall": tall, "plain": plain}, tmp_path, formats="png")
    sizes = [struct.unpack(">II", p.read_bytes()[16:24]) for p in paths]  # PNG IHDR width, height
    assert sizes == [(640, 900), (700, 500)]  # plotly's default where the layout sets none


def test_missing_browser_keeps_html_and_says_what_to_install(result, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "find_chromium", lambda: None)
    with pytest.raises(WorkbenchError, match=r"needs Chromium \(apt-get install chromium") as error:
        write_figure(search_trace_plot(result), tmp_path / "trace")
    message = str(error.value)
    assert "\n" not in message
    assert "HTML was written" in message
    assert (tmp_path / "trace.html").stat().st_size > 0
    assert not (tmp_path / "trace.png").exists()


def test_bad_format_or_name_raises_one_line(result, tmp_path):
    fig = search_trace_plot(result)
    with pytest.raises(
        ParameterError, match="formats must be some of html, png, svg, pdf; got 'jpg'"
    ):
        write_figure(fig, tmp_path / "trace", formats="jpg")
    with pytest.raises(ParameterError, match="figure name must be a plain file name"):
        write_figures({"../trace": fig}, tmp_path, formats="html")
