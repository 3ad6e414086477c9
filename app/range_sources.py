"""Where a compared model's Rashomon range comes from in the app: its stored model-set results
of the comparison's index (any builder: retrain, dropout, input masks) and, for index "fis", its
stored FISC results, whatever settings they were run with.

When a model has several, the most recent is used: it is the one the user last ran (the usual
path is "build a set, then compare"), and it needs no extra control or URL state; the page
lists the others with a link to each, so a different one is a Run away on its own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.analyses import read_stored, result_key
from app.parameter_text import url_value
from workbench.store import ResultKey, StoredResultError

#: the analyses that give a range, and the page (path) each is built on
RANGE_PAGES = {"model_set": "/model-sets", "rashomon": "/rashomon"}


@dataclass(frozen=True)
class StoredRange:
    """One stored result that can give ``model`` its range (read lazily: only the used one)."""

    model: str
    analysis: str
    key: ResultKey
    saved: float

    @property
    def parameters(self) -> dict:
        return self.key.parameters

    def read(self, workspace) -> Any:
        """The stored ModelSetResult or RashomonResult (None when it cannot be read back)."""
        try:
            return read_stored(workspace, self.key)
        except StoredResultError:
            return None

    def describe(self) -> str:
        """A short name from the settings alone: "retrain set, 8 members, ε = 5%"."""
        parameters = self.parameters
        epsilon = f"ε = {100 * float(parameters['epsilon_rate']):.3g}%"
        if self.analysis == "model_set":
            return f"{parameters['builder']} set, {parameters['members']} members, {epsilon}"
        return f"FISC, {epsilon}, approximator {parameters['approximator']}"

    def page_search(self, data: str) -> str:
        """The query of the page that shows this result (its settings in the URL)."""
        from urllib.parse import urlencode

        query = {"data": data, "model": self.model}
        query.update({name: url_value(value) for name, value in self.parameters.items()})
        return RANGE_PAGES[self.analysis] + "?" + urlencode(query)


def stored_ranges(workspace, model: str, index: str) -> list[StoredRange]:
    """Every stored range of ``model`` for ``index``, newest first: its model-set results of
    that index and (index "fis") its FISC results, of this model, data and code version.

    Only the store's headers are read here (``ResultStore.entries``); a result is parsed
    when it is chosen (``choose_range``)."""
    found = []
    for name in ("model_set", "rashomon") if index == "fis" else ("model_set",):
        # the key Run stores under (a torch model's sites are part of its fingerprint)
        ours = result_key(workspace, name, model, {})
        wanted = (ours.model_fingerprint, ours.data_fingerprint, ours.code_version)
        for entry in workspace.store.entries(name):
            key = entry["key"]
            parameters = key["parameters"]
            if (key["model_fingerprint"], key["data_fingerprint"], key["code_version"]) != wanted:
                continue  # another model or data, or computed by other code
            if set(parameters) != set(ours.parameters):
                continue  # other settings than today's: Run would not find it either
            if name == "model_set" and parameters["index"] != index:
                continue
            found.append(StoredRange(model, name, ResultKey(**key), float(entry["saved"])))
    return sorted(found, key=lambda stored: stored.saved, reverse=True)


@dataclass(frozen=True)
class RangeChoice:
    """The range a compared model gets: ``used`` (None: none stored), its ``result``, and the
    ``others`` stored for it (newest first)."""

    model: str
    used: StoredRange | None
    result: Any
    others: tuple[StoredRange, ...]


def choose_range(workspace, model: str, index: str) -> RangeChoice:
    """The most recent readable stored range of ``model`` for ``index`` (see the module)."""
    ranges = stored_ranges(workspace, model, index)
    for stored in ranges:
        result = stored.read(workspace)
        if result is not None:
            others = tuple(r for r in ranges if r is not stored)
            return RangeChoice(model, stored, result, others)
    return RangeChoice(model, None, None, tuple(ranges))
