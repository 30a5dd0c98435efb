"""What the task ledger costs each background task (group `ledger`): the three recordings every
task gets (enqueue, start, finish), each alone and in a row (`lifecycle`), on a ledger already
at its steady size (full of finished tasks, so each new one evicts the oldest).

The single steps need a task in the right state before each call, made untimed by pedantic's
setup; their rounds are fixed (pedantic cannot calibrate) and each times one call, so they
include the timer's own ~0.1 µs that `lifecycle`, calibrated to many calls a round, does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from benchmarks.benchmark_api import Benchmark
from bgbench.ledger import TaskLedger, TaskStatus

pytestmark = pytest.mark.benchmark(group="ledger")

KEY = "background/sleep"
REQUEST_ID = "0123456789abcdef0123456789abcdef"
RETAIN = 1_000
STEP_ROUNDS = 20_000
STEP_WARMUP_ROUNDS = 1_000

TaskArgs = tuple[Sequence[str], dict[str, object]]


def _lifecycle(ledger: TaskLedger) -> str:
    task_id = ledger.enqueue(KEY, REQUEST_ID)
    ledger.start(task_id)
    ledger.finish(task_id)
    return task_id


def _counts(ledger: TaskLedger) -> dict[str, int]:
    counts = ledger.histograms()[KEY]
    return {name: int(counts[name]) for name in ("enqueued", "started", "completed", "not_run")}


@pytest.fixture
def ledger() -> TaskLedger:
    ledger = TaskLedger(retain_finished=RETAIN)
    for _ in range(RETAIN):
        _lifecycle(ledger)
    return ledger


def test_lifecycle(benchmark: Benchmark, ledger: TaskLedger) -> None:
    task_id = benchmark(_lifecycle, ledger)
    record = ledger.get(task_id)
    assert record is not None
    assert record.status is TaskStatus.DONE
    counts = _counts(ledger)
    assert counts["completed"] == counts["started"] == counts["enqueued"]


def test_enqueue(benchmark: Benchmark, ledger: TaskLedger) -> None:
    def skip_queued(*_: object) -> None:
        for record in ledger.unfinished():
            ledger.skip(record.id, "not run: the benchmark round is over")

    task_id = benchmark.pedantic(
        ledger.enqueue,
        args=(KEY, REQUEST_ID),
        teardown=skip_queued,
        rounds=STEP_ROUNDS,
        warmup_rounds=STEP_WARMUP_ROUNDS,
    )
    record = ledger.get(task_id)
    assert record is not None
    assert record.key == KEY


def test_start(benchmark: Benchmark, ledger: TaskLedger) -> None:
    def queued_task() -> TaskArgs:
        return (ledger.enqueue(KEY, REQUEST_ID),), {}

    benchmark.pedantic(
        ledger.start,
        setup=queued_task,
        teardown=ledger.finish,
        rounds=STEP_ROUNDS,
        warmup_rounds=STEP_WARMUP_ROUNDS,
    )
    counts = _counts(ledger)
    assert counts["started"] == counts["enqueued"]


def test_finish(benchmark: Benchmark, ledger: TaskLedger) -> None:
    def running_task() -> TaskArgs:
        task_id = ledger.enqueue(KEY, REQUEST_ID)
        ledger.start(task_id)
        return (task_id,), {}

    benchmark.pedantic(
        ledger.finish,
        setup=running_task,
        rounds=STEP_ROUNDS,
        warmup_rounds=STEP_WARMUP_ROUNDS,
    )
    counts = _counts(ledger)
    assert counts["completed"] == counts["enqueued"]
