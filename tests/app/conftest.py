"""Browser fixtures: the app served on 127.0.0.1 in a thread, driven by headless Debian Chromium.

Selenium 4.2 (pinned by dash[testing]) uses the ``chromedriver`` on PATH (Debian's
``chromium-driver``). Screenshots go to ``test-artifacts/screenshots`` for a human look.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def _chrome(download_dir: Path):
    from selenium import webdriver

    class CheckedChrome(webdriver.Chrome):
        """Chromium that checks the console of the page it leaves: every page visit of every
        browser test fails on a SEVERE entry from the app's own code (see app_console_errors)."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            #: the console errors of the page ``leave`` left, for the test's own check
            self.left_errors: list[str] = []

        def get(self, url: str) -> None:
            left = self.take_left_errors()
            assert left == [], f"console errors on the page left before {url}: {left}"
            if self.current_url.startswith("http"):
                assert_no_console_errors(self)
            super().get(url)

        def leave(self) -> None:
            """Go to a blank page before a test's server stops. A page still open when its
            server goes would log the requests it makes afterwards (an interval's poll, a
            grid's lazily loaded script) as failures; the page's own errors up to now are kept
            for the test's check, and what the navigation logs (aborted requests) is dropped."""
            if self.current_url.startswith("http"):
                self.left_errors = self.left_errors + app_console_errors(self)
            super().get("about:blank")
            console_errors(self)

        def take_left_errors(self) -> list[str]:
            errors, self.left_errors = self.left_errors, []
            return errors

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1000")
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(download_dir), "download.prompt_for_download": False},
    )
    return CheckedChrome(options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if shutil.which("chromedriver") is None or shutil.which("chromium") is None:
        pytest.fail("browser tests need Debian's chromium and chromium-driver (see README)")
    downloads = tmp_path_factory.mktemp("downloads")
    driver = _chrome(downloads)
    driver.download_dir = downloads
    yield driver
    driver.quit()


@contextmanager
def served_to(browser, app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 for ``browser``; yields the URL. The browser leaves the page
    before the server stops (see CheckedChrome.leave), so a test's console check never sees the
    requests that a stopped server refused."""
    from app.web.server import serve_in_thread

    server = serve_in_thread(app)
    try:
        yield server.url
    finally:
        browser.leave()
        server.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workspace, served; yields (workspace, url)."""
    from app.web import create_app
    from app.web.server import serve_in_thread
    from workbench.workspace import demo_workspace

    workspace = demo_workspace(tmp_path_factory.mktemp("workspace"))
    for name in workspace.model_names():  # trained up front, so page waits time the app only
        workspace.model(name)
    server = serve_in_thread(create_app(workspace))
    yield workspace, server.url
    server.stop()


def wait_for(driver, css: str, timeout: float = 30.0):
    """The first element matching ``css`` once it is displayed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(driver, css: str, text: str, timeout: float = 30.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )
    return driver.find_element(By.CSS_SELECTOR, css)


def wait_for_file(folder: Path, pattern: str, timeout: float = 30.0) -> Path:
    """A finished download (Chromium writes ``*.crdownload`` until it is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done and done[0].stat().st_size > 0:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {pattern} downloaded to {folder} within {timeout} s")


def console_errors(driver) -> list[str]:
    """SEVERE browser console entries since the last call (Chromium clears the log on read)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


#: SEVERE entries that are the browser's, not the app's: the favicon the app does not have
_BROWSER_NOISE = ("favicon.ico",)


def app_console_errors(driver) -> list[str]:
    """SEVERE console entries the app causes (an uncaught error in its scripts or callbacks, a
    failed request, a resource it asks of a CDN), since the last read of the log; only the
    browser's own noise is left out."""
    return [
        message
        for message in console_errors(driver)
        if not any(noise in message for noise in _BROWSER_NOISE)
    ]


def assert_no_console_errors(driver) -> None:
    errors = app_console_errors(driver)
    assert errors == [], f"console errors on {driver.current_url}: {errors}"


@pytest.fixture(autouse=True)
def _console_checked(request):
    """After each browser test, the page it ended on has no console errors either."""
    yield
    if "browser" not in request.fixturenames:
        return
    driver = request.getfixturevalue("browser")
    if not getattr(request.node, "rep_call_passed", False):
        # A failed test's page is its own: shown with its failure, and the next test starts clean.
        print("console errors:", driver.take_left_errors() + console_errors(driver))
    else:
        errors = driver.take_left_errors()
        if driver.current_url.startswith("http"):
            errors += app_console_errors(driver)
        assert errors == [], f"console errors at the end of the test: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.rep_call_passed = report.passed
    return report


def grid_under(driver, title_start: str, timeout: float = 30.0) -> list[dict[str, str]]:
    """The shown rows (current grid page, in display order) of the AG Grid in the card whose
    heading starts with ``title_start``: column field → cell text as the user reads it."""
    card_path = (
        f"//div[contains(@class, 'wb-card')][h3[starts-with(normalize-space(.), '{title_start}')]]"
    )
    # Scrolled to first, as a user would: a lazy grid is built only then (app/web/tables.py).
    card = wait_for_xpath(driver, card_path, timeout)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    wait_for_xpath(driver, card_path + "//div[contains(@class, 'ag-row')]", timeout)
    rows = card.find_elements("css selector", ".ag-center-cols-container .ag-row")
    rows.sort(key=lambda row: int(row.get_attribute("row-index")))
    return [
        {
            cell.get_attribute("col-id"): cell.text
            for cell in row.find_elements("css selector", ".ag-cell")
        }
        for row in rows
    ]


def wait_for_xpath(driver, xpath: str, timeout: float = 30.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        expected_conditions.visibility_of_element_located((By.XPATH, xpath))
    )


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


#: the window sizes of the closing-note screenshots: a laptop and a phone (issue 13)
SCREEN_SIZES = ((1440, 900), (390, 844))
#: the tallest full-page screenshot taken (a long page is cut there)
_MAX_SHOT_HEIGHT = 8000


#: true once every drawn graph is laid out for the window (app/web/assets/narrow_figures.js)
_FIGURES_FITTED = """
    return Array.from(document.querySelectorAll('.js-plotly-plot')).every(
        gd => !gd.data || (!gd._narrowBusy && (window.innerWidth >= 600 || gd._narrow)));
"""


def _wait_for_narrow_figures(driver, timeout: float = 10.0) -> None:
    """Wait (at most ``timeout`` s, then shoot anyway) for the figures' narrow layout: a
    phone-sized shot on a loaded machine caught some figures still at a laptop's layout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not driver.execute_script(_FIGURES_FITTED):
        time.sleep(0.2)


_PAINT_TABLE_CARDS = """
    document.querySelectorAll('.wb-table-card')
        .forEach(card => { card.style.contentVisibility = 'visible'; });
"""


_WAITING_GRIDS = """
    return Array.from(document.querySelectorAll('.wb-lazy-grid'))
        .filter(slot => slot.querySelector('.wb-lazy-waiting'));
"""


def build_lazy_grids(driver, timeout: float = 10.0) -> None:
    """Scroll to each grid still waiting to be built (app/web/tables.py lazy_grid), wait (at
    most ``timeout`` s) until every one is built, and scroll back to the top: a full-page
    screenshot shows every grid, not the lines that stand in for them."""
    for slot in driver.execute_script(_WAITING_GRIDS):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slot)
        time.sleep(0.1)  # the IntersectionObserver reports on the next frame
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and driver.execute_script(_WAITING_GRIDS):
        time.sleep(0.2)
    driver.execute_script("window.scrollTo(0, 0)")


def screenshot_at(driver, name: str, width: int, height: int) -> Path:
    """The whole page laid out in a ``width`` × ``height`` viewport, as
    ``<name>-<width>x<height>.png``: the viewport is set exactly (not the window, whose frame
    differs between Chromium versions) and the capture goes below it to the page's end."""
    import base64

    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    time.sleep(1.0)  # plotly's responsive figures redraw on the resize
    _wait_for_narrow_figures(driver)
    # Table cards below the fold are painted only when scrolled near (content-visibility in
    # style.css): a full-page shot showed them as empty cards.
    driver.execute_script(_PAINT_TABLE_CARDS)
    build_lazy_grids(driver)
    tall = driver.execute_script("return document.documentElement.scrollHeight")
    # At least the viewport's width: scrollWidth leaves out the scroll bar (15 px), but the
    # capture below the fold lays the page out without one, which cut every page's right edge.
    wide = max(width, driver.execute_script("return document.documentElement.scrollWidth"))
    clip = {"x": 0, "y": 0, "width": wide, "height": min(tall, _MAX_SHOT_HEIGHT), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}x{height}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.fixture
def xor_workspace(tmp_path):
    """``make(sample)``: a workspace with a 300-row XOR data set (a × b planted, c noise) and
    one sample model of that kind ("logistic", "mlp", ...) named "xor-<sample>"."""
    import numpy as np
    import pandas as pd

    from workbench.workspace import DataEntry, ModelEntry, Workspace

    def make(sample: str) -> Workspace:
        rng = np.random.default_rng(0)
        frame = pd.DataFrame(rng.integers(0, 2, size=(300, 3)), columns=["a", "b", "c"])
        frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
        frame.to_csv(tmp_path / "xor.csv", index=False)
        space = Workspace.create(tmp_path / f"ws-{sample}")
        space.add_data(DataEntry("xor", str(tmp_path / "xor.csv"), "y"))
        space.add_model(ModelEntry(f"xor-{sample}", "xor", "sample", sample=sample))
        return space

    return make
