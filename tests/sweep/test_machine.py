from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence

import pytest

from sweep import machine
from sweep.machine import Pinning, quietness

PINNED = Pinning([0, 1], [0], [1], True, "server on CPU 0")


def fixed(
    found: dict[int, tuple[float, float]] | None,
) -> Callable[[Sequence[int], Sequence[int], float], dict[int, tuple[float, float]] | None]:
    def measure(
        cpus: Sequence[int], own_cpus: Sequence[int], seconds: float
    ) -> dict[int, tuple[float, float]] | None:
        assert (list(cpus), list(own_cpus)) == ([0, 1], [1])  # the sweep's time is on CPU 1
        return found

    return measure


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    value = [0.5, 0.4, 0.3]
    monkeypatch.setattr(os, "getloadavg", lambda: tuple(value))
    return value


def test_a_quiet_machine(load: list[float]) -> None:
    found = quietness(PINNED, measure=fixed({0: (1.0, 0.0), 1: (3.0, 1.0)}))
    assert found["quiet"] is True
    assert found["reasons"] == []
    assert found["load_average"] == [0.5, 0.4, 0.3]
    assert found["cpus"] == [
        {"cpu": 0, "role": "server", "foreign_percent": 1.0, "steal_percent": 0.0},
        {"cpu": 1, "role": "loadgen", "foreign_percent": 3.0, "steal_percent": 1.0},
    ]
    assert found["thresholds"] == {
        "foreign_percent": 10.0,
        "steal_percent": 2.0,
        "load_per_cpu": 1.0,
    }


def test_a_busy_machine_says_why(load: list[float]) -> None:
    load[0] = 5.8
    found = quietness(PINNED, measure=fixed({0: (73.2, 0.0), 1: (4.0, 2.5)}))
    assert found["quiet"] is False
    assert found["reasons"] == [
        "load average 5.8 on 2 CPUs",
        "73% of CPU 0 used by other processes",
        "2% of CPU 1 stolen by the hypervisor",
    ]


def test_unreadable_proc_stat_cannot_tell_unless_the_load_says(load: list[float]) -> None:
    assert quietness(PINNED, measure=fixed(None))["quiet"] is None
    load[0] = 3.0
    assert quietness(PINNED, measure=fixed(None))["quiet"] is False


def test_quietness_on_this_machine() -> None:
    pinning = machine.plan_pinning()
    found = quietness(pinning, seconds=0.3)
    json.dumps(found)  # it goes into the manifest as it is
    assert [c["cpu"] for c in found["cpus"]] == pinning.available_cpus
    assert found["quiet"] is (not found["reasons"])
    assert all(0.0 <= c["foreign_percent"] <= 100.0 for c in found["cpus"])
