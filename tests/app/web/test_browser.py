"""The app in a real headless Chromium, clicking through what a user does."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlparse

import pandas as pd
import pytest

from tests.app.conftest import (
    ARTIFACTS,
    SCREEN_SIZES,
    console_errors,
    grid_under,
    screenshot,
    screenshot_at,
    wait_for,
    wait_for_file,
    wait_for_text,
)
from tests.app.web.phone_checks import (
    assert_every_category_named,
    assert_point_labels_readable,
    figure_view,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HALO = '[id=\'{"figure":"fisc-halo","type":"graph"}\'] .main-svg'
SWARM = '[id=\'{"figure":"fisc-swarm","type":"graph"}\'] .main-svg'
TIMINGS = ARTIFACTS / "browser-timings.json"


def record_timing(name: str, seconds: float) -> None:
    """Timings are measured and reported (test-artifacts), not asserted."""
    ARTIFACTS.mkdir(exist_ok=True)
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    timings[name] = round(seconds, 2)
    TIMINGS.write_text(json.dumps(timings, indent=2))
    print(f"{name}: {seconds:.2f} s")


def click(driver, css: str) -> None:
    wait_for(driver, css, timeout=60).click()


def test_fisc_job_shows_progress_finishes_and_reloads_from_store(browser, demo):
    workspace, url = demo
    browser.get(url + "rashomon?data=compas&model=compas-mlp&approximator=permutation")
    wait_for(browser, "#fisc-run")
    # Record every progress text the page shows: the job may outrun a human glance.
    browser.execute_script(
        """
        window.progressSeen = [];
        const target = document.getElementById('fisc-progress-text');
        new MutationObserver(() => window.progressSeen.push(target.textContent))
            .observe(target, {childList: true, characterData: true, subtree: true});
        """
    )
    started = time.monotonic()
    click(browser, "#fisc-run")
    wait_for(browser, HALO, timeout=120)
    record_timing(
        "fisc job, demo MLP, permutation estimator (click to halo)", time.monotonic() - started
    )
    wait_for(browser, SWARM)
    seen = browser.execute_script("return window.progressSeen")
    assert any("/" in text for text in seen), seen
    assert "model=compas-mlp" in browser.current_url
    assert "approximator=permutation" in browser.current_url
    stored = workspace.store.entries("rashomon")
    assert len(stored) == 1
    saved = stored[0]["saved"]
    screenshot(browser, "rashomon-result")

    started = time.monotonic()
    browser.refresh()
    wait_for(browser, HALO)
    record_timing("cached FISC view after reload", time.monotonic() - started)
    assert [entry["saved"] for entry in workspace.store.entries("rashomon")] == [saved]
    assert console_errors(browser) == []


def test_selecting_a_pair_opens_its_halo_and_puts_it_in_the_url(browser, demo):
    workspace, url = demo
    # A bookmark made before the rename (estimator=) still finds the stored result.
    browser.get(url + "rashomon?data=compas&model=compas-mlp&estimator=permutation")
    wait_for(browser, HALO)
    assert workspace.store.entries("rashomon"), "the previous test stores a result"
    dropdown = wait_for(browser, "#fisc-pair")
    dropdown.click()
    # Dash 4 renders the options in a popover outside the dropdown element.
    wait_for(browser, ".dash-dropdown-option")
    choices = browser.find_elements("css selector", ".dash-dropdown-option")
    wanted = choices[1].text
    choices[1].click()
    wait_for_text(browser, ".wb-card h3", f"Halo plot: {wanted}")
    assert "pair=" in browser.current_url
    started = time.monotonic()
    browser.refresh()
    wait_for_text(browser, ".wb-card h3", f"Halo plot: {wanted}")
    record_timing("cached FISC view with a chosen pair after reload", time.monotonic() - started)


def test_png_export_and_csv_download_arrive_valid(browser, demo):
    _, url = demo
    browser.get(url + "rashomon?data=compas&model=compas-mlp&approximator=permutation")
    wait_for(browser, HALO)
    click(browser, '[id=\'{"figure":"fisc-halo","format":"png","type":"export"}\']')
    # Files are named by analysis, data set and model (and what they show).
    png = wait_for_file(browser.download_dir, "fisc_compas_compas-mlp_halo.png", timeout=60)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    click(browser, '[id=\'{"page":"rashomon","table":"summary","type":"csv"}\']')
    csv = wait_for_file(browser.download_dir, "fisc_compas_compas-mlp_summary.csv")
    table = pd.read_csv(csv)
    assert {"interaction", "reference_fis", "range"} <= set(table.columns)
    assert len(table) == 21  # 7 groups of COMPAS: every pair
    # Ranked by in-set range, widest first; pairs with too few in-set models come last, unranked.
    ranked = table[~table["few_models"]]
    assert not table["few_models"].iloc[: len(ranked)].any()
    assert ranked["range"].is_monotonic_decreasing
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert table.loc[table["few_models"], "rank"].isna().all()


def test_a_grid_holds_every_row_and_sorts_by_a_clicked_header(browser, demo):
    from app.analyses import compute_result

    workspace, url = demo
    # Stored here when no test before this one ran the job (this test runs on its own too).
    result = compute_result(workspace, "rashomon", "compas-mlp", {"approximator": "permutation"})
    summary = result.summary()
    browser.get(url + "rashomon?data=compas&model=compas-mlp&approximator=permutation")
    shown = grid_under(browser, "FIS range", timeout=60)
    assert [row["interaction"] for row in shown] == summary["interaction"].tolist()[:20]
    # 21 pairs: the 21st is on the grid's second page, not cut off.
    pages = browser.find_element("css selector", ".ag-paging-row-summary-panel").text
    assert "of 21" in pages, pages
    header = '[col-id="interaction"].ag-header-cell .ag-header-cell-label'
    started = time.monotonic()
    click(browser, header)  # ascending by name
    wait_for_text(
        browser, '.ag-row[row-index="0"] [col-id="interaction"]', sorted(summary["interaction"])[0]
    )
    record_timing("grid sort by a header click (21 rows)", time.monotonic() - started)
    top = grid_under(browser, "FIS range")[0]
    assert top["interaction"] == min(summary["interaction"]) != summary["interaction"].iloc[0]
    # Numbers to 4 significant digits (the grid sorts on the full values).
    expected = summary.set_index("interaction").loc[top["interaction"], "range"]
    shown = float(top["range"]) if top["range"] else float("nan")
    assert shown == float(f"{expected:.4g}") or (pd.isna(expected) and top["range"] == "")
    # Offline: every script and style came from the app itself, none from a CDN.
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert resources and all(name.startswith(url) for name in resources), resources
    screenshot(browser, "rashomon-grid-sorted")


def test_cancelled_job_stores_nothing(browser, tmp_path):
    # A second app in this process, like app.open called twice: the tests after this one
    # check that the demo app still runs its own jobs on its own workspace (app/context.py).
    from app.web import create_app
    from app.web.server import serve_in_thread
    from workbench.samples import sample_data_path
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    # 27 single-column groups and Monte-Carlo: a job of many seconds on two cores.
    workspace = Workspace.create(tmp_path)
    workspace.add_data(
        DataEntry("compas27", str(sample_data_path("compas.csv")), "Recidivate-Within-Two-Years")
    )
    workspace.add_model(ModelEntry("logistic27", "compas27", "sample", sample="logistic"))
    workspace.model("logistic27")  # trained before the page asks, as `workbench serve` warms up
    server = serve_in_thread(create_app(workspace))
    try:
        browser.get(server.url + "rashomon?approximator=permutation")
        click(browser, "#fisc-run")
        wait_for_text(browser, "#fisc-progress-text", "/", timeout=60)
        click(browser, "#fisc-cancel")
        wait_for_text(browser, "#fisc-status", "Cancelled")
        time.sleep(1.0)
        assert workspace.store.entries() == []
        assert workspace.store.partial_files() == []
        assert browser.find_element("css selector", "#fisc-run").is_enabled()
        screenshot(browser, "rashomon-cancelled")
        assert console_errors(browser) == []
    finally:
        browser.leave()  # before the server stops: its page would log failed requests
        server.stop()


def test_invalid_upload_shows_one_line_error_and_app_keeps_working(browser, demo, tmp_path):
    workspace, url = demo
    browser.get(url)
    wait_for_text(browser, "#overview-models", "compas-gbt", timeout=60)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,x\n")
    good = tmp_path / "tiny.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{int((i % 7) * ((i * 3) % 5) > 6)}" for i in range(200)]
    good.write_text("u,v,label\n" + "\n".join(rows) + "\n")

    browser.find_element("css selector", "#overview-upload-target").send_keys("label")
    upload = browser.find_element("css selector", "#overview-upload input[type=file]")
    upload.send_keys(str(bad))
    error = wait_for(browser, "#overview-upload-status.wb-error")
    assert "label" in error.text and "\n" not in error.text
    screenshot(browser, "overview-upload-error")

    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"\x80\x04K\x01.")  # a pickle: refused by its name, never loaded
    upload.send_keys(str(pickled))
    wait_for_text(browser, "#overview-upload-status", "not a CSV or Parquet file")

    upload.send_keys(str(good))
    wait_for_text(browser, "#overview-upload-status", "Added data set 'tiny'", timeout=60)
    wait_for_text(browser, "#overview-models", "tiny-mlp")
    # The upload's models trained in a background job (another process) that wrote the
    # manifest: this process's workspace reads the new entries from it.
    workspace.refresh()
    assert "tiny" in workspace.data_names
    assert console_errors(browser) == []


def test_demo_command_first_page_time(browser, tmp_path):
    """`workbench demo` from a cold start to the Overview with every model's metrics."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "app", "demo", "--workspace", str(tmp_path)]
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert f"http://127.0.0.1:{port}/" in process.stdout.readline()
        browser.get(f"http://127.0.0.1:{port}/")
        models = wait_for_text(browser, "#overview-models", "compas-gbt", timeout=120)
        record_timing("workbench demo: start to first page", time.monotonic() - started)
        # Models still loading are listed as "training…" and the table refreshes until each
        # has its metrics: the page is never blank meanwhile, and it ends with every metric.
        deadline = time.monotonic() + 180
        while "training…" in models.text:
            assert time.monotonic() < deadline, models.text
            time.sleep(0.5)
            models = browser.find_element("css selector", "#overview-models")
        record_timing(
            "workbench demo: start to first page with metrics", time.monotonic() - started
        )
        assert console_errors(browser) == []
    finally:
        browser.leave()  # before the server stops: its page would log failed requests
        process.terminate()
        process.wait(timeout=20)


