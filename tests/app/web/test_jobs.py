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
