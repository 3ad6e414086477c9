"""Issue 13's walk, as a new user takes it in a real headless Chromium: upload a CSV into an
empty workspace, its models train in the background with progress, FISC of order 3 with its 3-D
halo, a switch to another triple, the Interactions page with its dependence plot and row
explorer, Compare with one colour per model in every figure, and an export.

Each step asserts what the user sees (not what the page tests assert in depth), checks the
console for errors, and writes its time to test-artifacts/browser-timings.json ("walk: …")."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from tests.app.conftest import (
    assert_no_console_errors,
    screenshot,
    served_to,
    wait_for,
    wait_for_file,
    wait_for_text,
)
from tests.app.web.test_browser import click, record_timing
from tests.app.web.test_browser_partial import open_option

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODELS = ("walk-logistic", "walk-mlp")


def graph(figure: str) -> str:
    return "[id='" + json.dumps({"figure": figure, "type": "graph"}, separators=(",", ":")) + "']"


HALO = graph("fisc-halo")
HALO_TITLE = "#fisc-halo-area h3"
DEPENDENCE = graph("inter-dependence")
ROW_BARS = graph("inter-row")
LOCAL_PAIR = '[id=\'{"index":0,"type":"inter-local-pair"}\']'
LOCAL_ROW = '[id=\'{"index":0,"type":"inter-local-row"}\']'
#: what plotly drew in every graph under a selector: [[{name, type, colour}, ...] per graph]
_DRAWN_TRACES = """
return Array.from(document.querySelectorAll(arguments[0] + ' .js-plotly-plot')).map(
    plot => (plot.data || []).map(trace => ({
        name: trace.name || null,
        type: trace.type || 'scatter',
        colour: (trace.marker && typeof trace.marker.color === 'string') ? trace.marker.color
            : (trace.line && trace.line.color) || null,
    })));
"""
#: records every text an element shows from now on (a job may outrun a human glance)
_WATCH_TEXT = """
window.textsSeen = [];
const target = document.getElementById(arguments[0]);
new MutationObserver(() => window.textsSeen.push(target.textContent))
    .observe(target, {childList: true, characterData: true, subtree: true});
