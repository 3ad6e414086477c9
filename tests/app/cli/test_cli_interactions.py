"""``workbench interactions`` end to end on small data: files written, one-line errors."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from analyzers.interaction_result import InteractionResult
from app.cli import command as cli


@pytest.fixture
def csv_path(tmp_path, rng):
    """Binary features with a planted a×b interaction in the label."""
    n = 400
    frame = pd.DataFrame(rng.integers(0, 2, size=(n, 4)), columns=["a", "b", "c", "d"])
    logit = 3.0 * (frame["a"] * frame["b"]) - 1.5 + 0.8 * frame["c"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run_interactions(data, out, *options, model="logistic"):
    argv = ["interactions", "--data", data, "--target", "y", "--model", model, "--out", out]
    return cli.main([str(a) for a in [*argv, *options]])


@pytest.mark.slow  # trains the sample MLP: a few seconds, more on a busy machine
def test_sii_writes_tables_and_figures(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_interactions(csv_path, out, "--formats", "html", "--rows", "20", model="mlp")
    assert code == 0, capsys.readouterr().err
    result = InteractionResult.from_json((out / "result.json").read_text())
    assert result.index == "sii" and result.model_name == "mlp" and len(result.pairs) == 6
    pairs = pd.read_csv(out / "pairs.csv")
    assert list(pairs.columns) == ["pair", "mean_abs", "mean"]
    assert pairs.sort_values("mean_abs")["pair"].iloc[-1] == "a × b"
    assert len(pd.read_csv(out / "scores.csv")) == 20 * 6
    for name in ("pair_heatmap", "interaction_network", "top_pairs", "pair_heatmap_signed"):
        assert (out / f"{name}.html").stat().st_size > 100_000
    # The figures say how to read them in the report too: unit and sign convention.
    page = (out / "pair_heatmap_signed.html").read_text()
    assert "How to read this" in page and "logit (log-odds) units" in page and "synergy" in page
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_tree_index_reads_a_tree_model_file(csv_path, tmp_path, capsys):
    frame = pd.read_csv(csv_path)
    model = GradientBoostingClassifier(n_estimators=20, random_state=0)
    model.fit(frame[["a", "b", "c", "d"]].to_numpy(), frame["y"])
    path = tmp_path / "gbt.joblib"
    joblib.dump(model, path)
    out = tmp_path / "out"
    code = run_interactions(
        csv_path, out, "--index", "tree", "--formats", "", "--trust-pickle", model=path
    )
    assert code == 0, capsys.readouterr().err
    result = InteractionResult.from_json((out / "result.json").read_text())
    assert result.settings["output"] == "logit" and result.model_name == "gbt"
    assert result.global_scores().sort_values("value")["pair"].iloc[-1] == "a × b"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--index", "tree"], "needs a tree model file"),
        (["--rows", "0"], "--rows: expected an integer >= 1"),
        (["--scale", "value"], "does not fit a classification model"),
        (["--index", "h2", "--order", "3"], "scores pairs only"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(csv_path, tmp_path, capsys, options, message):
    code = run_interactions(csv_path, tmp_path / "out", "--formats", "", *options)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("workbench: error:")]
    assert code == 2
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("index", "options", "n_interactions"),
    [("h2", ["--h2-scale", "output"], 6), ("fis", ["--order", "3"], 10), ("ksii", [], 6)],
)
def test_every_model_index_writes_its_pairs(
    csv_path, tmp_path, capsys, index, options, n_interactions
):
    out = tmp_path / "out"
    code = run_interactions(
        csv_path, out, "--index", index, "--formats", "", "--rows", "30", *options
    )
    assert code == 0, capsys.readouterr().err
    result = InteractionResult.from_json((out / "result.json").read_text())
    assert result.index == index and len(result.pairs) == n_interactions
    assert len(pd.read_csv(out / "pairs.csv")) == n_interactions
    assert not (out / "pair_heatmap.html").exists()


def test_the_clip_and_the_pair_score_are_options_as_on_the_page(tmp_path, capsys):
    """--probability-clip reaches the game (a forest certain on many rows scores differently
    under another clip) and --aggregate ranks the printed table, which shows both columns."""
    from sklearn.ensemble import RandomForestClassifier

    generator = np.random.default_rng(3)
    X = generator.normal(size=(60, 3))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (generator.random(60) < 0.1)).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    frame.to_csv(tmp_path / "d.csv", index=False)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(frame[["a", "b", "c"]], y)
    joblib.dump(forest, tmp_path / "forest.joblib")
    tops = {}
    for clip in ("1e-7", "1e-4"):
        out = tmp_path / clip
        options = [
            "--rows",
            "20",
            "--background",
            "15",
            "--formats",
            "",
            "--no-cache",
            "--trust-pickle",
        ]
        options += ["--probability-clip", clip, "--aggregate", "mean"]
        code = run_interactions(tmp_path / "d.csv", out, *options, model=tmp_path / "forest.joblib")
        printed = capsys.readouterr()
        assert code == 0, printed.err
        result = InteractionResult.from_json((out / "result.json").read_text())
        assert result.settings["probability_clip"] == float(clip)
        assert "mean over rows (signed, logit)  mean |value| over rows (logit)" in printed.out
        table = result.global_scores("mean").sort_values("value", ascending=False)
        assert table["pair"].iloc[0] in printed.out.splitlines()[2]  # ranked by the signed mean
        tops[clip] = result.global_scores()["value"].max()
    assert tops["1e-7"] > 1.5 * tops["1e-4"]


def test_screen_then_refine_writes_json_and_csv(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    options = ["--index", "fis", "--screen", "fis", "--top-k", "1", "--screen-rows", "64"]
    code = run_interactions(csv_path, out, *options, "--approximator", "permutation")
    assert code == 0, capsys.readouterr().err
    from analyzers.screen_refine_result import ScreenRefineResult

    result = ScreenRefineResult.from_json((out / "screen_refine.json").read_text())
    table = pd.read_csv(out / "screen_refine.csv")
    assert len(table) == 6 and table["refined"].sum() == result.settings["n_refined"] >= 1
    assert table.loc[table["screen_rank"] == 1, "refined"].item()
    assert "refined" in capsys.readouterr().out
