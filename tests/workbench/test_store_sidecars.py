"""Large frames of a stored result go to Parquet beside the JSON and come back identical."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import pytest

import workbench.store as store_module
from analyzers.interaction_result import InteractionResult
from workbench.store import ResultKey, ResultStore, StoredResultError

KEY = ResultKey("interactions", "model-fp", "data-fp", {"index": "sii"})


def local_result(n_rows: int, n_pairs: int = 10) -> InteractionResult:
    """Local SII values, rows x pairs, with a NaN and extreme doubles to round-trip exactly."""
    rng = np.random.default_rng(0)
    pairs = [f"x{i} × x{i + 1}" for i in range(n_pairs)]
    values = rng.normal(size=n_rows * n_pairs)
    values[:3] = [np.nan, 1e-310, -np.pi]  # a missing value, a subnormal, a long mantissa
    scores = pd.DataFrame(
        {
            "model": "mlp",
            "index": "sii",
            "pair": np.tile(pairs, n_rows),
            "value": values,
            "row": np.repeat(np.arange(n_rows), n_pairs),
        }
    )
    mains = pd.DataFrame({"model": "mlp", "index": "sii", "group": ["x0"], "value": [0.5]})
    return InteractionResult("mlp", "sii", ("x0",), scores, mains, {"n_rows": n_rows}, 1.0)


def stored_files(store: ResultStore) -> list[str]:
    return sorted(p.name for p in (store.root / "interactions").iterdir())


def test_large_local_result_round_trips_through_a_parquet_sidecar(tmp_path):
    result = local_result(n_rows=400)  # 4,000 score rows x 5 columns = 20,000 cells
    json_only = ResultStore(tmp_path / "json", sidecar_min_cells=10**12)
    store = ResultStore(tmp_path / "sidecar")
    json_only.put(KEY, result.to_dict())
    store.put(KEY, result.to_dict())

    digest = KEY.digest
    assert stored_files(store) == [f"{digest}.json", f"{digest}.scores.parquet"]
    assert stored_files(json_only) == [f"{digest}.json"]
    big = json_only.path_for(KEY).stat().st_size
    small = store.path_for(KEY).stat().st_size
    assert small < big / 50, (small, big)

    # What get returns is what the JSON-only store returned, so from_dict rebuilds the same frame.
    assert store.get(KEY) == json_only.get(KEY)
    back = InteractionResult.from_dict(store.get(KEY))
    pd.testing.assert_frame_equal(back.scores, result.scores, check_exact=True)
    assert list(back.scores.dtypes.astype(str)) == list(result.scores.dtypes.astype(str))
    assert (
        back.scores["value"].to_numpy()[1:].tobytes()
        == result.scores["value"][1:].to_numpy().tobytes()
    )


def test_a_small_result_writes_no_sidecar(tmp_path):
    store = ResultStore(tmp_path)
    result = local_result(n_rows=5)
    store.put(KEY, result.to_dict())
    assert stored_files(store) == [f"{KEY.digest}.json"]
    assert store.get(KEY) == ResultStore(tmp_path).get(KEY)
    assert '"rows"' in store.path_for(KEY).read_text()


@pytest.mark.parametrize("frames", [False, True], ids=["rows", "frames"])
@pytest.mark.parametrize("damage", ["delete", "truncate", "replace"])
def test_a_missing_or_damaged_sidecar_makes_the_entry_absent(tmp_path, caplog, damage, frames):
    store = ResultStore(tmp_path)
    store.put(KEY, local_result(n_rows=400).to_dict())
    sidecar = store.root / "interactions" / f"{KEY.digest}.scores.parquet"
    if damage == "delete":
        sidecar.unlink()
    elif damage == "truncate":
        sidecar.write_bytes(sidecar.read_bytes()[:100])
    else:  # valid Parquet, but another result's
        other = ResultStore(tmp_path / "other")
        other.put(KEY, local_result(n_rows=401).to_dict())
        sidecar.write_bytes((other.root / "interactions" / sidecar.name).read_bytes())
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        assert store.get(KEY, frames=frames) is None  # the caller recomputes
    [message] = caplog.messages
    assert sidecar.name in message and "\n" not in message
    with pytest.raises(StoredResultError, match=sidecar.name):
        store.get(KEY, strict=True, frames=frames)
    store.put(KEY, local_result(n_rows=400).to_dict())  # the recomputed result replaces it
    assert store.get(KEY) is not None


def test_a_write_killed_between_sidecar_and_json_leaves_no_json(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    original = store_module.write_atomically

    def killed_at_the_json(path, write):
        if path.suffix == ".json":
            raise KeyboardInterrupt  # the job dies before its JSON is written
        return original(path, write)

    monkeypatch.setattr(store_module, "write_atomically", killed_at_the_json)
    with pytest.raises(KeyboardInterrupt):
        store.put(KEY, local_result(n_rows=400).to_dict())
    monkeypatch.undo()
    assert KEY not in store and store.get(KEY) is None
    orphan = store.root / "interactions" / f"{KEY.digest}.scores.parquet"
    assert store.partial_files() == [orphan]
    assert store.remove_partial(older_than_seconds=3600) == 0  # might be a live writer's
    assert store.remove_partial(older_than_seconds=-1) == 1
    assert stored_files(store) == []


def test_delete_and_replacing_a_result_remove_its_sidecars(tmp_path):
    store = ResultStore(tmp_path)
    store.put(KEY, local_result(n_rows=400).to_dict())
    store.put(KEY, local_result(n_rows=5).to_dict())  # now small: the old sidecar goes
    assert stored_files(store) == [f"{KEY.digest}.json"]
    store.put(KEY, local_result(n_rows=400).to_dict())
    assert store.delete(KEY) and stored_files(store) == []
    assert not store.delete(KEY)


def test_a_frame_parquet_cannot_hold_faithfully_stays_in_json(tmp_path):
    store = ResultStore(tmp_path, sidecar_min_cells=1)
    mixed = {"columns": ["a"], "dtypes": {"a": "object"}, "rows": [[1], ["x"], [None]]}
    store.put(KEY, {"kind": "x", "frame": mixed})
    assert stored_files(store) == [f"{KEY.digest}.json"]
    assert store.get(KEY) == {"kind": "x", "frame": mixed}


def test_integers_past_2_53_with_missing_values_come_back_exact_as_frames(tmp_path):
    store = ResultStore(tmp_path, sidecar_min_cells=1)
    result = local_result(n_rows=4, n_pairs=1)
    big = pd.array([2**60 + 1, None, -(2**62) - 1, 7], dtype="Int64")
    scores = result.scores.assign(row=big)  # floats (what Arrow gives for nulls) round these
    store.put(KEY, dataclasses.replace(result, scores=scores).to_dict())
    back = InteractionResult.from_dict(store.get(KEY, frames=True))
    pd.testing.assert_series_equal(back.scores["row"], scores["row"], check_exact=True)
