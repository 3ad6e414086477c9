"""FISC in a real browser: a flat model class is said first, and the FISC and Compare pages show
the same FIS range for a pair of the same model."""

from __future__ import annotations

import pytest

from tests.app.conftest import console_errors, grid_under, screenshot, wait_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HALO = '[id=\'{"figure":"fisc-halo","type":"graph"}\'] .main-svg'
MODEL = "compas-gbt"


@pytest.fixture(scope="module")
def stored(demo):
    """FISC of the boosted trees (the Rashomon page's defaults) and FIS scores of two models."""
    from app.analyses import compute_result

    workspace, url = demo
    compute_result(workspace, "rashomon", MODEL, {})
    for model in (MODEL, "compas-logistic"):
        compute_result(workspace, "interactions", model, {"index": "fis"})
    return workspace, url


def test_flat_model_class_is_said_above_the_figures(browser, stored):
    _, url = stored
    browser.get(url + f"rashomon?data=compas&model={MODEL}")
    wait_for(browser, HALO, timeout=60)
    card = wait_for_text(browser, ".wb-diagnostics", "the model class is flat for this model")
    assert "Interactions page" in card.text
    halo = browser.find_element("css selector", HALO)
    assert card.location["y"] < halo.location["y"]
    screenshot(browser, "fisc-gbt-flat")
    assert console_errors(browser) == []


def test_a_pairs_range_is_the_same_on_the_fisc_and_compare_pages(browser, stored):
    _, url = stored
    browser.get(url + f"rashomon?data=compas&model={MODEL}")
    wait_for(browser, HALO, timeout=60)
    on_fisc = {row["interaction"]: row for row in grid_under(browser, "FIS range")}
    browser.get(url + f"compare?data=compas&models={MODEL},compas-logistic&index=fis")
    wait_for_text(browser, "#cmp-results", "Explained by the Rashomon set?", timeout=60)
    on_compare = {
        row["pair"]: row
        for row in grid_under(browser, "Explained by")
        if row["reference_model"] == MODEL
    }
    shared = sorted(set(on_fisc) & set(on_compare))
    assert shared, (list(on_fisc), list(on_compare))
    for pair in shared:
        assert (on_fisc[pair]["min"], on_fisc[pair]["max"]) == (
            on_compare[pair]["range_low"],
            on_compare[pair]["range_high"],
        ), pair
    # The widest in-set range is not a rounding-noise zero: the check compares real numbers.
    assert any(on_fisc[pair]["range"] not in ("0", "0.0") for pair in shared)
    screenshot(browser, "compare-gbt-rashomon")
    assert console_errors(browser) == []
