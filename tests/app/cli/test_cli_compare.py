"""``workbench compare`` as a user runs it: files written, ground truth found, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from analyzers.compare_result import INSIDE_VERDICT, OUTSIDE_VERDICT, ComparisonResult
from analyzers.interaction_result import InteractionResult
from analyzers.rashomon_result import RashomonResult
from app.cli import command as cli
from tests.conftest import factorial_dataset


class Formula(torch.nn.Module):
    """An additive formula plus ``interaction``·x2·x3; with 0 it is the additive ablation."""

    def __init__(self, interaction: float) -> None:
        super().__init__()
        self.interaction = interaction

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        additive = x[:, 0] + 0.8 * x[:, 1] - 0.6 * x[:, 2] + 0.4 * x[:, 3]
        return additive + self.interaction * x[:, 1] * x[:, 2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Factorial ±1 data with target y from the planted model; both models as .pt2 archives."""
    tmp_path = tmp_path_factory.mktemp("compare")
    data = factorial_dataset(4, formula=Formula(1.5))
    path = tmp_path / "data.csv"
    data.to_frame().rename(columns={"target": "y"}).to_csv(path, index=False)
    models = {}
    for name, module in (("planted", Formula(1.5)), ("additive", Formula(0.0))):
        models[name] = tmp_path / f"{name}.pt2"
        dynamic_rows = ({0: torch.export.Dim("rows")},)
        program = torch.export.export(module, (torch.randn(5, 4),), dynamic_shapes=dynamic_rows)
        torch.export.save(program, models[name])
    return path, models


def run(*argv):
    return cli.main([str(a) for a in argv])


def run_compare(data, out, models, *options):
    model_args = [arg for model in models for arg in ("--model", model)]
    return run(
        "compare",
        "--data",
        data,
        "--target",
        "y",
        *model_args,
        "--out",
        out,
        "--no-progress",
        *options,
    )


def test_compare_finds_the_planted_pair_and_writes_every_file(files, tmp_path, capsys):
    data, models = files
    out = tmp_path / "out"
    options = ("--index", "sii", "--rows", "32", "--background", "32", "--estimator", "exact")
    code = run_compare(data, out, models.values(), "--formats", "html", *options)
    assert code == 0, capsys.readouterr().err
    comparison = ComparisonResult.from_json((out / "comparison.json").read_text())
    assert comparison.model_names == ("planted", "additive")  # named after the file stems
    top = comparison.top_disagreements(1).iloc[0]
    assert (top["pair"], top["model_high"]) == ("x2 × x3", "planted")
    assert top["disagreement"] == pytest.approx(1.0, abs=1e-6)
    for model in comparison.model_names:
        result = InteractionResult.from_json((out / f"result_{model}.json").read_text())
        assert result.model_name == model and result.index == "sii"
    shares = pd.read_csv(out / "shares.csv").set_index("pair")
    assert shares.loc["x2 × x3", "planted"] == pytest.approx(1.0, abs=1e-6)
    expected = {"model_dumbbell", "agreement_spearman", "agreement_kendall"}
    assert expected <= {p.stem for p in out.glob("*.html")}
    assert "wrote" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]  # no staging left


def test_rashomon_verdicts_from_the_command_line(files, tmp_path, capsys):
    data, models = files
    out = tmp_path / "out"
    named = [
        f"ref={models['planted']}",
        f"copy={models['planted']}",
        f"ablation={models['additive']}",
    ]
    code = run_compare(
        data,
        out,
        named,
        "--index",
        "fis",
        "--rashomon",
        "ref",
        "--estimator",
        "exact",
        "--epsilon",
        "0.5",
        "--formats",
        "html",
    )
    assert code == 0, capsys.readouterr().err
    verdicts = pd.read_csv(out / "rashomon.csv").set_index(["model", "pair"])["verdict"]
    assert (verdicts["copy"] == INSIDE_VERDICT).all()
    assert verdicts["ablation", "x2 × x3"] == OUTSIDE_VERDICT
    assert (verdicts["ablation"].drop("x2 × x3") == INSIDE_VERDICT).all()
    fisc = RashomonResult.from_json((out / "rashomon_ref.json").read_text())
    assert fisc.epsilon == 0.5
    assert (out / "rashomon_overlay_ref.html").exists()
    agreement = pd.read_csv(out / "agreement.csv")
    copies = agreement[(agreement["model_a"] == "ref") & (agreement["model_b"] == "copy")]
    assert copies["top_k_overlap"].item() == 1.0


@pytest.mark.parametrize(
    ("models", "options", "message"),
    [
        (["planted"], (), "at least two models"),
        (["planted", "planted"], (), "name 'planted' is given twice"),
        (["planted", "bad name=additive"], (), "name 'bad name' must be"),
        (["planted", "additive"], ("--rashomon", "nope", "--index", "fis"), "unknown model name"),
        (["planted", "additive"], ("--rashomon", "planted", "--index", "h2"), "use --index fis"),
        (["planted", "mlp"], ("--split", "all"), "--split all"),
        (["planted", "additive"], ("--top-k", "0"), "--top-k"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(files, tmp_path, capsys, models, options, message):
    data, paths = files
    specs = [
        str(paths[m]) if m in paths else m.replace("=additive", f"={paths['additive']}")
        for m in models
    ]
    code = run_compare(data, tmp_path / "out", specs, "--formats", "", *options)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("workbench: error:")]
    assert code == 2
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_interrupted_run_leaves_no_partial_output(files, tmp_path, monkeypatch, capsys):
    import analyzers.figures as figures

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(figures, "write_figures", interrupted)
    data, models = files
    out = tmp_path / "out"
    code = run_compare(data, out, models.values(), "--formats", "html", "--rows", "8")
    assert code == 130
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_a_second_run_reads_scores_and_fisc_results_from_the_store(
    files, tmp_path, monkeypatch, capsys
):
    import functools

    import analyzers.interactions
    import analyzers.rashomon

    data, models = files
    named = [f"ref={models['planted']}", f"ablation={models['additive']}"]
    options = ("--index", "fis", "--rashomon", "ref", "--epsilon", "0.5", "--formats", "")
    assert run_compare(data, tmp_path / "first", named, *options) == 0, capsys.readouterr().err
    for module, name in (
        (analyzers.interactions, "score_interactions"),
        (analyzers.rashomon, "explore_rashomon"),
    ):
        original = getattr(module, name)

        @functools.wraps(original)
        def fail(*args, **kwargs):
            raise AssertionError("computed again instead of read from the results store")

        monkeypatch.setattr(module, name, fail)
    assert run_compare(data, tmp_path / "second", named, *options) == 0, capsys.readouterr().err
    first, second = (
        pd.read_csv(tmp_path / folder / "rashomon.csv") for folder in ("first", "second")
    )
    pd.testing.assert_frame_equal(first, second)
