"""The "embeddings" analysis of the workspace registry: computed once on the demo, read back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.analyses import analysis, compute_result, result_key, stored_result
from app.embedding_job import APP_PARAMETERS
from workbench.errors import ParameterError, WorkbenchError
from workbench.workspace import Workspace, demo_workspace

MODEL = "adult-finalmlp"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_workspace(tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def report(demo):
    return compute_result(demo, "embeddings", MODEL, {})


@pytest.mark.slow
def test_report_is_stored_and_read_back_without_recomputing(demo, report, monkeypatch):
    assert result_key(demo, "embeddings", MODEL, {}) in demo.store

    # The store's header records the wall time and the model, as for every result.
    entry = next(e for e in demo.store.entries("embeddings") if e["model_names"] == [MODEL])
    assert entry["seconds"] == report.seconds > 0 and report.model_name == MODEL

    import app.analyses

    def must_not_run(*args, **kwargs):
        raise AssertionError("a stored embedding report was recomputed")

    monkeypatch.setattr(app.analyses, "analyze_embeddings", must_not_run)
    again = Workspace.open(demo.root)  # what another process (a background job) reads
    cached = stored_result(again, "embeddings", MODEL, {"projection": "pca"})
    pd.testing.assert_frame_equal(cached.geometry.geometry, report.geometry.geometry)
    pd.testing.assert_frame_equal(cached.relations.pairs, report.relations.pairs)
    pd.testing.assert_frame_equal(
        cached.projection.coordinates, report.projection.coordinates, check_dtype=False
    )
    assert cached.measure_invariance() == report.measure_invariance()
    assert cached.seconds == report.seconds and cached.diagnostics == report.diagnostics
    assert compute_result(again, "embeddings", MODEL, {}).settings == report.settings


@pytest.mark.slow
def test_defaults_map_every_level_the_held_out_rows_use_coloured_by_its_gate(demo, report):
    model = demo.model(MODEL)
    codes = model.rows.X.numpy()
    coordinates = report.projection.coordinates
    # One point per (field, level) that occurs in the held-out rows, each row counted once
    # per field: the frequencies of a field add up to the rows.
    used_levels = sum(len(np.unique(column)) for column in codes.T)
    assert len(coordinates) == used_levels
    assert (coordinates.groupby("field")["frequency"].sum() == model.rows.n_rows).all()
    site = next(s for s in model.adapter.module.gate_sites() if s.field_aligned)
    gate = coordinates[f"gate:{site.name}"]
    assert site.value_range == "(0, 2)"  # FinalMLP's gates: 2·sigmoid
    assert gate.notna().all() and gate.between(0, 2, inclusive="neither").all()
    # Relations over the held-out rows (a seeded sample past max_rows), every pair of fields.
    max_rows = analysis("embeddings").defaults["max_rows"]
    assert report.relations.n_rows == min(model.rows.n_rows, max_rows)
    assert len(report.relations.pairs) == 14 * 13 // 2
    invariance = report.measure_invariance()
    assert invariance["linear_cka"].startswith("orthogonal-only")
    assert invariance["row_norms"].startswith("descriptive")


def test_defaults_are_the_analyzers():
    import inspect

    from analyzers.embeddings import analyze_embeddings

    signature = inspect.signature(analyze_embeddings).parameters
    defaults = analysis("embeddings").defaults
    for name, value in defaults.items():
        if name not in APP_PARAMETERS:  # the app's own: map colours, private rows, CKA
            assert value == signature[name].default, name


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"projection": "tsne"}, "projection"),
        ({"projection_points": "levels"}, "projection_points"),
        ({"n_components": 4}, "n_components"),
        ({"max_points": "many"}, "max_points"),
    ],
)
def test_bad_parameters_are_one_line_errors(parameters, message):
    with pytest.raises(ParameterError, match=message) as error:
        analysis("embeddings").parameters(parameters)
    assert "\n" not in str(error.value)


def test_unknown_gate_site_and_a_model_without_embeddings_are_one_line_errors(demo):
    with pytest.raises(ParameterError, match="gate_site") as error:
        compute_result(demo, "embeddings", MODEL, {"gate_site": "nowhere"})
    assert "stream1_gate" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(WorkbenchError) as error:
        compute_result(demo, "embeddings", "compas-logistic", {})
    assert "\n" not in str(error.value)
    assert result_key(demo, "embeddings", "compas-logistic", {}) not in demo.store
