"""The Gates page in a real headless Chromium: run the job, pick a site, reload, download."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from tests.app.conftest import console_errors, screenshot, wait_for, wait_for_file, wait_for_text
from tests.app.web.test_browser import click, record_timing

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def graph(name: str) -> str:
    return f'[id=\'{{"figure":"{name}","type":"graph"}}\'] .main-svg'


def test_data_without_zoo_models_says_so_in_one_line(browser, demo):
    _, url = demo
    browser.get(url + "gates?data=compas")
    message = wait_for_text(browser, "#gates-no-models", "has no zoo model", timeout=60)
    assert "\n" not in message.text
    assert "press Run" not in browser.find_element("css selector", "#gates-results").text
    assert console_errors(browser) == []


def test_gates_job_site_in_the_url_cached_reload_and_csv(browser, demo):
    workspace, url = demo
    browser.get(url + "gates?data=adult&model=adult-finalmlp")
    wait_for_text(browser, "#gates-results", "press Run", timeout=60)
    # Only the zoo models of the data set are offered.
    browser.find_element("css selector", "#gates-model").click()
    wait_for(browser, ".dash-dropdown-option")
    offered = [o.text for o in browser.find_elements("css selector", ".dash-dropdown-option")]
    assert offered == ["adult-finalmlp", "adult-gdcn", "adult-autoint", "adult-fcn"]
    browser.find_element("css selector", ".dash-dropdown-option").click()

    started = time.monotonic()
    click(browser, "#gates-run")
    wait_for(browser, graph("gates-distribution"), timeout=240)
    record_timing(
        "gates job, demo FinalMLP, default settings (click to figures)", time.monotonic() - started
    )
    for name in ("gates-levels", "gates-ablation", "gates-scatter", "gates-interactions"):
        wait_for(browser, graph(name))
    assert "model=adult-finalmlp" in browser.current_url
    assert "rows=500" in browser.current_url and "interactions=on" in browser.current_url
    [stored] = workspace.store.entries("gates")

    # A site choice re-renders the site's cards only: the form is the same element after it.
    browser.execute_script("document.querySelector('#gates-run').dataset.kept = '1'")
    browser.find_element("css selector", "#gates-site").click()
    wait_for(browser, ".dash-dropdown-option")
    options = browser.find_elements("css selector", ".dash-dropdown-option")
    assert [o.text.split(" ")[0] for o in options] == ["stream1_gate", "stream2_gate", "fusion"]
    started = time.monotonic()
    options[1].click()
    wait_for_text(browser, ".wb-card h3", "Gate values per field at stream2_gate")
    wait_for(browser, graph("gates-ablation"))
    record_timing("partial: gates site switch to figures drawn", time.monotonic() - started)
    assert "site=stream2_gate" in browser.current_url
    assert browser.execute_script("return document.querySelector('#gates-run').dataset.kept")

    started = time.monotonic()
    browser.refresh()
    wait_for_text(browser, ".wb-card h3", "Gate values per field at stream2_gate")
    wait_for(browser, graph("gates-ablation"))
    record_timing("cached gates view with a chosen site after reload", time.monotonic() - started)
    assert workspace.store.entries("gates") == [stored]
    screenshot(browser, "gates")

    click(browser, '[id=\'{"page":"gates","table":"gate_ablation","type":"csv"}\']')
    table = pd.read_csv(wait_for_file(browser.download_dir, "gates_*_gate_ablation.csv"))
    assert {"site", "field", "mode", "loss_increase", "loss_increase_low"} <= set(table.columns)
    assert set(table["site"]) == {"stream1_gate", "stream2_gate", "fusion"}
    assert (table["loss_increase_low"] <= table["loss_increase_high"]).all()
    assert console_errors(browser) == []


def test_attention_view_draws_the_picked_rows_maps(browser, demo):
    _, url = demo
    browser.get(url + "gates?data=adult&model=adult-autoint")
    box = wait_for(browser, "#gates-attention-row", timeout=60)
    wait_for_text(browser, "#gates-attention-sites", "the model's own attention sites")
    box.clear()
    box.send_keys("17")
    click(browser, "#gates-attention-show")
    wait_for(browser, graph("gates-attention-row"), timeout=120)
    wait_for(browser, graph("gates-attention-global"))
    wait_for_text(browser, "#gates-attention-view", "Attention of row 17")
    assert "age = " in browser.find_element("css selector", "#gates-attention-view").text
    assert console_errors(browser) == []


def test_intrinsic_cards_offer_only_what_the_chosen_model_can_use(browser, demo):
    _, url = demo
    browser.get(url + "gates?data=adult&model=adult-finalmlp")
    run = wait_for(browser, "#oswitch-run", timeout=60)
    # FinalMLP: its own bilinear weights yes; attention, OptInter switches and OptFS no
    assert run.get_attribute("disabled") and "not an OptInter" in run.get_attribute("title")
    optfs = browser.find_element("css selector", "#optfs-run")
    assert optfs.get_attribute("disabled") and "not an OptFS" in optfs.get_attribute("title")
    source = browser.find_element("css selector", "#intr-source-field")
    assert "'adult-finalmlp' has no attention sites" in source.get_attribute("title")
    # choosing the AutoInt offers both sources (its own reader and its attention sites)
    browser.find_element("css selector", "#gates-model").click()
    wait_for(browser, ".dash-dropdown-option")
    [autoint] = [
        o
        for o in browser.find_elements("css selector", ".dash-dropdown-option")
        if o.text == "adult-autoint"
    ]
    autoint.click()
    deadline = time.monotonic() + 30
    while source.get_attribute("title"):
        assert time.monotonic() < deadline, source.get_attribute("title")
        time.sleep(0.2)
    assert browser.find_element("css selector", "#oswitch-run").get_attribute("disabled")
    # no result of FinalMLP is left under the AutoInt's name: the card says there is none yet
    wait_for_text(browser, "#intr-results", "No stored result for adult-autoint: press Run.")
