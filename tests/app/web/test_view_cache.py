"""Built views are re-sent while their result stays parsed, and rebuilt for a new result."""

from __future__ import annotations

from dataclasses import dataclass

from app.web import view_cache


@dataclass(frozen=True)
class Stored:
    value: int


def test_a_view_is_built_once_per_result_and_key():
    view_cache.clear()
    built = []

    def build(result, key):
        return view_cache.cached_view(result, key, lambda: built.append(key) or [key])

    first = Stored(1)
    assert build(first, "pair a") is build(first, "pair a")  # a reload: the same view
    build(first, "pair b")
    # A new run parses a new (equal-looking) object: its view is built anew.
    build(Stored(1), "pair a")
    assert built == ["pair a", "pair b", "pair a"]


def test_the_cache_keeps_only_the_latest_views():
    view_cache.clear()
    results = [Stored(i) for i in range(view_cache.CACHE_SIZE + 1)]
    for result in results:
        view_cache.cached_view(result, "k", lambda: object())
    rebuilt = []
    view_cache.cached_view(results[0], "k", lambda: rebuilt.append(1))
    assert rebuilt == [1]  # the oldest was evicted
