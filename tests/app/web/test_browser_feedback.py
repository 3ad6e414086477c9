"""Feedback while waiting, in a real headless Chromium: an upload trains in the background with
progress, then its models appear; after a job's "Done" the results area never says "No stored
result"."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from selenium.common.exceptions import StaleElementReferenceException

from app.web.jobs import NO_RESULT
from tests.app.conftest import console_errors, screenshot, served_to, wait_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served_xor(browser, xor_workspace):
    from app.web import create_app

    workspace = xor_workspace("logistic")
    workspace.model("xor-logistic")
    with served_to(browser, create_app(workspace)) as url:
        yield workspace, url


def _texts_until(browser, css: str, done, timeout: float) -> list[str]:
    """The text of ``css`` every 50 ms until ``done(text)``; every distinct text seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        elements = browser.find_elements("css selector", css)
        text = elements[0].text if elements else ""
        if not seen or seen[-1] != text:
            seen.append(text)
        if done(text):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{css} never done; seen: {seen}")


def test_upload_trains_in_background_and_done_never_shows_no_result(browser, served_xor, tmp_path):
    workspace, url = served_xor
    browser.get(url)
    wait_for_text(browser, "#overview-models", "xor-logistic", timeout=60)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1000, 5)), columns=list("abcde"))
    frame["label"] = (frame["a"] * frame["b"] + frame["c"] > 0).astype(int)
    frame.to_csv(tmp_path / "tiny.csv", index=False)

    browser.find_element("css selector", "#overview-upload-name").send_keys("tiny")
    browser.find_element("css selector", "#overview-upload-target").send_keys("label")
    started = time.monotonic()
    upload = browser.find_element("css selector", "#overview-upload input[type=file]")
    upload.send_keys(str(tmp_path / "tiny.csv"))
    wait_for_text(browser, "#overview-upload-status", "training its sample models")
    print(f"upload checked in {time.monotonic() - started:.1f} s")
    progress = _texts_until(
        browser, "#overview-upload-progress", lambda text: "training mlp (2/2)" in text, 120
    )
    screenshot(browser, "overview-upload-training")
    assert any("training" in text for text in progress)
    wait_for_text(browser, "#overview-upload-status", "Added data set 'tiny'", timeout=180)
    wait_for_text(browser, "#overview-models", "tiny-mlp", timeout=30)
    print(f"upload trained and listed in {time.monotonic() - started:.1f} s")
    screenshot(browser, "overview-upload-done")

    browser.get(url + "interactions?data=xor&model=xor-logistic&rows=20&background=20")
    wait_for_text(browser, "#inter-results", NO_RESULT, timeout=60)
    # the server (not only the job's process) now lists what the job registered
    assert "tiny" in workspace.data_names and "tiny-mlp" in workspace.model_names()
    wait_for(browser, "#inter-run").click()
    # Every 50 ms until the figures show: once the status said "Done", the results area must
    # never say "No stored result" (it did for 5-31 s while the page rebuilt).
    views, done_seen, deadline = [], False, time.monotonic() + 120
    while not browser.find_elements("css selector", "#inter-results .main-svg"):
        assert time.monotonic() < deadline, views
        try:
            status = browser.find_elements("css selector", "#inter-status")
            results = browser.find_elements("css selector", "#inter-results")
            done_seen = done_seen or bool(status and "Done" in status[0].text)
            shown = results[0].text if results else None
        except StaleElementReferenceException:  # replaced while read: read the new one
            continue
        if done_seen and shown is not None and (not views or views[-1] != shown):
            views.append(shown)
        time.sleep(0.05)
    assert not any(NO_RESULT in text for text in views), views
    print(f"results area between Done and the figures: {[v[:40] for v in views]}")
    screenshot(browser, "interactions-after-done")
    assert console_errors(browser) == []