def test_interactions_job_and_a_heatmap_click_opens_the_halo(browser, demo):
    from selenium.webdriver.common.action_chains import ActionChains

    _, url = demo
    browser.get(url + "interactions?data=compas&model=compas-gbt&index=tree")
    click(browser, "#inter-run")
    heatmap = wait_for(browser, '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .nsewdrag')
    wait_for(browser, '[id=\'{"figure":"inter-network","type":"graph"}\'] .main-svg')
    assert "index=tree" in browser.current_url
    screenshot(browser, "interactions")
    # Each figure says how to read it; the signed view redraws them and says it is signed.
    readings = browser.find_elements("css selector", "#inter-figures .wb-how-to-read")
    assert (
        len(readings) == 3
        and "synergy" in readings[0].text
        and "sign dropped" in (readings[0].text)
    )
    [signed] = [
        label
        for label in browser.find_elements("css selector", "#inter-aggregate label")
        if "signed" in label.text
    ]
    signed.click()
    wait_for_text(browser, "#inter-figures .wb-how-to-read", "opposite sign cancel", timeout=60)
    # The pair score is view state in the URL, and the global table ranks by it.
    assert "aggregate=mean" in browser.current_url
    wait_for_text(browser, "#inter-results", "ranked by mean (signed)")
    screenshot(browser, "interactions-signed")
    heatmap = wait_for(browser, '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .nsewdrag')
    # The heatmap is 7 × 7 with square cells spanning the plot's height: its centre is a
    # diagonal cell, and one cell to the right is a pair.
    ActionChains(browser).move_to_element(heatmap).move_by_offset(
        heatmap.size["height"] // 7, 0
    ).click().perform()
    wait_for(browser, "#fisc-run")
    assert "/rashomon?" in browser.current_url and "pair=" in browser.current_url
    assert console_errors(browser) == []


