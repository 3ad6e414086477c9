"""Job component ids: a fixed set, so a typo fails where it is written."""

from __future__ import annotations

import pytest

from app.web.jobs import JobIds


def test_job_ids_are_prefixed_and_distinct():
    ids = JobIds("cmp")
    names = ("run", "cancel", "progress", "progress_text", "url", "status", "results")
    values = [getattr(ids, name) for name in names]
    assert ids.run == "cmp-run" and ids.progress_text == "cmp-progress-text"
    assert len(set(values)) == len(values)
    assert all(value.startswith("cmp-") for value in values)


def test_a_mistyped_id_raises_attribute_error():
    with pytest.raises(AttributeError):
        JobIds("cmp").reslts  # noqa: B018


def test_two_pages_ids_never_collide():
    assert not {JobIds("cmp").run, JobIds("cmp").url} & {JobIds("inter").run, JobIds("inter").url}


def test_a_view_control_edits_only_its_own_query_values():
    from app.web.jobs import updated_search

    search = "?data=compas&model=mlp&outside=1"
    assert updated_search(search, {"pair": "a × b"}) == (
        "?data=compas&model=mlp&outside=1&pair=a+%C3%97+b"
    )
    # An empty choice keeps the URL's value; a removed name goes.
    assert updated_search(search, {"model": None}) == search
    assert (
        updated_search(search, {"outside": None}, remove=("outside",)) == "?data=compas&model=mlp"
    )
    assert updated_search(None, {}) == "?"
