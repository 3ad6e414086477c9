"""What a user sees when things go wrong, in a real headless Chromium: a job that dies says
"Failed: why" and Run is back; a bad URL value and an entry that no longer loads are one line
on a page that still works."""

from __future__ import annotations

import dataclasses

import pytest

from tests.app.conftest import screenshot, served_to, wait_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _out_of_memory(model, parameters, progress):
    # What numpy raised for 10,000,000 bootstrap draws before options had bounds.
    if progress:
        progress("scoring", 0, 2)
    raise MemoryError("Unable to allocate 40.0 GiB for an array with shape (10000000, 537)")


@pytest.fixture
def served(browser, xor_workspace, tmp_path, monkeypatch):
    """The XOR workspace plus a data set whose file is gone, served; jobs that score
    interactions run out of memory (jobs are forked from this process, patch included)."""
    import app.analyses
    from app.web import create_app
    from workbench.workspace import DataEntry, Workspace

    workspace = xor_workspace("logistic")
    (tmp_path / "gone.csv").write_text((tmp_path / "xor.csv").read_text())
    workspace.add_data(DataEntry("gone", str(tmp_path / "gone.csv"), "y"))
    (tmp_path / "gone.csv").unlink()
    workspace = Workspace.open(workspace.root)  # as after a restart: the file is missing
    spec = app.analyses.ANALYSES["interactions"]
    monkeypatch.setitem(
        app.analyses.ANALYSES, "interactions", dataclasses.replace(spec, compute=_out_of_memory)
    )
    with served_to(browser, create_app(workspace, jobs_dir=tmp_path / "jobs")) as url:
        yield url


def test_failures_are_one_line_on_a_page_that_keeps_working(browser, served):
    browser.get(served + "interactions?data=xor&model=xor-logistic&rows=20&background=10")
    wait_for(browser, "#inter-run", timeout=60).click()
    status = wait_for_text(browser, "#inter-status", "Failed: MemoryError", timeout=60)
    assert status.text == (
        "Failed: MemoryError: Unable to allocate 40.0 GiB for an array with shape (10000000, 537)"
    )
    wait_for(browser, "#inter-run:not([disabled])")
    assert not browser.find_element("css selector", "#inter-progress-text").is_displayed()
    screenshot(browser, "interactions-job-failed")

    browser.get(served + "rashomon?data=xor&model=xor-logistic&epsilon_rate=inf")
    wait_for_text(browser, "#fisc-status", "epsilon_rate: expected at least 0.0001", timeout=60)
    assert browser.find_element("css selector", "#fisc-run").is_enabled()

    browser.get(served)
    wait_for_text(browser, "#overview-models", "xor-logistic", timeout=60)
    wait_for_text(browser, ".wb-card", "gone.csv not found")
    screenshot(browser, "overview-entry-that-fails-to-load")
