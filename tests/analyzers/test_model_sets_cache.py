"""Retrained members cached per member: a rerun trains only what it lacks, and gives the same set.

The learner counts its fits (and can fail at the k-th, as a killed build would stop there), so
each test asserts how many members were really trained.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from analyzers.model_sets import RetrainedSetBuilder, explore_model_set
from analyzers.model_sets.builders import CACHED_STAGE, TRAINING_STAGE
from workbench import Dataset
from workbench.member_cache import MemberCache
from workbench.store import ResultStore

GAME = {"rows": 20, "background": 10}


class Interrupted(Exception):
    """Stands for a kill between two members (Ctrl-C, a cancelled job)."""


class CountingLogistic(LogisticRegression):
    """LogisticRegression that counts its fits in ``FITS`` and fails at ``FITS['fail_at']``."""

    def fit(self, X, y, sample_weight=None):
        FITS["count"] += 1
        if FITS["count"] == FITS["fail_at"]:
            raise Interrupted(f"stopped at fit {FITS['count']}")
        return super().fit(X, y, sample_weight)


FITS = {"count": 0, "fail_at": None}


@pytest.fixture(autouse=True)
def fits():
    FITS.update(count=0, fail_at=None)
    return FITS


@pytest.fixture(scope="module")
def planted():
    """(train, explained): y on x1·x2 and x3, 240 rows seeded."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(240, 4))
    logit = 2.0 * X[:, 0] * X[:, 1] + X[:, 2]
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3", "x4"])
    frame["y"] = (rng.random(240) < 1 / (1 + np.exp(-logit))).astype(int)
    return Dataset.from_frame(frame, target="y").train_test_split(0.25, seed=0)


def builder(train, cache, seeds=(0, 1, 2), **options):
    return RetrainedSetBuilder(CountingLogistic(), train, seeds=seeds, cache=cache, **options)


def comparable(result) -> dict:
    """The result as data, less its wall time."""
    return {k: v for k, v in result.to_dict().items() if k != "seconds"}


def test_second_build_trains_nothing_and_gives_the_same_result(planted, tmp_path, fits):
    train, explained = planted
    stages = []

    def record(stage, done, total):
        stages.append((stage, done, total))

    first = explore_model_set(builder(train, MemberCache(tmp_path)), explained, "h2", **GAME)
    assert fits["count"] == 3 and len(list(tmp_path.glob("*.joblib"))) == 3
    cache = MemberCache(tmp_path)
    second = explore_model_set(builder(train, cache), explained, "h2", progress=record, **GAME)
    assert fits["count"] == 3  # nothing retrained
    assert (cache.n_loaded, cache.n_saved) == (3, 0)
    assert comparable(second) == comparable(first)
    # Progress says how many members were read and how many trained.
    assert (CACHED_STAGE, 3, 3) in stages and (TRAINING_STAGE, 0, 0) in stages


def test_more_seeds_train_only_the_new_members(planted, tmp_path, fits):
    train, explained = planted
    builder(train, MemberCache(tmp_path)).build(explained)
    assert fits["count"] == 3
    cache = MemberCache(tmp_path)
    model_set = builder(train, cache, seeds=(0, 1, 2, 3, 4)).build(explained)
    assert fits["count"] == 5 and (cache.n_loaded, cache.n_saved) == (3, 2)
    assert [m.name for m in model_set.members] == [f"seed={s}" for s in range(5)]


def test_interrupted_build_keeps_its_finished_members(planted, tmp_path, fits):
    train, explained = planted
    fits["fail_at"] = 3
    with pytest.raises(Interrupted):
        builder(train, MemberCache(tmp_path), seeds=(0, 1, 2, 3)).build(explained)
    assert len(list(tmp_path.glob("*.joblib"))) == 2
    assert not list(tmp_path.glob(".*"))  # the failed fit left no partial file
    fits.update(count=0, fail_at=None)
    cache = MemberCache(tmp_path)
    rerun = builder(train, cache, seeds=(0, 1, 2, 3)).build(explained)
    assert fits["count"] == 2 and (cache.n_loaded, cache.n_saved) == (2, 2)
    uncached = builder(train, None, seeds=(0, 1, 2, 3)).build(explained)
    assert [m.loss for m in rerun.members] == [m.loss for m in uncached.members]


def test_other_parameters_or_training_rows_are_other_members(planted, tmp_path, fits):
    train, explained = planted
    builder(train, MemberCache(tmp_path), seeds=(0,)).build(explained)
    builder(train, MemberCache(tmp_path), seeds=(0,), param_grid={"C": [0.1]}).build(explained)
    assert fits["count"] == 2
    builder(train.subset(range(150)), MemberCache(tmp_path), seeds=(0,)).build(explained)
    builder(train, MemberCache(tmp_path), seeds=(0,), n_bootstrap=1).build(explained)
    assert fits["count"] == 4
    builder(train, MemberCache(tmp_path), seeds=(0,), n_bootstrap=1).build(explained)
    assert fits["count"] == 4


def test_a_damaged_member_file_is_retrained_and_replaced(planted, tmp_path, fits):
    train, explained = planted
    builder(train, MemberCache(tmp_path), seeds=(0,)).build(explained)
    (path,) = tmp_path.glob("*.joblib")
    path.write_bytes(b"not a joblib file")
    model_set = builder(train, MemberCache(tmp_path), seeds=(0,)).build(explained)
    assert fits["count"] == 2 and np.isfinite(model_set.members[0].loss)
    builder(train, MemberCache(tmp_path), seeds=(0,)).build(explained)
    assert fits["count"] == 2


def test_the_store_holds_the_members_and_clears_their_partial_writes(tmp_path):
    store = ResultStore(tmp_path)
    cache = MemberCache.in_store(store)
    key = cache.key({"estimator": "LogisticRegression", "seed": 0}, "rows", "code")
    assert cache.load(key) is None
    path = cache.save(key, LogisticRegression(C=0.5))
    assert path.parent == tmp_path / "members" and cache.load(key).C == 0.5
    assert store.entries() == []  # members are not results
    stale = path.with_name(".killed.0.tmp")
    stale.write_bytes(b"half a member")
    assert store.partial_files() == [stale]
