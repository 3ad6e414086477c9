"""Every result goes through the store whole: seconds and model names in the header, and
``from_dict(to_dict())`` gives back the same data, for each analysis of the registry.

(The gates and embeddings analyses are checked alike in their own files, on the demo's CTR
models; these two run on a small XOR workspace.)
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest

import analyzers
import app.analyses
from analyzers.result import Result
from app.analyses import compute_result, stored_result
from workbench.workspace import Workspace

PROTOCOL_FIELDS = {"model_names", "settings", "seconds", "diagnostics"}


@pytest.fixture
def workspace(xor_workspace):
    return xor_workspace("logistic")


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("rashomon", {"approximator": "exact"}),
        ("interactions", {"index": "sii", "rows": 20, "background": 10}),
    ],
)
def test_a_result_round_trips_through_the_store(workspace, name, parameters, monkeypatch):
    result = compute_result(workspace, name, "xor-logistic", parameters)
    (entry,) = workspace.store.entries(name)
    assert entry["seconds"] == result.seconds > 0
    assert entry["model_names"] == ["xor-logistic"] == list(result.model_names)

    monkeypatch.setattr(app.analyses, "_parsed", type(app.analyses._parsed)())  # parse anew
    back = stored_result(Workspace.open(workspace.root), name, "xor-logistic", parameters)
    assert type(back) is type(result)
    assert back.to_dict() == result.to_dict()


def _result_classes() -> list[type]:
    for module in pkgutil.walk_packages(analyzers.__path__, "analyzers."):
        importlib.import_module(module.name)
    found, pending = [], list(Result.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("analyzers.")]


def test_every_analyzer_result_declares_the_protocol():
    classes = _result_classes()
    assert len(classes) >= 8  # rashomon, interactions, comparison, gates (4), embeddings...
    for cls in classes:
        fields = {f.name for f in dataclasses.fields(cls)}
        assert PROTOCOL_FIELDS <= fields, f"{cls.__name__} lacks {PROTOCOL_FIELDS - fields}"
        assert cls.__dataclass_params__.frozen, f"{cls.__name__} is not frozen"
        assert isinstance(cls.__dict__.get("kind", None), str), f"{cls.__name__} has no kind"


def test_a_page_reads_a_sidecar_result_as_frames_and_says_when_its_sidecar_is_altered(
    tmp_path, monkeypatch
):
    import types

    import pandas as pd

    import workbench.parquet_sidecar
    from app.analyses import read_stored
    from tests.workbench.test_store_sidecars import local_result
    from workbench.store import ResultKey, ResultStore, StoredResultError

    def no_rows(table):
        raise AssertionError("row lists built on the frame path")

    result = local_result(n_rows=400)  # the scores go to Parquet
    workspace = types.SimpleNamespace(store=ResultStore(tmp_path))
    key = ResultKey("interactions", "m", "d")
    workspace.store.put(key, result.to_dict())
    monkeypatch.setattr(app.analyses, "_parsed", type(app.analyses._parsed)())
    with monkeypatch.context() as patch:
        patch.setattr(workbench.parquet_sidecar, "_rows", no_rows)
        back = read_stored(workspace, key)
    pd.testing.assert_frame_equal(back.scores, result.scores, check_exact=True)

    monkeypatch.setattr(app.analyses, "_parsed", type(app.analyses._parsed)())
    (sidecar,) = tmp_path.glob("interactions/*.parquet")
    sidecar.write_bytes(sidecar.read_bytes()[:-10])
    with pytest.raises(StoredResultError, match=f"sidecar {sidecar.name} is altered"):
        read_stored(workspace, key)  # the page shows this line; Run recomputes
