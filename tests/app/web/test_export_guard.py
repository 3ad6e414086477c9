"""Figure export renders in the server's Chromium, so a figure sent back by the browser that
would load anything (a file:// picture, another local port) is refused before rendering; the
app's own figures still export."""

from __future__ import annotations

import http.server
import json
import threading

import plotly.graph_objects as go
import pytest

from app.web.components import figure_download
from app.web.guard import check_exportable
from workbench.errors import ParameterError


@pytest.fixture
def counting_server():
    """A loopback HTTP server that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/secret.png", hits
    server.shutdown()


def _browser_json(figure: go.Figure) -> dict:
    """A figure as the browser holds and sends it back: plain JSON."""
    return json.loads(figure.to_json())


def _plain() -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1], y=[1, 0], name="a × b"), layout={"title": "Halo: a, b"})


@pytest.mark.parametrize("fmt", ["png", "svg", "html"])
def test_a_figure_with_a_local_file_or_port_image_is_refused_unfetched(counting_server, fmt):
    url, hits = counting_server
    for source in ("file:///etc/passwd", url, "../../../../etc/passwd"):
        figure = _plain()
        figure.add_layout_image(source=source, x=0, y=1, sizex=1, sizey=1)
        with pytest.raises(ParameterError, match=r"figure\.layout\.images refers to something"):
            figure_download(_browser_json(figure), "halo", fmt)
    assert hits == []


@pytest.mark.parametrize(
    ("figure", "where"),
    [
        ({"data": [{"type": "image", "source": "file:///etc/passwd"}]}, "trace type 'image'"),
        ({"data": [{"type": "scattermapbox", "lat": [0], "lon": [0]}]}, "'scattermapbox'"),
        ({"data": [], "layout": {"title": {"text": "<a href='http://127.0.0.1:1/'>x</a>"}}}, ""),
        ({"data": [], "layout": {"template": {"layout": {"images": [{"source": "x"}]}}}}, ""),
        ({"data": [{"type": "scatter", "hovertemplate": "file:/etc/passwd"}]}, "hovertemplate"),
        ({"data": [], "layout": {"xaxis": {"title": {"text": "//evil.example/a.png"}}}}, ""),
        ({"data": [], "layout": {"font": {"family": "x; src: url(http://a/f.woff)"}}}, ""),
    ],
)
def test_any_external_reference_is_refused_with_one_line(figure, where):
    with pytest.raises(ParameterError, match="export: refused") as refused:
        check_exportable(figure)
    assert where in str(refused.value) and "\n" not in str(refused.value)


def test_the_apps_own_figures_pass(xor_workspace):
    from app.analyses import compute_result
    from app.web.pages import interactions

    workspace = xor_workspace("logistic")
    parameters = {"index": "sii", "rows": 20, "background": 10}
    result = compute_result(workspace, "interactions", "xor-logistic", parameters)
    view = interactions.result_view(result, "xor", "xor-logistic", parameters)
    figures = list(_graph_figures(view))
    assert figures
    for figure in figures:
        check_exportable(_browser_json(figure))
    assert figure_download(_browser_json(figures[0]), "f", "html")["filename"] == "f.html"


def _graph_figures(component):
    if isinstance(component, list | tuple):
        for item in component:
            yield from _graph_figures(item)
        return
    if isinstance(getattr(component, "figure", None), go.Figure):
        yield component.figure
    children = getattr(component, "children", None)
    if children is not None:
        yield from _graph_figures(children)


def test_the_export_callback_answers_a_crafted_figure_with_a_refusal(tmp_path, counting_server):
    from app.web import create_app
    from workbench.workspace import Workspace

    url, hits = counting_server
    app = create_app(Workspace.create(tmp_path / "ws"), jobs_dir=tmp_path / "jobs")
    (output,) = [key for key in app.callback_map if '"type":"export-status"' in key]
    figure = _plain()
    figure.add_layout_image(source=url, x=0, y=1, sizex=1, sizey=1)
    export = {"figure": "halo", "format": "png", "type": "export"}
    payload = {
        "output": output,
        "outputs": [
            {"id": {"figure": "halo", "type": "download"}, "property": "data"},
            {"id": {"figure": "halo", "type": "export-status"}, "property": "children"},
        ],
        "inputs": [[{"id": export, "property": "n_clicks", "value": 1}]],
        "state": [
            {
                "id": {"figure": "halo", "type": "graph"},
                "property": "figure",
                "value": _browser_json(figure),
            },
            {"id": {"figure": "halo", "type": "graph"}, "property": "config", "value": {}},
        ],
        "changedPropIds": [json.dumps(export, separators=(",", ":")) + ".n_clicks"],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=payload)
    assert answer.status_code == 200
    response = answer.get_json()["response"]
    status = response['{"figure":"halo","type":"export-status"}']["children"]
    assert status.endswith("figure.layout.images refers to something outside the figure")
    assert '{"figure":"halo","type":"download"}' not in response  # no file comes back
    assert hits == []
