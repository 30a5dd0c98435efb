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


# version -> the step to the next one
_STEPS: dict[int, Callable[[CellData], dict[str, Any]]] = {3: _from_3}


def readable(version: int) -> bool:
    return version == SCHEMA_VERSION or version in _STEPS


def cell(data: CellData, version: int) -> CellData:
    """A cell.json of `version`, as the current version has it."""
    while version < SCHEMA_VERSION:
        data = _STEPS[version](data)
        version += 1
    return data