def test_compare_updates_every_view_when_models_change(browser, demo):
    from app.analyses import compute_result

    workspace, url = demo
    for model in workspace.model_names("compas"):
        compute_result(workspace, "interactions", model, {"index": "h2"})
    browser.get(url + "compare?data=compas&models=compas-mlp,compas-gbt&index=h2")
    wait_for(browser, '[id=\'{"figure":"cmp-dumbbell","type":"graph"}\'] .main-svg')
    assert "2\\nmodels" in repr(browser.find_element("css selector", ".wb-metrics").text)
    screenshot(browser, "compare")
    reading = browser.find_element("css selector", ".wb-how-to-read").text
    assert "H²" in reading and "Share" in reading  # the dumbbell's unit and marks
    browser.find_element("css selector", "#cmp-models").click()
    wait_for(browser, ".dash-dropdown-option")
    [option] = [
        o
        for o in browser.find_elements("css selector", ".dash-dropdown-option")
        if o.text == "compas-logistic"
    ]
    option.click()
    wait_for_text(browser, ".wb-metrics", "3\nmodels")
    assert "compas-logistic" in browser.current_url
    assert console_errors(browser) == []


def test_additive_model_says_no_interactions_until_the_probability_scale(browser, demo):
    """compas-logistic is additive on the logit scale: the page says so; the probability
    scale (a form value, kept in the URL) has the sigmoid's interactions."""
    _, url = demo
    browser.get(url + "interactions?data=compas&model=compas-logistic&index=sii")
    click(browser, "#inter-run")
    wait_for(browser, '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .main-svg')
    wait_for_text(browser, ".wb-diagnostics", "no interactions detected", timeout=60)
    screenshot(browser, "interactions-additive")
    # The scale is part of the view's URL, like every form value.
    browser.get(url + "interactions?data=compas&model=compas-logistic&index=sii&output=probability")
    wait_for_text(browser, "#inter-scale", "probability")
    click(browser, "#inter-run")
    # "Done in …" while the job's view shows; once its URL re-renders the page from the store,
    # "Stored result, computed in …" (either may be the one a poll sees).
    wait_for_text(browser, "#inter-status", " in ", timeout=120)
    wait_for(browser, '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .main-svg')
    status = browser.find_element("css selector", "#inter-status").text
    assert "Done in" in status or "Stored result, computed in" in status, status
    assert "output=probability" in browser.current_url
    assert "probability_clip=1e-07" in browser.current_url  # the clip field, kept in the URL too
    diagnostics = browser.find_elements("css selector", ".wb-diagnostics")
    assert not any("no interactions detected" in d.text for d in diagnostics)
    assert console_errors(browser) == []


