"""The Interactions page's local views in a real headless Chromium: picking a pair or a row
redraws the dependence plot and the row's bars, keeps both in the URL, and re-renders nothing
else (no page callback is requested, and a mark on an element outside the card survives)."""

from __future__ import annotations

import json
import time

import pytest

from tests.app.conftest import console_errors, screenshot, served_to, wait_for, wait_for_text
from tests.app.web.page_clock import seen_at, watch, watch_every_page
from tests.app.web.test_browser import record_timing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAIR_BOX = "[id='" + json.dumps({"index": 0, "type": "inter-local-pair"}, separators=(",", ":"))
ROW_BOX = "[id='" + json.dumps({"index": 0, "type": "inter-local-row"}, separators=(",", ":"))
DEPENDENCE = '[id=\'{"figure":"inter-dependence","type":"graph"}\']'
ROW_BARS = '[id=\'{"figure":"inter-row","type":"graph"}\']'
TOP_PAIRS = '[id=\'{"figure":"inter-top-pairs","type":"graph"}\']'
HEATMAP = '[id=\'{"figure":"inter-heatmap","type":"graph"}\'] .main-svg'
#: what the page draws, timed on the page's own clock (tests/app/web/page_clock.py)
DRAWN = {
    "heatmap": HEATMAP,
    "network": '[id=\'{"figure":"inter-network","type":"graph"}\'] .main-svg',
    "dependence": DEPENDENCE + " .main-svg",
    # a grid in view built, or (below the fold) its waiting line: lazy grids, app/web/tables.py
    "rows": "#inter-details-area .ag-row, #inter-details-area .wb-lazy-waiting",
}
#: records the outputs of every Dash callback request the page sends from now on
_WATCH_REQUESTS = """
window.__outputs = [];
const send = window.fetch;
window.fetch = function(resource, options) {
    if (String(resource).includes('_dash-update-component') && options && options.body) {
        window.__outputs.push(JSON.parse(options.body).output);
    }
    return send.apply(this, arguments);
};
document.getElementById('inter-figures').__mark = 'kept';
"""


@pytest.fixture(scope="module")
def served(browser, tmp_path_factory):
    """A small forest on y = [x0·x1 > 0] with its SII result stored; yields (result, url)."""
    from app.analyses import compute_result
    from app.web import create_app
    from tests.app.web.xor_forest import xor_forest_workspace

    space = xor_forest_workspace(tmp_path_factory.mktemp("ws"))
    result = compute_result(space, "interactions", "forest", {"index": "sii", "rows": 12})
    with served_to(browser, create_app(space, jobs_dir=tmp_path_factory.mktemp("jobs"))) as url:
        yield result, url + "interactions?data=d&model=forest&index=sii&rows=12"


def choose(browser, box: str, text: str) -> None:
    """Open the dropdown ``box`` and click its option ``text``."""
    shown_option(browser, box, text).click()


def shown_option(browser, box: str, text: str):
    """Open the dropdown ``box``; its option ``text``."""
    browser.find_element("css selector", box).click()
    wait_for(browser, ".dash-dropdown-option")
    [option] = [
        o for o in browser.find_elements("css selector", ".dash-dropdown-option") if o.text == text
    ]
    return option


def record_page_draw(browser, visit: str) -> None:
    """The heatmap first, the rest after it: when each appeared, on the page's clock."""
    for name in DRAWN:
        wait_for(browser, DRAWN[name], timeout=60)
    drawn = {name: seen_at(browser, name) for name in DRAWN}
    assert drawn["heatmap"] <= min(drawn.values())  # nothing waits on the rest
    record_timing(
        f"interactions: stored result, {visit} to heatmap drawn (page clock)", drawn["heatmap"]
    )
    record_timing(
        f"interactions: stored result, {visit} to every figure drawn and every grid in view "
        "built (page clock)",
        max(drawn.values()),
    )


def test_pair_and_row_choices_redraw_only_the_local_views(browser, served):
    from selenium.webdriver.common.action_chains import ActionChains

    result, url = served
    rows = result.settings["rows"]
    watch_every_page(browser, DRAWN)
    browser.get(url)
    record_page_draw(browser, "open")  # the server builds the views
    browser.refresh()
    record_page_draw(browser, "reload")  # built views kept (app.web.view_cache)
    wait_for_text(browser, DEPENDENCE + " .gtitle", "x0 × x1 per row", timeout=60)
    wait_for_text(browser, "#inter-local", f"Values of row {rows[0]}")
    browser.execute_script(_WATCH_REQUESTS)

    option = shown_option(browser, PAIR_BOX, "x1 × x2")
    clicked = watch(browser, "pair", DEPENDENCE + " .gtitle", "x1 × x2 per row")
    started = time.monotonic()
    option.click()
    wait_for_text(browser, DEPENDENCE + " .gtitle", "x1 × x2 per row")
    record_timing("local views: pair switch (choice to redrawn plot)", time.monotonic() - started)
    record_timing(
        "local views: pair switch to redrawn plot (page clock)",
        seen_at(browser, "pair") - clicked / 1000,
    )
    assert "pair=x1+%C3%97+x2" in browser.current_url
    choose(browser, ROW_BOX, f"row {rows[4]}")
    wait_for_text(browser, "#inter-local", f"Values of row {rows[4]}")
    wait_for_text(browser, ROW_BARS + " .gtitle", f"row {rows[4]},")
    assert f"row={rows[4]}" in browser.current_url and "pair=x1" in browser.current_url
    # Nothing outside the card was re-rendered: the page's content callback never ran.
    outputs = browser.execute_script("return window.__outputs")
    assert outputs and all("inter-local-figures" in o for o in outputs), outputs
    mark = "return document.getElementById('inter-figures').__mark"
    assert browser.execute_script(mark) == "kept"
    browser.execute_script("document.getElementById('inter-local').scrollIntoView()")
    screenshot(browser, "interactions-local-views")

    # A click on a bar of Strongest pairs picks that pair for the dependence plot.
    bars = browser.find_elements("css selector", TOP_PAIRS + " .point path")
    strongest = result.global_scores().sort_values("value")["pair"].iloc[-1]
    longest = max(bars, key=lambda bar: bar.size["width"])
    ActionChains(browser).move_to_element(longest).click().perform()  # plotly's drag layer
    wait_for_text(browser, DEPENDENCE + " .gtitle", f"{strongest} per row")
    assert browser.execute_script(mark) == "kept"

    # The URL holds the view: a reload shows the same pair and row.
    browser.get(browser.current_url)
    wait_for_text(browser, DEPENDENCE + " .gtitle", f"{strongest} per row", timeout=60)
    wait_for_text(browser, "#inter-local", f"Values of row {rows[4]}")
    assert console_errors(browser) == []
    browser.leave()
