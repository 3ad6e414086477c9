"""The Embeddings page in headless Chromium: run the job, change the view, reload, download."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.app.conftest import console_errors, screenshot, wait_for, wait_for_file, wait_for_text
from tests.app.web.test_browser import click, record_timing

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def graph(name: str, part: str = ".main-svg") -> str:
    return f'[id=\'{{"figure":"{name}","type":"graph"}}\'] {part}'


def choose(driver, dropdown: str, text: str) -> None:
    """Pick the option reading ``text`` (Dash 4 shows options in a popover)."""
    click(driver, dropdown)
    wait_for(driver, ".dash-dropdown-option")
    [option] = [
        o for o in driver.find_elements("css selector", ".dash-dropdown-option") if o.text == text
    ]
    option.click()


def test_pca_job_view_in_url_reload_from_store_and_csv(browser, demo):
    workspace, url = demo
    browser.get(url + "embeddings")
    wait_for_text(browser, "#emb-results", "press Run", timeout=60)
    # Only CTR-zoo models (field embeddings) are offered; Adult is the data set that has them.
    assert "adult-finalmlp" in browser.find_element("css selector", "#emb-model").text
    started = time.monotonic()
    click(browser, "#emb-run")
    wait_for(browser, graph("emb-map"), timeout=120)
    record_timing("embeddings job, adult-finalmlp, PCA (click to map)", time.monotonic() - started)
    for name in ("emb-geometry", "emb-spectrum", "emb-relations"):
        wait_for(browser, graph(name))
    # The job's new URL re-renders the page from the store: wait_for_text retries stale elements.
    wait_for_text(browser, graph("emb-map", ".gtitle"), "PCA of")
    wait_for_text(browser, "#emb-invariance", "linear_cka orthogonal-only")
    wait_for_text(browser, "#emb-invariance", "row_norms descriptive")
    for part in ("data=adult", "model=adult-finalmlp", "projection=pca", "points=table"):
        assert part in browser.current_url
    [stored] = workspace.store.entries("embeddings")

    choose(browser, "#emb-relation", "fm_strength (descriptive)")
    wait_for_text(browser, graph("emb-relations", ".gtitle"), "fm_strength")
    assert "relation=fm_strength" in browser.current_url
    switch_colour_of_the_map_only(browser)
    browser.set_window_size(1400, 4200)  # the whole page down to the map, for a human look
    screenshot(browser, "embeddings")
    browser.set_window_size(1400, 1000)

    started = time.monotonic()
    browser.refresh()
    wait_for_text(browser, graph("emb-relations", ".gtitle"), "fm_strength", timeout=60)
    wait_for(browser, graph("emb-map"))
    record_timing("cached embeddings view after reload", time.monotonic() - started)
    assert workspace.store.entries("embeddings") == [stored]

    click(browser, '[id=\'{"page":"embeddings","table":"relations","type":"csv"}\']')
    table = pd.read_csv(wait_for_file(browser.download_dir, "embeddings_*_relations.csv"))
    assert list(table.columns) == [
        "field_1",
        "field_2",
        "linear_cka",
        "subspace_overlap",
        "fm_strength",
        "centroid_cosine",
    ]
    assert len(table) == 14 * 13 // 2  # every pair of Adult's 14 fields
    assert table["linear_cka"].between(0, 1).all()
    assert console_errors(browser) == []


def switch_colour_of_the_map_only(browser) -> None:
    """Issue 13: a colour change re-renders the map alone; the other figures' DOM nodes (each
    marked here) survive it, as a page re-render would not let them."""
    others = [graph(name, "") for name in ("emb-relations", "emb-geometry", "emb-spectrum")]
    for css in others:
        browser.execute_script("document.querySelector(arguments[0]).dataset.kept = '1'", css)
    started = time.monotonic()
    choose(browser, "#emb-color", "frequency")
    wait_for_text(browser, graph("emb-map", ".cbtitle"), "frequency")
    record_timing("embeddings colour switch (map only)", time.monotonic() - started)
    for css in others:
        kept = browser.execute_script(
            "return document.querySelector(arguments[0]).dataset.kept", css
        )
        assert kept == "1", css
    assert "color=frequency" in browser.current_url


def test_data_set_without_zoo_models_says_so(browser, demo):
    _, url = demo
    browser.get(url + "embeddings?data=compas")
    message = wait_for_text(browser, "#emb-no-models", "no CTR-zoo model", timeout=60)
    assert "adult" in message.text and "\n" not in message.text
    assert browser.find_element("css selector", "#emb-results").text == ""
    assert console_errors(browser) == []


@pytest.fixture(scope="module")
def umap_compiled():
    """numba's on-disk cache of UMAP's code, filled before the UMAP job starts.

    It was a flake: in a fresh venv the job compiled UMAP itself (20-30 s on 2 idle cores), at
    the same time as the demo's warm-up child compiled the same code after the first page (two
    compiles racing on 2 loaded cores), and the map took over 180 s in one of three CI-like runs.
    Compiled here first, in a child process as the demo does (never in this process: a job
    forked from a process whose numba thread pool runs hangs), both only load the cache."""
    from app.cli.serve import compile_umap

    started = time.monotonic()
    assert compile_umap(), "the UMAP warm-up child failed"
    record_timing("UMAP warm-up child (numba cache)", time.monotonic() - started)


def test_umap_job_reports_its_stages_and_maps_rows(browser, tmp_path, umap_compiled):
    # Served by `workbench demo` in its own process, as users run it: a job forked from a
    # process whose numba thread pool runs (this pytest process, once a test ran UMAP here)
    # hangs in UMAP, and the demo never runs UMAP in the server (it warms numba's disk cache
    # in a child process instead).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "app", "demo", "--workspace", str(tmp_path)]
    demo_process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert f"http://127.0.0.1:{port}/" in demo_process.stdout.readline()
        run_umap_job(browser, f"http://127.0.0.1:{port}/")
    finally:
        demo_process.terminate()
        demo_process.wait(timeout=30)


def run_umap_job(browser, url: str) -> None:
    # Small samples (300 map points, 5000 data rows): the test is about the UMAP job's stages
    # and map, and must finish on 2 loaded cores.
    browser.get(
        url + "embeddings?data=adult&model=adult-gdcn&projection=umap&max_points=300&max_rows=5000"
    )
    wait_for(browser, "#emb-run", timeout=60)
    browser.execute_script(
        """
        window.progressSeen = [];
        const target = document.getElementById('emb-progress-text');
        new MutationObserver(() => window.progressSeen.push(target.textContent))
            .observe(target, {childList: true, characterData: true, subtree: true});
        """
    )
    started = time.monotonic()
    click(browser, "#emb-run")
    wait_for_text(browser, graph("emb-map", ".gtitle"), "UMAP of", timeout=300)
    record_timing("embeddings job, adult-gdcn, UMAP (click to map)", time.monotonic() - started)
    assert "fitting UMAP" in " ".join(browser.execute_script("return window.progressSeen"))
    assert "projection=umap" in browser.current_url
    wait_for_text(browser, ".wb-metrics", "UMAP of")
    screenshot(browser, "embeddings-umap")
    assert console_errors(browser) == []
