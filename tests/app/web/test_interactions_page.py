"""The Interactions page (its Dash component tree, no browser): the probability clip and the
pair score are controls kept in the URL, and the global table shows the signed mean and the
mean |value| with their unit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from app.analyses import compute_result
from app.web.pages import interactions as page
from tests.app.web.interactions_tree import SHOWN_DETAILS, shown_page
from tests.app.web.layout_tree import find
from tests.app.web.test_fisc_compare_pages import table_rows
from workbench import Dataset
from workbench.workspace import Workspace

SETTINGS = {"index": "sii", "rows": 20, "background": 15}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A random forest certain (p = 0 or 1) on many rows: its logit scores hang on the clip."""
    generator = np.random.default_rng(3)
    X = generator.normal(size=(60, 3))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (generator.random(60) < 0.1)).astype(int)
    space = Workspace.create(tmp_path_factory.mktemp("ws"))
    space.add_dataset("d", Dataset.from_arrays(X, y))
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    space.add_model_object("forest", forest, "d")
    return space


def test_the_clip_in_the_url_picks_the_result_and_fills_the_field(workspace):
    tight = compute_result(workspace, "interactions", "forest", SETTINGS)
    loose = compute_result(
        workspace, "interactions", "forest", {**SETTINGS, "probability_clip": 1e-4}
    )
    assert tight.settings["probability_clip"] == 1e-7  # the analyzer's default
    query = {name: str(value) for name, value in SETTINGS.items()}
    for result, clip in ((tight, None), (loose, "0.0001")):
        extra = {"probability_clip": clip} if clip else {}
        view = shown_page(workspace, data="d", model="forest", **query, **extra)
        assert find(view, page.CLIP).value == result.settings["probability_clip"]
        rows = table_rows(find(view, SHOWN_DETAILS).children, "Global score per pair")
        shown = {row["pair"]: float(row["mean |value| over rows (logit)"]) for row in rows}
        expected = result.global_scores("mean_abs").set_index("pair")["value"]
        assert shown == pytest.approx(expected.to_dict(), rel=1e-3)  # 4 significant digits
    assert tight.global_scores()["value"].iloc[0] > 1.5 * loose.global_scores()["value"].iloc[0]
    # the job writes the clip and the pair score into the URL it opens
    search = page.view_search("d", "forest", {**SETTINGS, "probability_clip": 1e-4}, "mean")
    assert "probability_clip=0.0001" in search and "aggregate=mean" in search


def test_the_global_table_shows_the_signed_mean_and_the_strength_ranked_by_the_choice(workspace):
    result = compute_result(workspace, "interactions", "forest", SETTINGS)
    query = {name: str(value) for name, value in SETTINGS.items()}
    signed = "mean over rows (signed, logit)"
    strength = "mean |value| over rows (logit)"
    for aggregate, ranked_by in (("mean", signed), ("mean_abs", strength), (None, strength)):
        extra = {"aggregate": aggregate} if aggregate else {}
        view = shown_page(workspace, data="d", model="forest", **query, **extra)
        assert find(view, page.AGGREGATE).value == (aggregate or "mean_abs")
        rows = table_rows(find(view, SHOWN_DETAILS).children, "Global score per pair")
        assert list(rows[0]) == ["pair", signed, strength]
        values = [float(row[ranked_by]) for row in rows]
        assert values == sorted(values, reverse=True)
        for row in rows:
            mean = result.global_scores("mean").set_index("pair")["value"][row["pair"]]
            assert float(row[signed]) == pytest.approx(mean, rel=1e-3)
            assert abs(float(row[signed])) <= float(row[strength]) + 1e-9
    # the forest's scores here are negative on average (redundancy): the signs differ from |.|
    assert (result.global_scores("mean")["value"] < 0).any()
