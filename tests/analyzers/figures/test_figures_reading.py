"""A figure's "how to read this" reaches every surface: the app's card and the HTML file."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.figures import write_figure
from analyzers.figures.reading import reading_of, with_reading


def _figure() -> go.Figure:
    return with_reading(go.Figure(go.Bar(x=["a"], y=[1])), "Bars are <FIS>  in loss units.")


def test_the_text_survives_the_figure_as_json():
    figure = go.Figure(_figure().to_dict())
    assert reading_of(figure) == reading_of(figure.to_dict()) == "Bars are <FIS> in loss units."
    assert reading_of(go.Figure()) is None


def test_the_html_file_shows_it_under_the_plot_escaped(tmp_path):
    (path,) = write_figure(_figure(), tmp_path / "bars", formats="html")
    page = path.read_text()
    assert "How to read this" in page and "Bars are &lt;FIS&gt; in loss units." in page
    assert page.index("How to read this") > page.index("plotly")


def test_the_app_card_shows_it():
    from app.web.components import figure_card

    card = str(figure_card("bars", _figure(), "Bars"))
    assert "How to read this" in card and "Bars are <FIS> in loss units." in card
