"""Bad input to the command line: one line naming the argument, exit status 2, nothing written,
and the check made before any analysis runs (issue 18: a bad --out used to be found only after
64-96 s of analysis, then as a traceback).

Every analysis function is replaced by one that fails the test when called, so a case that got
past its check into the analysis fails, however quick the analysis would be on this data.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import analyzers.embeddings
import analyzers.gates
import analyzers.interactions
import analyzers.rashomon
import workbench.zoo.training
from app.cli import command as cli

ROOT = Path(__file__).resolve().parents[3]


class Evil:
    """Pickles to a call of ``Path.touch`` on a marker: loading the file would create it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def files(tmp_path, rng):
    """The inputs of the cases, keyed by the placeholder the case tables use."""
    n = 60
    frame = pd.DataFrame(rng.integers(0, 2, size=(n, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
    paths = {name: tmp_path / f"{name}.csv" for name in ("good", "one", "k3")}
    frame.to_csv(paths["good"], index=False)
    frame.assign(y=1).to_csv(paths["one"], index=False)
    frame.assign(y=rng.integers(1, 4, n)).to_csv(paths["k3"], index=False)
    paths["binary"] = tmp_path / "binary.csv"
    paths["binary"].write_bytes(bytes(range(256)) * 40)
    paths["file"] = tmp_path / "existing.txt"
    paths["file"].write_text("not a folder")
    paths["marker"] = tmp_path / "pickle-ran"
    import pickle

    paths["evil"] = tmp_path / "evil.pkl"
    paths["evil"].write_bytes(pickle.dumps(Evil(paths["marker"])))
    return paths


def failing(function):
    """``function`` with its signature (the CLI reads defaults there), failing when called."""

    @functools.wraps(function)
    def fail_when_called(*args, **kwargs):
        raise AssertionError(f"{function.__name__} ran although the input was bad")

    return fail_when_called


@pytest.fixture(autouse=True)
def no_analysis(monkeypatch):
    for module, name in [
        (analyzers.rashomon, "explore_rashomon"),
        (analyzers.interactions, "score_interactions"),
        (analyzers.gates, "analyze_gates"),
        (analyzers.embeddings, "analyze_embeddings"),
        (workbench.zoo.training, "train_ctr_model"),
    ]:
        monkeypatch.setattr(module, name, failing(getattr(module, name)))


FISC = ["fisc", "--data", "{good}", "--target", "y", "--model", "logistic", "--out", "{out}"]
INTERACTIONS = [
    "interactions", "--data", "{good}", "--target", "y", "--model", "logistic", "--out", "{out}",
]  # fmt: skip
COMPARE = [
    "compare", "--data", "{good}", "--target", "y", "--model", "logistic", "--model", "mlp",
    "--out", "{out}",
]  # fmt: skip
GATES = ["gates", "--model", "finalmlp", "--out", "{out}"]
EMBEDDINGS = ["embeddings", "--model", "finalmlp", "--out", "{out}"]

CASES = {
    # --out: checked before the data is read, let alone analysed
    "out is a file": ([*FISC[:-1], "{file}"], "--out"),
    "out under a file": ([*FISC[:-1], "{file}/report"], "--out"),
    "out not writable": ([*FISC[:-1], "/sys/workbench-report"], "--out"),
    "out empty": ([*FISC[:-1], ""], "--out"),
    "gates out is a file": ([*GATES[:-1], "{file}"], "--out"),
    # the target of a binary analysis
    "one-class target": ([*FISC, "--data", "{one}"], "target 'y'"),
    "target coded 1..3": ([*FISC, "--data", "{k3}"], "target 'y'"),
    "interactions target coded 1..3": ([*INTERACTIONS, "--data", "{k3}"], "target 'y'"),
    "gates one-class target": ([*GATES, "--data", "{one}", "--target", "y"], "target 'y'"),
    # files that are not what they claim
    "binary file as data": ([*FISC, "--data", "{binary}"], "binary.csv"),
    "gates binary file as data": ([*GATES, "--data", "{binary}", "--target", "y"], "binary.csv"),
    "unknown config key": ([*GATES, "--config", "nope=1"], "'nope'"),
    "train unknown config key": (["train", "--model", "gdcn", "--config", "nope=1"], "'nope'"),
    "untrusted pickle": ([*FISC, "--model", "{evil}"], "--trust-pickle"),
    "untrusted pickle, tree": ([*INTERACTIONS, "--index", "tree", "--model", "{evil}"], "--trust"),
    "compare untrusted pickle": ([*COMPARE, "--model", "{evil}"], "--trust-pickle"),
    # gates cannot read attention maps (`workbench attention` does): refused by the parser
    "gates attention site": (
        [*GATES, "--site", "a@softmax", "--site-kind", "attention"],
        "--site-kind",
    ),
}

#: every numeric option with a stated bound, given a value just outside it (or not a number)
BOUNDS = [
    (FISC, "--halo-plots", "-1"),
    (FISC, "--n-permutations", "0"),
    (FISC, "--delta", "0"),
    (FISC, "--delta", "nan"),
    (FISC, "--epsilon-rate", "0"),
    (FISC, "--epsilon-rate", "inf"),
    (FISC, "--epsilon", "-1"),
    (FISC, "--random-state", "-1"),
    (FISC, "--seed", "x"),
    (FISC, "--max-batch-rows", "0"),
    (INTERACTIONS, "--rows", "0"),
    (INTERACTIONS, "--background", "0"),
    (INTERACTIONS, "--n-samples", "0"),
    (INTERACTIONS, "--max-exact-groups", "0"),
    (INTERACTIONS, "--class-index", "-1"),
    (INTERACTIONS, "--top", "0"),
    (COMPARE, "--top-k", "0"),
    (GATES, "--n-bootstrap", "10000000"),
    (GATES, "--rows", "-1"),
    (GATES, "--attribution-rows", "0"),
    (GATES, "--max-epochs", "0"),
    (EMBEDDINGS, "--max-points", "0"),
    (EMBEDDINGS, "--max-rows", "0"),
    (EMBEDDINGS, "--steps", "0"),
    (["serve", "--workspace", "{out}"], "--port", "70000"),
]
for base, option, value in BOUNDS:
    CASES[f"{base[0]} {option} {value}"] = ([*base, option, value], option)


@pytest.mark.parametrize(("argv", "named"), list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_line_before_any_work(argv, named, files, tmp_path, results_store, capsys):
    out = tmp_path / "out"
    before = sorted(tmp_path.iterdir())
    code = cli.main([a.format(out=out, **files) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("workbench: error:"), err
    assert named in err and "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before  # no report, no staging folder, no marker
    assert not results_store.exists() or not any(results_store.rglob("*.json"))
    assert not files["marker"].exists()  # the pickle was refused unopened


def test_sigterm_mid_run_leaves_no_staging_folder(files, tmp_path):
    """SIGTERM while the report is being written: exit 143, no report, no hidden folder."""
    ready = tmp_path / "writing"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path

        import analyzers.figures as figures
        from app.cli.command import main

        def slow_write(built, folder, formats):
            Path(folder, "partial.html").write_text("half")
            Path({str(ready)!r}).touch()
            time.sleep(60)

        figures.write_figures = slow_write
        raise SystemExit(main(["fisc", "--data", {str(files["good"])!r}, "--target", "y",
                               "--model", "logistic", "--approximator", "exact",
                               "--out", {str(tmp_path / "out")!r}, "--formats", "html",
                               "--no-progress", "--no-cache"]))
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), process.stderr.read() if process.poll() is not None else "slow"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "terminated" in err
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {p.name for p in files.values() if p.exists()} | {"writing"}
