"""Data that does not fit (issue 16): Parquet / Dask rows read in chunks as distinct rows.

Ground truth: FISC exact on a Parquet file read k rows at a time (k dividing the row count or
not) equals FISC exact on the same data loaded whole, in every field but the wall time; the
merged distinct rows, counts and label statistics equal those of the whole data; bad input is
one line naming the column.
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from analyzers.interactions import score_interactions
from analyzers.rashomon import explore_rashomon
from app.cli import command as cli
from workbench import Dataset, wrap_model
from workbench.chunk_runs import DASK_HTTP_ADDRESS
from workbench.data.chunked import DistinctRows
from workbench.errors import DataError, ParameterError
from workbench.kernels import SubsetLossKernel

N_ROWS = 203  # a prime: no chunk size but 1 and 203 divides it


@pytest.fixture(scope="module")
def parquet_case(tmp_path_factory):
    """Binary and 3-level features with a planted a×b term, a 0/1 label, a logistic model."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 2, N_ROWS),
            "b": rng.integers(0, 2, N_ROWS),
            "c": rng.integers(0, 3, N_ROWS).astype(float),
            "d": rng.random(N_ROWS) < 0.5,  # boolean column: numeric 0/1
        }
    )
    logit = 2.5 * frame["a"] * frame["b"] - 1.0 + 0.5 * frame["c"]
    frame["y"] = (rng.random(N_ROWS) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path_factory.mktemp("parquet") / "rows.parquet"
    frame.to_parquet(path, row_group_size=50)
    whole = Dataset.from_parquet(path, "y")
    fitted = LogisticRegression().fit(whole.X.numpy(), whole.y.numpy())
    return path, frame, whole, wrap_model(fitted), fitted


def same_result(a, b) -> bool:
    first, second = a.to_dict(), b.to_dict()
    first.pop("seconds")
    second.pop("seconds")
    return first == second


def fisc(model, data, **options):
    return explore_rashomon(model, data, approximator="exact", delta=0.25, **options)


@pytest.mark.parametrize("chunk_rows", [1, 7, 64, N_ROWS, 1000])
def test_fisc_on_parquet_in_chunks_equals_fisc_on_the_whole_data(parquet_case, chunk_rows):
    path, _, whole, model, _ = parquet_case
    rows = DistinctRows.from_parquet(path, "y", chunk_rows=chunk_rows)
    assert rows.n_rows == N_ROWS and rows.n_distinct_rows < N_ROWS
    assert rows.fingerprint() == whole.fingerprint()  # caches and comparisons treat them alike
    assert same_result(fisc(model, whole), fisc(model, rows))


def test_merged_distinct_rows_and_label_statistics_equal_the_whole_data(parquet_case):
    path, frame, whole, model, _ = parquet_case
    reference = DistinctRows.from_dataset(whole)
    # Counted by hand with pandas: rows per distinct (features, label).
    by_hand = frame.groupby(["a", "b", "c", "d", "y"]).size()
    assert sorted(reference.counts.tolist()) == sorted(by_hand.tolist())
    for chunk_rows in (5, 50, 64):
        rows = DistinctRows.from_parquet(path, "y", chunk_rows=chunk_rows)
        assert torch.equal(rows.X, reference.X) and torch.equal(rows.y, reference.y)
        assert torch.equal(rows.counts, reference.counts)
        # The statistics the exact estimator weighs rows by: (count of y=0, count of y=1)
        # per distinct input, summed over rows in one case and from counts in the other.
        from_rows, from_counts = SubsetLossKernel(model, whole), SubsetLossKernel(model, rows)
        assert torch.equal(from_rows._base_codes, from_counts._base_codes)
        assert torch.equal(from_rows._base_stats, from_counts._base_stats)
        assert from_counts._base_stats.sum().item() == N_ROWS


def test_a_dask_dataframe_read_by_partition_equals_the_whole_data(parquet_case):
    dd = pytest.importorskip("dask.dataframe")
    _, frame, whole, _, _ = parquet_case
    rows = DistinctRows.from_dask(dd.from_pandas(frame, npartitions=3), "y")
    reference = DistinctRows.from_dataset(whole)
    assert torch.equal(rows.counts, reference.counts) and torch.equal(rows.X, reference.X)
    assert rows.fingerprint() == whole.fingerprint()


def test_fisc_on_a_cluster_ships_only_the_distinct_rows(parquet_case):
    distributed = pytest.importorskip("distributed")
    path, _, whole, model, _ = parquet_case
    rows = DistinctRows.from_parquet(path, "y", chunk_rows=64)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=DASK_HTTP_ADDRESS
    )
    with distributed.Client(cluster) as client:
        there = fisc(model, rows, executor=client, chunk_size=2)
    cluster.close()
    assert same_result(fisc(model, whole), there)


