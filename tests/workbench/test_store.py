"""The results store: keys, atomic writes, and what a killed writer leaves."""

from __future__ import annotations

import os

import pytest

from workbench.errors import ParameterError
from workbench.store import ResultKey, ResultStore, code_version


def key(**parameters) -> ResultKey:
    return ResultKey("rashomon", "model-fp", "data-fp", parameters)


def test_round_trip_and_cache_hit(tmp_path):
    store = ResultStore(tmp_path)
    payload = {"kind": "rashomon", "values": [1.5, None, "a"]}
    assert store.get(key(epsilon_rate=0.1)) is None
    store.put(key(epsilon_rate=0.1), payload, seconds=2.0, model_names=("mlp",))
    assert key(epsilon_rate=0.1) in store
    assert store.get(key(epsilon_rate=0.1)) == payload
    [entry] = store.entries("rashomon")
    assert entry["seconds"] == 2.0 and entry["key"]["parameters"] == {"epsilon_rate": 0.1}
    assert entry["model_names"] == ["mlp"]


def test_every_part_of_the_key_separates_results(tmp_path):
    base = key(epsilon_rate=0.1)
    others = [
        key(epsilon_rate=0.2),
        ResultKey("rashomon", "other-model", "data-fp", {"epsilon_rate": 0.1}),
        ResultKey("rashomon", "model-fp", "other-data", {"epsilon_rate": 0.1}),
        ResultKey("interactions", "model-fp", "data-fp", {"epsilon_rate": 0.1}),
        ResultKey("rashomon", "model-fp", "data-fp", {"epsilon_rate": 0.1}, code_version="old"),
    ]
    assert len({base.digest, *(k.digest for k in others)}) == 1 + len(others)
    # Parameter order does not matter.
    assert key(a=1, b=2).digest == key(b=2, a=1).digest
    assert base.code_version == code_version()


def test_a_killed_write_leaves_no_visible_result(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)

    def killed(*args):
        raise KeyboardInterrupt  # the job dies between writing and renaming

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put(key(), {"kind": "x"})
    monkeypatch.undo()
    assert store.get(key()) is None
    assert store.entries() == []
    assert store.partial_files() == []  # the writer cleans up what it can


def test_partial_files_of_a_killed_process_are_ignored_then_removed(tmp_path):
    store = ResultStore(tmp_path)
    folder = tmp_path / "rashomon"
    folder.mkdir()
    dead = folder / f".{key().digest}.dead.tmp"
    dead.write_text('{"truncated": ')
    assert store.get(key()) is None and store.entries() == []
    assert store.remove_partial() == 0  # it may be another process's write in progress
    old = dead.stat().st_mtime - 3600
    os.utime(dead, (old, old))
    assert store.remove_partial() == 1
    assert store.partial_files() == []


def test_unreadable_result_is_a_miss_not_a_crash(tmp_path):
    store = ResultStore(tmp_path)
    path = store.put(key(), {"kind": "x"})
    path.write_text("{not json")
    assert store.get(key()) is None


def test_bad_keys_are_one_line_errors():
    with pytest.raises(ParameterError, match="analyzer"):
        ResultKey("../escape", "m", "d", {})
    with pytest.raises(ParameterError, match="JSON-safe"):
        ResultKey("rashomon", "m", "d", {"x": object()})
    with pytest.raises(ParameterError, match="JSON-safe"):
        ResultKey("rashomon", "m", "d", {"x": float("nan")})


def test_a_strict_read_reports_an_unreadable_result(tmp_path):
    from workbench.store import StoredResultError

    store = ResultStore(tmp_path)
    assert store.get(key(), strict=True) is None  # absent: a miss
    path = store.put(key(), {"kind": "x"})
    path.write_text(path.read_text()[:20])  # truncated, as by a full disk
    with pytest.raises(StoredResultError, match="stored result unreadable"):
        store.get(key(), strict=True)
    assert store.get(key()) is None


def test_listing_reads_each_header_not_each_result(tmp_path):
    # A listing of many large results must not parse them (the Compare page lists every
    # stored range to pick one): a result damaged after an intact header is still listed
    # from its header, and only a read of the result finds it unreadable.
    store = ResultStore(tmp_path)
    path = store.put(key(a=1), {"kind": "x", "values": list(range(1000))}, 2.5, ["mlp"])
    text = path.read_text()
    path.write_text(text[: text.index('"values"')] + "not json at all")
    [entry] = store.entries("rashomon")
    assert entry["key"] == key(a=1).as_dict()
    assert (entry["seconds"], entry["model_names"]) == (2.5, ["mlp"])
    assert store.get(key(a=1)) is None


def test_a_parameter_named_result_still_lists_its_entry(tmp_path):
    # ',"result":' inside the key cuts the header short; the whole file is read instead.
    store = ResultStore(tmp_path)
    store.put(key(a=1, result="x"), {"kind": "x"})
    [entry] = store.entries()
    assert entry["key"]["parameters"] == {"a": 1, "result": "x"}
