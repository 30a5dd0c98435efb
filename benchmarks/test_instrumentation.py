"""What `bgbench.instrument` costs a background task (group `instrumentation`): one Starlette
`BackgroundTask` made and run, outside an instrumented request (`test_plain`: Starlette's own
cost, the hook passing through) and inside one (`test_instrumented`: the ledger's enqueue,
start and finish, the key made from the route and the function's name). The difference is the
instrumentation's cost per task; the bound the project holds it to is 10 µs.

The task is an empty `async def`, so that nothing but the recording is timed: its coroutine
finishes on its first step, driven here without an event loop (a loop's turn would dwarf it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.background import BackgroundTask

from benchmarks.benchmark_api import Benchmark
from bgbench.instrumentation import _CURRENT, _hook_background_tasks, _Request
from bgbench.ledger import TaskLedger

pytestmark = pytest.mark.benchmark(group="instrumentation")

RETAIN = 1_000  # a ledger at its steady size: each new task evicts the oldest


class _Route:
    path = "/signup"


async def send_welcome() -> None:
    return None


def _made_and_run() -> None:
    task = BackgroundTask(send_welcome)
    step = task()
    try:
        step.send(None)
    except StopIteration:
        return
    raise AssertionError("the task suspended: it was meant to finish on its first step")


@pytest.fixture
def ledger() -> Iterator[TaskLedger]:
    _hook_background_tasks()
    ledger = TaskLedger(retain_finished=RETAIN)
    token = _CURRENT.set(_Request(ledger, {"route": _Route()}, "r1"))
    for _ in range(RETAIN):  # steady size
        _made_and_run()
    yield ledger
    _CURRENT.reset(token)


def test_plain(benchmark: Benchmark) -> None:
    _hook_background_tasks()
    assert _CURRENT.get() is None
    benchmark(_made_and_run)


def test_instrumented(benchmark: Benchmark, ledger: TaskLedger) -> None:
    before = ledger.summary()["/signup/send_welcome"]["completed"]
    benchmark(_made_and_run)
    after = ledger.summary()["/signup/send_welcome"]
    assert after["completed"] > before  # every call recorded...
    assert after["enqueued"] == after["completed"]  # ...from enqueue to finish
