"""``workbench gates`` and ``workbench embeddings`` on a user's own model (tests/user_ctr.py),
named by its factory and sites by module path."""

import pytest
import torch

from analyzers.gate_results import GateReport
from app.cli import command as cli
from tests.user_ctr import user_data, user_frame, user_model

FACTORY = "tests.user_ctr:user_model"


@pytest.fixture
def files(tmp_path):
    csv = tmp_path / "clicks.csv"
    user_frame(n_rows=300).to_csv(csv, index=False)
    model = user_model()
    with torch.no_grad():
        model.out.weight.mul_(3)  # weights that differ from the factory's: --weights must load them
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    return csv, weights, model


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_gates_of_a_user_model_by_module_path(files, tmp_path, capsys):
    csv, weights, model = files
    out = tmp_path / "gates"
    code = run(
        "gates", "--model", FACTORY, "--weights", weights, "--data", csv, "--target", "click",
        "--site", "gate_sigmoid#0", "--site", "gate_sigmoid#1", "--embedding-site", "embed",
        "--rows", "0", "--n-bootstrap", "20", "--attribution-rows", "20", "--no-interactions",
        "--out", out, "--formats", "html", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    report = GateReport.from_json((out / "report.json").read_text())
    assert report.ablation.sites == ("gate_sigmoid#0", "gate_sigmoid#1")
    effects = report.ablation.effects.set_index(["site", "field", "mode"])["loss_increase"]
    assert effects[("gate_sigmoid#0", "A", "mean")] == 0  # the constant gate
    # The loaded weights are the saved ones: the report's base loss is the saved model's.
    rows = user_data(n_rows=300)
    with torch.no_grad():
        logits = model(rows.X)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, rows.y.float())
    assert report.ablation.base_loss == pytest.approx(float(expected), rel=1e-5)


def test_bad_site_and_factory_are_one_line(files, tmp_path, capsys):
    csv, _, _ = files
    common = ["--data", csv, "--target", "click", "--out", tmp_path / "o", "--device", "cpu"]
    assert run("gates", "--model", FACTORY, "--site", "gate_sigmoi", *common) != 0
    err = capsys.readouterr().err
    assert "closest: gate_sigmoid" in err and "Traceback" not in err
    assert run("gates", "--model", "tests.user_ctr:nope", "--site", "x", *common) != 0
    assert "cannot import it" in capsys.readouterr().err


def test_embeddings_of_a_user_model_by_module_path(files, tmp_path, capsys):
    csv, weights, _ = files
    out = tmp_path / "emb"
    code = run(
        "embeddings", "--model", FACTORY, "--weights", weights, "--data", csv,
        "--target", "click", "--embedding-site", "embed", "--projection", "none",
        "--out", out, "--formats", "html", "--no-progress",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (out / "result.json").is_file()
    assert "effective_rank" in capsys.readouterr().out
