"""The baseline scenario on a load generator that freezes for 200 ms twice a second, as a
saturated CPU or a long GC pause would: the requests due meanwhile go out late. Used by
test_open_model.py (`locust -f tests/loadtests/support/pausing_baseline.py`)."""

from __future__ import annotations

import time
from typing import Any

import gevent
from locust import events

from loadtests.baseline import Baseline

__all__ = ["Baseline"]  # the user Locust runs

PAUSE_S = 0.2
EVERY_S = 0.5


def freeze_now_and_then() -> None:
    while True:
        gevent.sleep(EVERY_S - PAUSE_S)
        until = time.perf_counter() + PAUSE_S
        while time.perf_counter() < until:  # busy, without yielding: no greenlet runs
            pass


def _freeze(**_: Any) -> None:
    gevent.spawn(freeze_now_and_then)


events.test_start.add_listener(_freeze)  # type: ignore[no-untyped-call]  # Locust's is unannotated
