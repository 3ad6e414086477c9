"""The Model sets page in a real browser: a small retrained set of a COMPAS model runs as a job,
shows its cloud, consensus graph and member table, and a reload shows it from the store."""

from __future__ import annotations

import pytest

from tests.app.conftest import console_errors, grid_under, screenshot, wait_for, wait_for_text

pytestmark = [pytest.mark.browser]

CLOUD = '[id=\'{"figure":"mset-cloud","type":"graph"}\'] .main-svg'
GRAPH = '[id=\'{"figure":"mset-consensus","type":"graph"}\'] .main-svg'
#: a small set (3 bootstrap-retrained boosted-tree models, H² on 20 rows): seconds of work
SMALL = "builder=retrain&members=3&n_bootstrap=1&index=h2&top_k=2&rows=20"


def test_a_small_set_runs_shows_its_views_and_reloads_from_the_store(browser, demo):
    _, url = demo
    page = url + f"model-sets?data=compas&model=compas-gbt&{SMALL}"
    browser.get(page)
    wait_for_text(browser, "#mset-results", "No stored result")
    wait_for(browser, "#mset-run").click()
    wait_for_text(browser, "#mset-status", "Done in", timeout=240)
    wait_for(browser, CLOUD, timeout=60)
    wait_for(browser, GRAPH)
    members = grid_under(browser, "Members")
    assert len(members) == 3 and all(row["member"].startswith("seed=") for row in members)
    assert "Robust top-2" in wait_for(browser, "#mset-consensus-text").text
    screenshot(browser, "model-sets-gbt")
    browser.get(page)  # a reload: read from the store, no job
    wait_for(browser, CLOUD, timeout=60)
    assert "No stored result" not in browser.find_element("css selector", "#mset-results").text
    assert browser.find_element("css selector", "#mset-status").text == ""
    assert console_errors(browser) == []