MODEL_SET_CLOUD = '[id=\'{"figure":"mset-cloud","type":"graph"}\'] .main-svg'
MODEL_SET_GRAPH = '[id=\'{"figure":"mset-consensus","type":"graph"}\'] .main-svg'
#: a small set (3 bootstrap-retrained boosted-tree models, H² on 20 rows): seconds of work
MODEL_SET_SMALL = "builder=retrain&members=3&n_bootstrap=1&index=h2&top_k=2&rows=20"


def test_a_small_model_set_runs_shows_its_views_and_reloads_from_the_store(browser, demo):
    """The Model sets page: a small retrained set of a COMPAS model runs as a job, shows its
    cloud, consensus graph and member table, and a reload shows it from the store (it shares
    this module's demo server: one fewer demo start in the suite)."""
    _, url = demo
    page = url + f"model-sets?data=compas&model=compas-gbt&{MODEL_SET_SMALL}"
    browser.get(page)
    wait_for_text(browser, "#mset-results", "No stored result")
    wait_for(browser, "#mset-run").click()
    wait_for_text(browser, "#mset-status", "Done in", timeout=240)
    wait_for(browser, MODEL_SET_CLOUD, timeout=60)
    wait_for(browser, MODEL_SET_GRAPH)
    members = grid_under(browser, "Members")
    assert len(members) == 3 and all(row["member"].startswith("seed=") for row in members)
    assert "Robust top-2" in wait_for(browser, "#mset-consensus-text").text
    screenshot(browser, "model-sets-gbt")
    browser.get(page)  # a reload: read from the store, no job
    wait_for(browser, MODEL_SET_CLOUD, timeout=60)
    assert "No stored result" not in browser.find_element("css selector", "#mset-results").text
    assert browser.find_element("css selector", "#mset-status").text == ""
    assert console_errors(browser) == []


