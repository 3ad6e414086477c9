"""The command line as a user runs it: files written, one-line errors, nothing half-written."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from analyzers.rashomon_result import RashomonResult
from app.cli import command as cli


@pytest.fixture
def csv_path(tmp_path, rng):
    """Binary features with a planted a×b interaction in the label."""
    n = 400
    frame = pd.DataFrame(rng.integers(0, 2, size=(n, 4)), columns=["a", "b", "c", "d"])
    logit = 2.5 * (frame["a"] * frame["b"]) - 1.0 + 0.8 * frame["c"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run(*argv):
    return cli.main([str(a) for a in argv])


def run_fisc(data, out, *options, model="logistic"):
    """``workbench fisc`` on a data file with target ``y``, quietly, plus extra options."""
    return run(
        "fisc",
        "--data",
        data,
        "--target",
        "y",
        "--model",
        model,
        "--out",
        out,
        "--no-progress",
        *options,
    )


def test_models_lists_the_sample_models(capsys):
    assert run("models") == 0
    assert "mlp" in capsys.readouterr().out


def test_fisc_writes_tables_and_figures(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_fisc(csv_path, out, "--formats", "html", "--estimator", "exact")
    assert code == 0, capsys.readouterr().err
    result = RashomonResult.from_json((out / "result.json").read_text())
    assert len(result.interactions) == 6  # 4 groups -> 6 pairs
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["interaction"]) == set(result.interactions)
    # The CSV, the printed report and the API give the same in-set ranges, in the same order.
    in_set = result.summary()
    assert list(summary["interaction"]) == list(in_set["interaction"])
    np.testing.assert_allclose(summary["range"], in_set["range"])
    assert set(summary["ranges_over"]) == {in_set.attrs["ranges_over"]}
    printed = capsys.readouterr().out
    assert f"FIS ranges over the {in_set.attrs['ranges_over']}" in printed
    assert (out / "swarm_fis.html").stat().st_size > 100_000  # self-contained plotly bundle
    assert any(p.name.startswith("halo_") for p in out.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]  # no staging left


def test_fisc_reads_a_model_file(csv_path, tmp_path, capsys):
    frame = pd.read_csv(csv_path)
    model = LogisticRegression().fit(frame[["a", "b", "c", "d"]].to_numpy(), frame["y"])
    model_path = tmp_path / "model.joblib"
    joblib.dump(model, model_path)
    out = tmp_path / "out"
    code = run_fisc(
        csv_path,
        out,
        "--formats",
        "",
        "--interactions",
        "a,b;c,d",
        "--trust-pickle",
        model=model_path,
    )
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "result.json").read_text())
    assert data["settings"]["n_rows"] == 400  # model files explain all rows by default
    assert len(data["reference_fis"]["rows"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "nope"], "nope"),
        (["--target", "y", "--epsilon-rate", "-1"], "--epsilon-rate"),
        (["--target", "y", "--model", "missing.pt2"], "missing.pt2"),
        (["--target", "y", "--groups", "bad-spec"], "--groups"),
        (["--target", "y", "--interactions", "a,zz"], "zz"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(csv_path, tmp_path, capsys, argv, message):
    code = run("fisc", "--data", csv_path, "--out", tmp_path / "out", "--no-progress", *argv)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("workbench: error:")]
    assert code == 2
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_nan_in_the_data_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "nan.csv"
    path.write_text("a,b,y\n1,0,1\n,1,0\n0,1,1\n")
    assert run("fisc", "--data", path, "--target", "y", "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "NaN" in err and "'a'" in err and err.strip().count("\n") == 0


def test_an_interrupted_run_leaves_no_partial_output(csv_path, tmp_path, monkeypatch, capsys):
    import analyzers.figures as figures

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(figures, "write_figures", interrupted)
    out = tmp_path / "out"
    code = run_fisc(csv_path, out, "--formats", "html")
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [csv_path]  # no staging folder left behind either


def test_without_chromium_figures_fall_back_to_html(csv_path, tmp_path, monkeypatch, capsys):
    import analyzers.figures as figures

    monkeypatch.setattr(figures, "find_chromium", lambda: None)
    out = tmp_path / "out"
    code = run_fisc(csv_path, out)
    assert code == 0
    assert "HTML figures only" in capsys.readouterr().err
    assert (out / "swarm_fis.html").exists() and not list(out.glob("*.png"))
    asked = run_fisc(csv_path, tmp_path / "o2", "--formats", "png", model="mlp")
    assert asked == 2
    assert "needs Chromium" in capsys.readouterr().err
