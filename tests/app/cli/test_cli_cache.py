"""The command line is a client of the results store: a second identical run reads, not computes."""

from __future__ import annotations

import functools

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier

import analyzers.interactions
from analyzers.interaction_result import InteractionResult
from app.cli import command as cli
from app.cli.cache import default_cache_dir
from workbench.store import ResultStore


@pytest.fixture
def tree_case(tmp_path, rng):
    """Binary features with a planted a×b interaction, and a boosted-tree model file."""
    n = 300
    frame = pd.DataFrame(rng.integers(0, 2, size=(n, 4)), columns=["a", "b", "c", "d"])
    logit = 3.0 * (frame["a"] * frame["b"]) - 1.5
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    model = GradientBoostingClassifier(n_estimators=10, random_state=0)
    model.fit(frame[["a", "b", "c", "d"]].to_numpy(), frame["y"])
    path = tmp_path / "gbt.joblib"
    joblib.dump(model, path)
    return data, path


def run_tree(data, model, out, *options):
    argv = ["interactions", "--data", data, "--target", "y", "--model", model, "--out", out]
    return cli.main(
        [str(a) for a in [*argv, "--index", "tree", "--formats", "", "--trust-pickle", *options]]
    )


def failing(analyzer):
    """``analyzer`` with its signature (the CLI reads defaults there), failing when called."""

    @functools.wraps(analyzer)
    def fail_when_called(*args, **kwargs):
        raise AssertionError("the analysis ran again instead of reading the results store")

    return fail_when_called


def test_a_second_run_reads_the_store(tree_case, tmp_path, monkeypatch, capsys, results_store):
    data, model = tree_case
    assert run_tree(data, model, tmp_path / "first") == 0, capsys.readouterr().err
    assert [e["key"]["analyzer"] for e in ResultStore(results_store).entries()] == ["interactions"]
    monkeypatch.setattr(
        analyzers.interactions,
        "score_interactions",
        failing(analyzers.interactions.score_interactions),
    )
    assert run_tree(data, model, tmp_path / "second") == 0, capsys.readouterr().err
    assert "read from" in capsys.readouterr().err
    first, second = (
        InteractionResult.from_json((tmp_path / name / "result.json").read_text())
        for name in ("first", "second")
    )
    assert second.to_dict() == first.to_dict()


def test_other_parameters_and_no_cache_compute(tree_case, tmp_path, monkeypatch, capsys):
    data, model = tree_case
    assert run_tree(data, model, tmp_path / "first") == 0, capsys.readouterr().err
    monkeypatch.setattr(
        analyzers.interactions,
        "score_interactions",
        failing(analyzers.interactions.score_interactions),
    )
    with pytest.raises(AssertionError, match="ran again"):
        run_tree(data, model, tmp_path / "other", "--random-state", "1")
    with pytest.raises(AssertionError, match="ran again"):
        run_tree(data, model, tmp_path / "uncached", "--no-cache")


def test_cache_option_names_the_store_folder(tree_case, tmp_path, capsys, results_store):
    data, model = tree_case
    folder = tmp_path / "elsewhere"
    assert run_tree(data, model, tmp_path / "out", "--cache", folder) == 0
    assert len(ResultStore(folder).entries("interactions")) == 1
    assert not results_store.exists()


def test_the_default_store_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("WORKBENCH_CACHE")
    assert default_cache_dir().parts[-2:] == ("interaction-workbench", "results")


@pytest.mark.parametrize(
    ("new", "old", "dest"),
    [
        ("--random-state", "--seed", "random_state"),
        ("--approximator", "--estimator", "approximator"),
        ("--max-order", "--order", "max_order"),
    ],
)
def test_old_flag_names_stay_aliases(new, old, dest):
    parser = cli._parser()
    base = ["interactions", "--data", "d.csv", "--target", "y", "--out", "o"]
    value = "3" if dest == "max_order" else "exact"
    value = "7" if dest == "random_state" else value
    parsed = [vars(parser.parse_args([*base, flag, value]))[dest] for flag in (new, old)]
    assert parsed[0] == parsed[1]


def test_a_sidecar_result_is_read_as_frames_and_recomputed_when_its_sidecar_goes(
    tmp_path, monkeypatch, caplog
):
    import argparse
    import logging

    import workbench.parquet_sidecar
    from app.cli.cache import cached_result
    from tests.workbench.test_store_sidecars import local_result

    result = local_result(n_rows=400)  # 20,000 cells: the scores go to Parquet
    computed = []

    def compute():
        computed.append(1)
        return result

    args = argparse.Namespace(cache=str(tmp_path), no_cache=False)
    key = {"model_fingerprint": "m", "data_fingerprint": "d", "parameters": {}}
    cached_result(args, "interactions", **key, compute=compute)
    (sidecar,) = tmp_path.glob("interactions/*.parquet")

    with monkeypatch.context() as patch:  # the load builds no row lists
        patch.setattr(workbench.parquet_sidecar, "_rows", failing(lambda table: None))
        back = cached_result(args, "interactions", **key, compute=compute)
    assert computed == [1]
    pd.testing.assert_frame_equal(back.scores, result.scores, check_exact=True)

    sidecar.unlink()
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        again = cached_result(args, "interactions", **key, compute=compute)
    assert computed == [1, 1] and again is result
    [message] = caplog.messages
    assert sidecar.name in message and "recomputing" in message and "\n" not in message