GATES_SMALL = "rows=100&n_bootstrap=10&attribution_rows=20&n_permutations=1"
#: every page on a stored result (path, the analysis and model behind it, what shows it drawn)
PAGES = {
    "overview": ("", None, "#overview-models"),
    "rashomon": (
        "rashomon?data=compas&model=compas-mlp&approximator=permutation",
        ("rashomon", ["compas-mlp"]),
        HALO,
    ),
    "model-sets": (
        f"model-sets?data=compas&model=compas-gbt&{MODEL_SET_SMALL}",
        ("model_set", ["compas-gbt"]),
        MODEL_SET_CLOUD,
    ),
    "interactions": (
        "interactions?data=compas&model=compas-gbt&index=tree",
        ("interactions", ["compas-gbt"]),
        '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .main-svg',
    ),
    "compare": (
        "compare?data=compas&models=compas-mlp,compas-gbt,compas-logistic&index=h2",
        ("interactions", ["compas-mlp", "compas-gbt", "compas-logistic"]),
        '[id=\'{"figure":"cmp-dumbbell","type":"graph"}\'] .main-svg',
    ),
    "gates": (
        f"gates?data=adult&model=adult-finalmlp&{GATES_SMALL}",
        ("gates", ["adult-finalmlp"]),
        '[id=\'{"figure":"gates-distribution","type":"graph"}\'] .main-svg',
    ),
    "embeddings": (
        "embeddings?data=adult&model=adult-finalmlp",
        ("embeddings", ["adult-finalmlp"]),
        '[id=\'{"figure":"emb-map","type":"graph"}\'] .main-svg',
    ),
}


#: every figure title's box on the page, with the window's width (to check nothing is cut)
_TITLE_BOXES = """
    return [window.innerWidth, Array.from(document.querySelectorAll('.js-plotly-plot .gtitle'))
        .map(title => { const box = title.getBoundingClientRect();
                        return [title.textContent, box.left, box.right]; })];
"""


def store_page_results(workspace) -> None:
    """Compute (or read from the store) the result each page of PAGES shows."""
    from app.analyses import compute_result

    for path, stored, _ in PAGES.values():
        if stored:
            analysis_name, models = stored
            query = dict(parse_qsl(urlparse(path).query))
            parameters = {k: v for k, v in query.items() if k not in ("data", "model", "models")}
            for model in models:
                compute_result(workspace, analysis_name, model, parameters)


_PAGE_WIDTHS = """
    return [document.documentElement.scrollWidth, document.documentElement.clientWidth];
"""