def test_continuous_target_agrees_to_rounding(tmp_path):
    """Counts times a float label vs a sum of equal floats: equal up to rounding only."""
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, (120, 3)).astype(float)
    frame = pd.DataFrame(X, columns=["p", "q", "r"])
    frame["t"] = np.round(X[:, 0] * X[:, 1] + rng.normal(0, 0.1, 120), 1)
    frame.to_parquet(tmp_path / "r.parquet")
    whole = Dataset.from_parquet(tmp_path / "r.parquet", "t")
    net = torch.nn.Linear(3, 1)
    model = wrap_model(net, task="regression", device="cpu")
    rows = DistinctRows.from_parquet(tmp_path / "r.parquet", "t", chunk_rows=17)
    here, there = fisc(model, whole), fisc(model, rows)
    assert there.reference_loss == pytest.approx(here.reference_loss, rel=1e-12)
    np.testing.assert_allclose(there.fis_cloud["fis"], here.fis_cloud["fis"], rtol=1e-9)


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (None, {"target": "nope"}, "target='nope' is not a column"),
        (None, {"features": ["a", "zz"]}, "unknown column 'zz'"),
        (
            "nan",
            {},
            "feature 'c' has NaN/inf values (or values beyond float32) at row positions 150",
        ),
        ("text", {}, "feature 'e' is not numeric (Arrow type"),
        ("text_target", {}, "target 'y' is not numeric"),
        (None, {"chunk_rows": 0}, "chunk_rows must be a positive integer"),
        (None, {"max_distinct_rows": 10}, "more than max_distinct_rows=10"),
    ],
)
def test_bad_parquet_input_is_one_line_naming_the_column(
    parquet_case, tmp_path, change, options, message
):
    _, frame, _, _, _ = parquet_case
    frame = frame.copy()
    if change == "nan":
        frame["c"] = frame["c"].where(frame.index != 150)
    elif change == "text":
        frame["e"] = "x"
    elif change == "text_target":
        frame["y"] = frame["y"].map({0: "no", 1: "yes"})
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    arguments = {"target": "y", "chunk_rows": 64, **options}
    with pytest.raises((DataError, ParameterError)) as error:
        DistinctRows.from_parquet(path, **arguments)
    assert message in one_line(error)


def test_not_a_parquet_file_is_one_line(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError) as error:
        DistinctRows.from_parquet(path, "b")
    assert "could not read" in one_line(error)
    with pytest.raises(DataError) as error:
        DistinctRows.from_parquet(tmp_path / "missing.parquet", "b")
    assert "is not a file" in one_line(error)


def test_analyses_that_need_every_row_say_so_in_one_line(parquet_case):
    path, _, _, model, _ = parquet_case
    rows = DistinctRows.from_parquet(path, "y", chunk_rows=64)
    with pytest.raises(ParameterError) as error:
        explore_rashomon(model, rows, approximator="permutation")
    assert "only estimator='exact'" in one_line(error)
    with pytest.raises(ParameterError) as error:
        score_interactions(model, rows)
    assert "needs every row" in one_line(error)


def test_cli_fisc_reads_parquet_in_chunks(parquet_case, tmp_path, capsys):
    path, _, whole, _, fitted = parquet_case
    model_path = tmp_path / "model.joblib"
    joblib.dump(fitted, model_path)
    common = ["fisc", "--data", path, "--target", "y", "--model", model_path, "--trust-pickle"]
    common += ["--formats", "", "--no-progress", "--approximator", "exact"]
    argv = [*common, "--out", tmp_path / "out", "--chunk-rows", "30", "--no-cache"]
    assert cli.main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert "distinct" in capsys.readouterr().err
    import json

    written = json.loads((tmp_path / "out" / "result.json").read_text())
    assert written["settings"]["n_rows"] == N_ROWS
    assert written["settings"]["dataset_fingerprint"] == whole.fingerprint()
    bad = [*common, "--out", tmp_path / "o2", "--chunk-rows", "30", "--approximator", "permutation"]
    assert cli.main([str(a) for a in bad]) == 2
    err = capsys.readouterr().err
    assert "--chunk-rows" in err and err.strip().count("\n") == 0
