"""Older results read as the current version, where the newer one only adds what the older
did not record: each step fills the new fields in as "none recorded", and no old field
changes meaning. Versions with no step here are refused by the reader (it says why)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bgbench.results.names import SCHEMA_VERSION

CellData = Mapping[str, Any]


def _from_3(cell: CellData) -> dict[str, Any]:
    """Version 3 listed no Locust worker on its own: one process, or only the workers' sum."""
    upgraded = dict(cell)
    loadgen = cell.get("loadgen")
    if isinstance(loadgen, Mapping):
        upgraded["loadgen"] = {**loadgen, "locust_workers": []}
    return upgraded


def _from_4(cell: CellData) -> dict[str, Any]:
    """Version 4 did not watch the queue worker: none recorded, so none judged dead."""
    upgraded = dict(cell)
    server = cell.get("server")
    if isinstance(server, Mapping):
        upgraded["server"] = {**server, "queue_worker": None}
    return upgraded


def _from_5(cell: CellData) -> dict[str, Any]:
    """Version 5 ran one queue, Celery over Redis, under the strategy names celery and queue."""
    upgraded = dict(cell)
    params = cell.get("params")
    if isinstance(params, Mapping):
        queued = params.get("strategy") in ("celery", "queue")
        upgraded["params"] = {**params, "broker": "redis" if queued else None}
    server = cell.get("server")
    if isinstance(server, Mapping) and isinstance(server.get("queue_worker"), Mapping):
        upgraded["server"] = {
            **server,
            "queue_worker": {**server["queue_worker"], "broker": "redis"},
        }
    return upgraded


def _from_6(cell: CellData) -> dict[str, Any]:
    """Version 6 did not measure the queue worker's memory apart from the server's, nor count
    what its broker held at the end (a broker's loss was in not_run)."""
    upgraded = dict(cell)
    server = cell.get("server")
    if isinstance(server, Mapping) and isinstance(server.get("queue_worker"), Mapping):
        unmeasured = {
            "rss_mib": None,
            "processes": None,
            "held_at_stop": None,
            "started_after_drain": None,
        }
        upgraded["server"] = {**server, "queue_worker": {**server["queue_worker"], **unmeasured}}
    counts = cell.get("accounting")
    if isinstance(counts, Mapping):
        upgraded["accounting"] = {**counts, "lost_in_broker": None}
    return upgraded


# version -> the step to the next one
_STEPS: dict[int, Callable[[CellData], dict[str, Any]]] = {
    3: _from_3,
    4: _from_4,
    5: _from_5,
    6: _from_6,
}


# Versions whose cells mean the same things where both have them: a later one only records
# more of what happened (5: the queue worker; 6: the broker, which 5 implies; 7: the worker's
# memory), so `compare` may set them side by side. Version 3 lacks the remote-load keys of
# `params` that 4 added, so it is compared only with itself.
_COMPARABLE = frozenset({4, 5, 6, 7})


def comparable(version_a: int, version_b: int) -> bool:
    return version_a == version_b or {version_a, version_b} <= _COMPARABLE


def readable(version: int) -> bool:
    return version == SCHEMA_VERSION or version in _STEPS


def cell(data: CellData, version: int) -> CellData:
    """A cell.json of `version`, as the current version has it."""
    while version < SCHEMA_VERSION:
        data = _STEPS[version](data)
        version += 1
    return data