def check_gates_figures_on_a_phone(browser, workspace) -> None:
    """On a phone the Gates page names every field in its per-field charts (no thinned or cut
    tick labels), and the scatter's field labels are readable or counted as hidden."""
    from app.analyses import compute_result

    path = PAGES["gates"][0]
    query = dict(parse_qsl(urlparse(path).query))
    parameters = {k: v for k, v in query.items() if k not in ("data", "model")}
    fields = list(
        compute_result(workspace, "gates", query["model"], parameters).statistics.field_names
    )
    assert len(fields) == 14  # adult: enough fields that a phone's width thinned their ticks
    for figure in ("gates-distribution", "gates-ablation"):
        wait_for(browser, f'[id=\'{{"figure":"{figure}","type":"graph"}}\'] .main-svg', timeout=60)
        assert_every_category_named(figure_view(browser, figure), fields)
    wait_for(browser, '[id=\'{"figure":"gates-scatter","type":"graph"}\'] .main-svg', timeout=60)
    assert_point_labels_readable(figure_view(browser, "gates-scatter"), fields)


def test_narrow_window_wraps_the_nav_and_keeps_every_page_inside_it(browser, demo):
    """A phone-sized window (390 × 844), every page on a stored result: every page link
    visible, nothing wider than the window, every figure title inside it (figures are laid
    out again for a narrow window in the browser: app/web/assets/narrow_figures.js); on the
    Gates page every field is named in the per-field charts and point labels are readable."""
    from selenium.webdriver.support.ui import WebDriverWait

    workspace, url = demo
    store_page_results(workspace)
    browser.set_window_size(390, 844)
    try:
        for page, (path, _, drawn) in PAGES.items():
            browser.get(url + path)
            wait_for(browser, drawn, timeout=60)
            if page == "rashomon":
                grid_under(browser, "FIS range", timeout=60)
            width = browser.execute_script("return window.innerWidth")
            assert width < 600, width  # the window the narrow layout is for
            links = browser.find_elements("css selector", ".wb-nav a")
            assert len(links) == 7  # every page, Model sets included
            for link in links:
                box = browser.execute_script(
                    "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                    link,
                )
                assert link.is_displayed() and 0 <= box[0] and box[1] <= width, (link.text, box)

            def titles_inside(driver, page=page):
                window, titles = driver.execute_script(_TITLE_BOXES)
                inside = all(0 <= left and right <= window for _, left, right in titles)
                return inside and (bool(titles) or page == "overview")

            WebDriverWait(browser, 15).until(titles_inside, message=f"a title cut on {page}")
            # Nothing wider than the page's width (the window less its scroll bar).
            document, inner = browser.execute_script(_PAGE_WIDTHS)
            assert document <= inner, (page, document, inner)
            if page == "gates":
                check_gates_figures_on_a_phone(browser, workspace)
            screenshot(browser, "narrow-" + page)
    finally:
        browser.set_window_size(1400, 1000)


def test_every_page_loads_without_console_errors(browser, demo):
    """Every page of the nav, each on a stored result, at a laptop's and a phone's size:
    no console errors, and a full-page screenshot of each (``<page>-<w>x<h>.png``) for a human
    look. Last in the module: the results its tests stored are reused (else computed here)."""
    workspace, url = demo
    store_page_results(workspace)
    browser.get(url)
    wait_for_text(browser, "#overview-models", "adult-gdcn", timeout=60)
    for name in workspace.model_names():
        assert name in browser.find_element("css selector", "#overview-models").text
    links = {
        link.text: link.get_attribute("href")
        for link in browser.find_elements("css selector", ".wb-nav a")
    }
    # Every page of the nav is visited (its path is one of PAGES').
    paths = {urlparse(href).path.strip("/") or "overview" for href in links.values()}
    assert paths == {path.split("?")[0] or "overview" for path, _, _ in PAGES.values()}, links
    assert all(href.startswith(url) for href in links.values())
    for page, (path, _, drawn) in PAGES.items():
        browser.get(url + path)
        wait_for(browser, ".wb-page h2", timeout=60)
        wait_for(browser, drawn, timeout=60)
        # The page's own analysis shows its stored result: its first results area (the Gates
        # page's intrinsic, OptInter and OptFS cards are analyses of their own, not run here).
        areas = browser.find_elements("css selector", ".wb-page [id$='-results']")
        assert not areas or "No stored result" not in areas[0].text, page
        for width, height in SCREEN_SIZES:
            screenshot_at(browser, page, width, height)
        assert console_errors(browser) == [], page
