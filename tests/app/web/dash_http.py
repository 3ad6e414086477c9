"""A page's background job driven over HTTP as the Dash renderer drives it, without a browser.

Used by the fault-injection tests (a server in a subprocess, killed mid-job) and by
``benchmarks/load.py``. The job callback is found in ``/_dash-dependencies`` by its page prefix;
the first POST starts the job and answers its signed handles, later POSTs with the handles poll it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

TIMEOUT_SECONDS = 30


@dataclass
class Job:
    """A started job: the request body and the handles that poll it."""

    url: str
    prefix: str
    body: dict
    handles: dict

    def poll(self) -> dict:
        """One poll: ``{"progress": ...}`` while it runs, ``{"response": ...}`` once done, ``{}``
        when Dash has nothing to send (a cancelled or lost job)."""
        answer = requests.post(
            self.url + "_dash-update-component",
            json=self.body,
            params=self.handles,
            timeout=TIMEOUT_SECONDS,
        )
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def wait(self, timeout_seconds: float, until=lambda answer: "response" in answer) -> dict:
        """Poll every 0.2 s until ``until(answer)``; returns that answer."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            answer = self.poll()
            if until(answer):
                return answer
            assert time.monotonic() < deadline, f"job still running: {answer}"
            time.sleep(0.2)

    def cancel(self) -> None:
        """Cancel as the Cancel button does: the job's signed handle to Dash's cancel callback."""
        cancel = {"id": f"{self.prefix}-cancel", "property": "n_clicks", "value": 1}
        requests.post(
            self.url + "_dash-update-component",
            json={
                "output": f"{self.prefix}-cancel.id",
                "outputs": {"id": cancel["id"], "property": "id"},
                "inputs": [cancel],
                "changedPropIds": [f"{self.prefix}-cancel.n_clicks"],
            },
            params={"cancelJob": self.handles["job"]},
            timeout=TIMEOUT_SECONDS,
        ).raise_for_status()


def start_job(url: str, prefix: str, values: dict) -> Job:
    """Press Run of the page whose job ids start with ``prefix`` ("inter"); ``values`` maps each
    state's component id to its value (missing ones are None)."""
    dependencies = requests.get(url + "_dash-dependencies", timeout=TIMEOUT_SECONDS).json()
    [callback] = [
        item
        for item in dependencies
        if f"{prefix}-url.search" in item["output"] and item.get("background")
    ]
    body = {
        "output": callback["output"],
        "outputs": [
            {"id": name.rsplit(".", 1)[0], "property": name.rsplit(".", 1)[1]}
            for name in callback["output"].strip(".").split("...")
        ],
        "inputs": [{**item, "value": 1} for item in callback["inputs"]],
        "changedPropIds": [f"{prefix}-run.n_clicks"],
        "state": [{**item, "value": values.get(item["id"])} for item in callback["state"]],
    }
    answer = requests.post(url + "_dash-update-component", json=body, timeout=TIMEOUT_SECONDS)
    answer.raise_for_status()
    handles = answer.json()
    return Job(url, prefix, body, {"cacheKey": handles["cacheKey"], "job": handles["job"]})


def wait_for_server(url: str, timeout_seconds: float) -> None:
    """Until ``url`` answers (a server started in a subprocess)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            requests.get(url + "_dash-layout", timeout=5).raise_for_status()
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, f"no server at {url}"
            time.sleep(0.2)


def render_page(url: str, path: str, search: str = "") -> str:
    """The page at ``path`` + ``search`` as the renderer asks for it (Dash pages' routing
    callback); returns the JSON of its layout, the text a user would see included."""
    location = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    answer = requests.post(
        url + "_dash-update-component",
        json={
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": location,
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        },
        timeout=TIMEOUT_SECONDS,
    )
    answer.raise_for_status()
    return answer.text


def fire_callback(url: str, output: str, trigger: str, values: dict) -> dict:
    """Fire the (foreground) callback whose outputs include ``output`` ("intr-results.children")
    as the renderer does when ``trigger`` ("gates-model.value") changes; ``values`` maps each
    input's and state's component id to its value. Returns the response's outputs by id."""
    dependencies = requests.get(url + "_dash-dependencies", timeout=TIMEOUT_SECONDS).json()
    [callback] = [
        item
        for item in dependencies
        if output in item["output"]
        and not item.get("background")
        and any(f"{i['id']}.{i['property']}" == trigger for i in item["inputs"])
    ]
    body = {
        "output": callback["output"],
        "outputs": [
            {"id": name.rsplit(".", 1)[0], "property": name.rsplit(".", 1)[1].split("@")[0]}
            for name in callback["output"].strip(".").split("...")
        ],
        "inputs": [{**item, "value": values.get(item["id"])} for item in callback["inputs"]],
        "changedPropIds": [trigger],
        "state": [{**item, "value": values.get(item["id"])} for item in callback["state"]],
    }
    answer = requests.post(url + "_dash-update-component", json=body, timeout=TIMEOUT_SECONDS)
    answer.raise_for_status()
    return answer.json()["response"]
