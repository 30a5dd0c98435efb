"""The cost of handing one task off at request time (group `handoff`), whatever runs it later.

Every path hands off the same trivial task, `next(counter)`, so the table compares only the
mechanisms: Starlette's BackgroundTasks (a fresh one per call, as each request gets one), the
guide's ThreadPoolExecutor and the app's PriorityBoundedExecutor at 1, 5 and 40 workers, and the
bounded queue both accepting and refusing (the 503 path).

Each round hands off one task to a pool whose threads are all started and idle, as in an app
between requests: the time includes waking a worker. Before the next round, untimed, the task
must have run, so the queue never grows (in a tight loop of submits the workers, starved of the
GIL, fall behind, and every submit then pays for a longer and longer queue). Idle, a pool of 40
costs a submit no more than a pool of 1: `max_workers` shows under load, in the load tests.
Every benchmark checks afterwards that each task handed off ran, or was refused.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import pytest
from starlette.background import BackgroundTasks

from benchmarks.benchmark_api import Benchmark
from target_app.priority_executor import ExecutorQueueFull, PriorityBoundedExecutor

pytestmark = pytest.mark.benchmark(group="handoff")

WORKERS = [1, 5, 40]
# pedantic's rounds are fixed; one call each, ~3 µs plus the timer's own ~0.1 µs.
ROUNDS = 10_000
WARMUP_ROUNDS = 500
WAIT_S = 10.0


class Handoffs:
    """The trivial task, and a count of how often it was handed off and how often it ran."""

    def __init__(self) -> None:
        self.ran = itertools.count()
        self.handed_off = 0
        self.last: Future[None] | None = None

    def task(self) -> None:
        next(self.ran)

    def add_to_background_tasks(self) -> BackgroundTasks:
        self.handed_off += 1
        tasks = BackgroundTasks()
        tasks.add_task(self.task)
        return tasks

    def submit_to(self, executor: Executor) -> Callable[[], Future[None]]:
        def submit() -> Future[None]:
            self.handed_off += 1
            self.last = executor.submit(self.task)
            return self.last

        return submit

    def wait_for_the_last(self) -> None:
        if self.last is not None:
            self.last.result(WAIT_S)

    def assert_all_ran(self) -> None:
        assert next(self.ran) == self.handed_off > 0


def _pedantic(benchmark: Benchmark, target: Callable[[], object], handoffs: Handoffs) -> object:
    return benchmark.pedantic(
        target, setup=handoffs.wait_for_the_last, rounds=ROUNDS, warmup_rounds=WARMUP_ROUNDS
    )


def test_add_task(benchmark: Benchmark) -> None:
    handoffs = Handoffs()
    tasks = _pedantic(benchmark, handoffs.add_to_background_tasks, handoffs)
    assert isinstance(tasks, BackgroundTasks)
    assert [task.func for task in tasks.tasks] == [handoffs.task]


def _start_every_worker(executor: Executor, workers: int) -> None:
    # As in an app that has been up a while: no round pays for starting a thread.
    all_running = threading.Barrier(workers + 1)
    for _ in range(workers):
        executor.submit(all_running.wait)
    all_running.wait(WAIT_S)


def _benchmark_submit(benchmark: Benchmark, executor: Executor, workers: int) -> None:
    handoffs = Handoffs()
    with executor:  # shuts down at the end, waiting for every queued task
        _start_every_worker(executor, workers)
        _pedantic(benchmark, handoffs.submit_to(executor), handoffs)
    handoffs.assert_all_ran()


@pytest.mark.parametrize("workers", WORKERS, ids=lambda n: f"w{n}")
def test_thread_pool_submit(benchmark: Benchmark, workers: int) -> None:
    _benchmark_submit(benchmark, ThreadPoolExecutor(workers), workers)


@pytest.mark.parametrize("workers", WORKERS, ids=lambda n: f"w{n}")
def test_priority_bounded_submit(benchmark: Benchmark, workers: int) -> None:
    _benchmark_submit(benchmark, PriorityBoundedExecutor(workers), workers)


def test_bounded_queue_submit(benchmark: Benchmark) -> None:
    _benchmark_submit(benchmark, PriorityBoundedExecutor(5, queue_limit=100), 5)


@pytest.fixture
def full_queue() -> Iterator[PriorityBoundedExecutor]:
    """One worker held busy and a queue of one, filled: every submit is refused."""
    executor = PriorityBoundedExecutor(1, queue_limit=1)
    release = threading.Event()
    executor.submit(release.wait)
    while executor.running == 0:  # until the worker has taken it off the queue
        time.sleep(0.001)
    executor.submit(release.wait)
    yield executor
    release.set()
    executor.shutdown(wait=True)


def test_bounded_queue_refuse(benchmark: Benchmark, full_queue: PriorityBoundedExecutor) -> None:
    handoffs = Handoffs()
    submit = handoffs.submit_to(full_queue)

    def refuse() -> ExecutorQueueFull:
        try:
            submit()
        except ExecutorQueueFull as full:
            return full
        raise AssertionError("a full queue accepted a task")

    assert isinstance(_pedantic(benchmark, refuse, handoffs), ExecutorQueueFull)
    assert next(handoffs.ran) == 0
