"""``workbench embeddings`` end to end on a small saved model and a CSV of codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from analyzers.embeddings import EmbeddingReport, ModelComparison
from app.cli import command as cli
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.training import save_ctr_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A (briefly trained) FinalMLP with a shared table of 32 rows and its data as CSV."""
    folder = tmp_path_factory.mktemp("embeddings_cli")
    data, _ = synthetic_ctr(n_rows=600, n_fields=8, seed=0)
    torch.manual_seed(0)
    model = build_model("finalmlp", data, shared_buckets=32, embedding_dim=4)
    frame = pd.DataFrame(data.X.numpy().astype(int), columns=list(data.feature_names))
    frame["click"] = data.y.numpy().astype(int)
    csv = folder / "codes.csv"
    frame.to_csv(csv, index=False)
    return save_ctr_model(model, folder / "finalmlp_shared"), csv


def run(*argv):
    return cli.main([str(a) for a in argv])


@pytest.mark.slow  # writes 9 self-contained HTML figures and fits the private rows
def test_embeddings_writes_report_tables_and_figures(saved, tmp_path, capsys):
    model, csv = saved
    out = tmp_path / "out"
    code = run(
        "embeddings", "--model", model, "--data", csv, "--target", "click", "--out", out,
        "--formats", "html", "--private-rows", "--steps", "2", "--no-progress",
        "--compare", model,
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    report = EmbeddingReport.from_dict(json.loads((out / "result.json").read_text()))
    assert report.geometry.field_names == tuple(f"f{i}" for i in range(8))
    assert report.collisions is not None and report.collisions.n_buckets == 32
    assert report.private_rows.variants["variant"].tolist()[:2] == ["shared", "all"]
    for name in (
        "spectrum",
        "cka_fields",
        "collisions",
        "projection",
        "geometry_table",
        "cka_models",
    ):
        assert (out / f"{name}.html").is_file(), name
    assert (out / "geometry_geometry.csv").is_file() and (out / "collisions_fields.csv").is_file()
    # FinalMLP's first field-aligned gate colours the table map, one value per level
    gate_columns = [c for c in report.projection.coordinates if c.startswith("gate:")]
    assert gate_columns == ["gate:stream1_gate"]
    assert report.projection.coordinates[gate_columns[0]].between(0, 2).all()  # 2·sigmoid
    assert (out / "projection_gate_stream1_gate.html").is_file()
    # the model compared with itself: every field's CKA is 1
    comparison = ModelComparison.from_dict(json.loads((out / "comparison.json").read_text()))
    assert comparison.same_field_cka()["linear_cka"].to_numpy() == pytest.approx(1.0)
    assert "traffic collides" in capsys.readouterr().out


def test_embeddings_tables_only_without_projection(saved, tmp_path, capsys):
    model, csv = saved
    out = tmp_path / "tables"
    code = run(
        "embeddings", "--model", model, "--data", csv, "--target", "click", "--out", out,
        "--formats", "", "--projection", "none", "--no-progress",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert not list(out.glob("*.html"))
    assert (
        EmbeddingReport.from_dict(json.loads((out / "result.json").read_text())).projection is None
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--model", "nosuchmodel"), "--model: 'nosuchmodel' is neither a zoo model"),
        (("--target", None), "--target: a CSV --data needs its target column"),
    ],
)
def test_embeddings_errors_are_one_line(saved, tmp_path, capsys, options, message):
    model, csv = saved
    argv = {"--model": model, "--data": csv, "--target": "click", "--out": tmp_path / "x"}
    argv[options[0]] = options[1]
    flat = [part for key, value in argv.items() if value is not None for part in (key, value)]
    assert run("embeddings", *flat, "--no-progress") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_embeddings_rejects_a_malformed_config(saved, tmp_path, capsys):
    _, csv = saved
    argv = ["--model", "finalmlp", "--data", csv, "--target", "click", "--out", tmp_path / "y"]
    assert run("embeddings", *argv, "--config", "shared_buckets", "--no-progress") == 2
    assert "--config 'shared_buckets': expected KEY=VALUE" in capsys.readouterr().err


@pytest.mark.slow  # trains a small FinalMLP (~10 s on 2 cores)
def test_embeddings_cli_equals_the_app_for_equal_settings(saved, tmp_path, capsys):
    """`workbench embeddings` and the app's embeddings job analyse the same held-out rows of the
    same model: equal settings give equal numbers (the CLI used to read the training rows)."""
    from app.analyses import compute_result
    from workbench.data import Dataset
    from workbench.workspace import ModelEntry, Workspace

    # Levels as text, so the CSV reader codes them (a zoo model needs each field's levels).
    frame = pd.read_csv(saved[1])
    for column in frame.columns.drop("click"):
        frame[column] = "v" + frame[column].astype(str)
    csv = tmp_path / "levels.csv"
    frame.to_csv(csv, index=False)
    space = Workspace.create(tmp_path / "ws")
    space.add_dataset("codes", Dataset.from_csv(csv, target="click", categorical="codes"))
    space.add_model(ModelEntry("codes-finalmlp", "codes", "zoo", sample="finalmlp"))
    app_report = compute_result(space, "embeddings", "codes-finalmlp", {"max_rows": 50})

    out = tmp_path / "cli"
    code = run(
        "embeddings", "--model", "finalmlp", "--data", csv, "--target", "click", "--out", out,
        "--formats", "", "--max-rows", "50", "--cache-dir", space.root / "zoo",
        "--no-progress", "--no-cache",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    cli_report = EmbeddingReport.from_dict(json.loads((out / "result.json").read_text()))
    held_out = space.model("codes-finalmlp").rows
    # 50 of the 120 held-out rows (a seeded sample), not 50 of the 480 training rows.
    assert held_out.n_rows == 120 and cli_report.relations.n_rows == 50
    pd.testing.assert_frame_equal(cli_report.relations.pairs, app_report.relations.pairs)
    pd.testing.assert_frame_equal(cli_report.geometry.geometry, app_report.geometry.geometry)
    pd.testing.assert_frame_equal(
        cli_report.projection.coordinates.drop(columns="model", errors="ignore"),
        app_report.projection.coordinates.drop(columns="model", errors="ignore"),
        check_dtype=False,
    )
    # the table map counts each level's frequency over the held-out rows
    frequencies = cli_report.projection.coordinates.groupby("field")["frequency"].sum()
    assert (frequencies == held_out.n_rows).all()