"""


@pytest.fixture
def empty_app(browser, tmp_path):
    """The app on an empty workspace (a new user's first start); yields (workspace, url)."""
    from app.web import create_app
    from workbench.workspace import Workspace

    workspace = Workspace.create(tmp_path / "workspace")
    with served_to(browser, create_app(workspace, jobs_dir=tmp_path / "jobs")) as url:
        yield workspace, url


@pytest.fixture
def planted_csv(tmp_path):
    """300 rows, 4 features, label = [a·b + 0.3·c > 0]: a × b is the planted interaction."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    frame["label"] = (frame["a"] * frame["b"] + 0.3 * frame["c"] > 0).astype(int)
    path = tmp_path / "walk.csv"
    frame.to_csv(path, index=False)
    return path


class Walk:
    """Times each step, writes it to browser-timings.json and checks the console after it."""

    def __init__(self, browser):
        self.browser = browser
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str):
        started = time.monotonic()
        yield
        self.seconds[name] = time.monotonic() - started
        record_timing(f"walk: {name}", self.seconds[name])
        assert_no_console_errors(self.browser)


def model_colours_drawn(browser, area: str) -> list[dict[str, str]]:
    """Per figure under ``area``: model → the colours of its traces (a reference model's trace
    is named "<model> (reference)")."""
    figures = []
    for traces in browser.execute_script(_DRAWN_TRACES, area):
        colours: dict[str, set] = {}
        for trace in traces:
            name = (trace["name"] or "").removesuffix(" (reference)")
            if name in MODELS:
                colours.setdefault(name, set()).add(trace["colour"])
        if colours:
            figures.append(colours)
    return figures


def test_a_new_user_walks_from_upload_to_export(browser, empty_app, planted_csv):
    workspace, url = empty_app
    walk = Walk(browser)
    browser.get(url)
    wait_for(browser, "#overview-upload", timeout=60)
    browser.execute_script(_WATCH_TEXT, "overview-upload-progress")

    with walk.step("upload a 300-row CSV to its 2 models trained and listed"):
        browser.find_element("css selector", "#overview-upload-name").send_keys("walk")
        browser.find_element("css selector", "#overview-upload-target").send_keys("label")
        upload = browser.find_element("css selector", "#overview-upload input[type=file]")
        upload.send_keys(str(planted_csv))
        wait_for_text(browser, "#overview-upload-status", "Added data set 'walk'", timeout=180)
        wait_for_text(browser, "#overview-models", "walk-mlp", timeout=30)
    progress = browser.execute_script("return window.textsSeen")
    assert any("training" in text for text in progress), progress
    assert "walk-logistic" in browser.find_element("css selector", "#overview-models").text
    screenshot(browser, "walk-1-upload")

    browser.get(url + "rashomon?data=walk&model=walk-logistic&approximator=permutation")
    with walk.step("FISC order 3: choose triples, Run, 3-D halo drawn"):
        open_option(browser, "#fisc-order", "triples (3): 3-D halo").click()
        click(browser, "#fisc-run")
        # "Done in 4.1 s; …", or, once the view's URL has re-rendered the page, the stored
        # result's "… computed in 4.1 s …": either holds the job's own time.
        done = wait_for_text(browser, "#fisc-status", " in ", timeout=180).text
        wait_for(browser, HALO + " .main-svg")
    assert "order=3" in browser.current_url
    # The job's own time (the rest of the step: its process, the page and the figures).
    seconds = float(re.search(r" in ([0-9.]+) s", done).group(1))
    record_timing("walk: FISC order 3, analysis time the page reports", seconds)
    title = browser.find_element("css selector", HALO_TITLE).text
    assert title.startswith("Halo plot: ") and title.count("×") == 2, title
    drawn = browser.execute_script(_DRAWN_TRACES, HALO)[0]
    assert {"surface", "scatter3d"} & {trace["type"] for trace in drawn}, drawn
    screenshot(browser, "walk-2-fisc-order3")

    shown = title.removeprefix("Halo plot: ")
    triples = workspace_result_triples(workspace)
    wanted = next(triple for triple in triples if triple != shown)
    option = open_option(browser, "#fisc-pair", wanted)
    with walk.step("pair switch: another triple's 3-D halo drawn (from the click)"):
        option.click()
        wait_for_text(browser, HALO_TITLE, f"Halo plot: {wanted}")
        wait_for(browser, HALO + " .main-svg")
    assert "pair=" in browser.current_url

    browser.get(url + "interactions?data=walk&model=walk-mlp&index=sii&rows=12")
    with walk.step("Interactions: SII of the MLP on 12 rows, Run to figures drawn"):
        click(browser, "#inter-run")
        wait_for(browser, graph("inter-heatmap") + " .main-svg", timeout=120)
        # The strongest pair comes first: the planted a × b opens the dependence plot.
        wait_for_text(browser, DEPENDENCE + " .gtitle", "a × b per row", timeout=60)
    screenshot(browser, "walk-3-interactions")

    option = open_option(browser, LOCAL_PAIR, "c × d")
    with walk.step("dependence plot: another pair chosen, redrawn"):
        option.click()
        wait_for_text(browser, DEPENDENCE + " .gtitle", "c × d per row")
    assert "pair=c" in browser.current_url

    click(browser, LOCAL_ROW)
    wait_for(browser, ".dash-dropdown-option")
    option = browser.find_elements("css selector", ".dash-dropdown-option")[3]
    row = option.text.removeprefix("row ")
    with walk.step("row explorer: another row chosen, its bars and values shown"):
        option.click()
        wait_for_text(browser, "#inter-local", f"Values of row {row}")
        wait_for_text(browser, ROW_BARS + " .gtitle", f"row {row},")
    browser.execute_script("document.getElementById('inter-local').scrollIntoView()")
    screenshot(browser, "walk-4-local-views")

    # Index "fis": the logistic model's stored FISC result is its Rashomon range, so Compare
    # draws a second figure of models (the overlay) besides the dumbbell.
    browser.get(url + "compare?data=walk&models=walk-logistic,walk-mlp&index=fis")
    with walk.step("Compare: FIS of 2 models, Run to every figure drawn"):
        click(browser, "#cmp-run")
        wait_for(browser, graph("cmp-dumbbell") + " .main-svg", timeout=180)
        wait_for(browser, graph("cmp-rashomon-walk-logistic") + " .main-svg")
    figures = model_colours_drawn(browser, "#cmp-results")
    assert len(figures) >= 2, figures
    colours = {}
    for figure in figures:
        for model, seen in figure.items():
            assert len(seen) == 1, (model, seen)  # one colour per model within a figure
            colours.setdefault(model, set()).update(seen)
    # ... and across figures; two models, two colours.
    assert set(colours) == set(MODELS) and all(len(c) == 1 for c in colours.values()), colours
    assert len({c for seen in colours.values() for c in seen}) == 2, colours
    screenshot(browser, "walk-5-compare")

    with walk.step("export: the dumbbell as PNG, downloaded"):
        click(browser, '[id=\'{"figure":"cmp-dumbbell","format":"png","type":"export"}\']')
        # Named by analysis, data set and models.
        png = wait_for_file(
            browser.download_dir, "compare_walk_walk-logistic+walk-mlp_dumbbell.png", timeout=60
        )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record_timing("walk: total", sum(walk.seconds.values()))


def workspace_result_triples(workspace) -> list[str]:
    """The triples of the FISC result the walk stored (the only one)."""
    from app.analyses import read_stored
    from workbench.store import ResultKey

    [entry] = workspace.store.entries("rashomon")
    result = read_stored(workspace, ResultKey(**entry["key"]))
    return list(result.interactions)
