"""Errors are visible: a failing job says "Failed: why"; an out-of-range number is refused
naming its bounds before any work; a bad URL value or an unreadable stored result is one line
on the page (never an HTTP 500), and Run recomputes the result."""

from __future__ import annotations

import json
import re

import flask
import pytest
from dash import no_update

import app.analyses
from app.analyses import ANALYSES, analysis, compute_result
from app.web.context import attach_workspace
from app.web.jobs import job_outputs
from tests.app.web.layout_tree import texts
from workbench.errors import ParameterError

INTERACTIONS = {"index": "sii", "rows": 20, "background": 10}


@pytest.fixture
def workspace(xor_workspace):
    return xor_workspace("logistic")


def test_a_job_that_raises_shows_failed_with_its_one_line_reason(workspace):
    key = attach_workspace(flask.Flask("test"), workspace)

    def out_of_memory(progress, workspace, *values):
        progress("bootstrap", 0, 2)
        raise MemoryError("Unable to allocate 40.0 GiB for an array\nwith shape (10000000, 537)")

    search, view, status = job_outputs(out_of_memory, lambda update: None, 7, "?a=1", key)
    assert search is no_update and view is no_update  # the page keeps its URL and view
    assert status.className == "wb-error"
    assert status.children == "Failed: MemoryError: Unable to allocate 40.0 GiB for an array"

    def bad_input(progress, workspace, *values):
        raise ParameterError("rows: expected at least 2, got 1")

    status = job_outputs(bad_input, lambda update: None, "?a=1", key)[2]
    assert status.children == "rows: expected at least 2, got 1"


def test_every_numeric_option_has_bounds_around_its_default():
    for spec in ANALYSES.values():
        for name, default in spec.defaults.items():
            if not isinstance(default, int | float) or isinstance(default, bool):
                continue
            if name in spec.choices:  # a fixed list (order 2 or 3) bounds it already
                assert default in spec.choices[name]
                continue
            low, high = spec.bounds[name]
            assert low <= default <= high, (spec.name, name)


def test_a_huge_bootstrap_is_refused_naming_the_bound_before_the_job_works(monkeypatch):
    from app.web.pages import gates

    monkeypatch.setattr(gates, "compute_result", lambda *a, **k: pytest.fail("job started"))
    with pytest.raises(
        ParameterError, match="n_bootstrap: expected at least 10 and at most 10,000"
    ):
        gates._analyze(None, None, "adult", "adult-gdcn", 500, 10_000_000, 256, "on", 3)
    # A number box the browser finds out of range sends None: refused too, not the default.
    with pytest.raises(ParameterError, match="n_bootstrap: enter a number from 10 to 10,000"):
        gates._analyze(None, None, "adult", "adult-gdcn", 500, None, 256, "on", 3)


def test_form_states_the_bounds(workspace):
    from app.web.pages import interactions

    page = texts(interactions.layout(workspace))
    assert "Background rows (1–10,000)" in page and "Explained rows (sample) (1–100,000)" in page


@pytest.mark.parametrize(
    ("page", "query", "message"),
    [
        ("rashomon", {"epsilon_rate": "inf"}, "epsilon_rate: expected at least 0.0001"),
        ("rashomon", {"epsilon_rate": "nan"}, "got nan"),
        ("rashomon", {"epsilon_rate": "lots"}, "epsilon_rate: expected a float"),
        ("interactions", {"rows": "-5"}, "rows: expected at least 1"),
        ("interactions", {"background": "1e9"}, "background: expected a int"),
        ("interactions", {"index": "nope"}, "index: expected one of"),
    ],
)
def test_a_bad_url_value_is_one_line_on_the_page(workspace, page, query, message):
    from app.web import pages

    module = getattr(pages, page)
    text = texts(module.layout(workspace, data="xor", model="xor-logistic", **query))
    assert message in text
    assert "press Run" in text  # the form is there, with the defaults


def test_an_unreadable_stored_result_is_reported_and_run_recomputes(workspace, monkeypatch):
    from app.web.pages import interactions

    def page() -> str:
        monkeypatch.setattr(app.analyses, "_parsed", type(app.analyses._parsed)())  # parse anew
        return texts(interactions.layout(workspace, data="xor", model="xor-logistic", **query))

    query = {name: str(value) for name, value in INTERACTIONS.items()}
    compute_result(workspace, "interactions", "xor-logistic", INTERACTIONS)
    (path,) = (workspace.root / "results" / "interactions").glob("*.json")
    stored = path.read_text()
    assert "stored result unreadable" not in page()

    record = json.loads(stored)
    del record["result"]["scores"]
    path.write_text(json.dumps(record))
    assert re.search(
        r"stored result unreadable: \w+Error [^—]*'scores' — press Run to recompute", page()
    )

    path.write_text(stored[: len(stored) // 2])  # a truncated file: reported, not recomputed
    assert "does not parse — press Run to recompute" in page()
    assert path.read_text() == stored[: len(stored) // 2]

    compute_result(workspace, "interactions", "xor-logistic", INTERACTIONS)  # what Run does
    assert json.loads(path.read_text())["result"]["scores"]
    assert "stored result unreadable" not in page()


def test_registry_checks_bounds_for_scripts_too(workspace):
    with pytest.raises(ParameterError, match="rows: expected at least 1 and at most 100,000"):
        compute_result(workspace, "interactions", "xor-logistic", {**INTERACTIONS, "rows": 0})
    assert analysis("rashomon").parameters({"epsilon_rate": "0.2"})["epsilon_rate"] == 0.2
