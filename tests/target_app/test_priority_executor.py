from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from target_app.priority_executor import ExecutorQueueFull, Priority, PriorityBoundedExecutor


class Gate:
    """Work that blocks until released, and reports when it has started."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def __call__(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.started.release()
        self.release.wait(10)
        with self.lock:
            self.running -= 1


def test_never_runs_more_than_max_workers_at_once() -> None:
    executor = PriorityBoundedExecutor(max_workers=3)
    gate = Gate()
    futures = [executor.submit(gate) for _ in range(10)]
    for _ in range(3):
        assert gate.started.acquire(timeout=10)
    assert not gate.started.acquire(timeout=0.2)  # the 4th is queued, not running
    assert executor.queue_depth == 7
    gate.release.set()
    for future in futures:
        future.result(timeout=10)
    assert gate.peak == 3
    executor.shutdown()


def test_a_full_bounded_queue_refuses_work() -> None:
    executor = PriorityBoundedExecutor(max_workers=1, queue_limit=2)
    gate = Gate()
    running = executor.submit(gate)
    assert gate.started.acquire(timeout=10)
    queued = [executor.submit(gate), executor.submit(gate)]
    with pytest.raises(ExecutorQueueFull, match="2 tasks waiting"):
        executor.submit(gate)
    gate.release.set()
    for future in [running, *queued]:
        future.result(timeout=10)
    executor.shutdown()


def test_queued_higher_priority_work_starts_first() -> None:
    executor = PriorityBoundedExecutor(max_workers=1)
    gate = Gate()
    executor.submit(gate)
    assert gate.started.acquire(timeout=10)
    order: list[str] = []
    names = [("low", Priority.LOW), ("normal", Priority.NORMAL), ("high", Priority.HIGH)]
    names += [("low2", Priority.LOW), ("high2", Priority.HIGH)]
    futures = [
        executor.submit_with_priority(priority, order.append, name) for name, priority in names
    ]
    gate.release.set()
    for future in futures:
        future.result(timeout=10)
    assert order == ["high", "high2", "normal", "low", "low2"]
    executor.shutdown()


def test_exceptions_land_in_the_future() -> None:
    executor = PriorityBoundedExecutor(max_workers=1)

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        executor.submit(boom).result(timeout=10)
    executor.shutdown()


def test_shutdown_with_cancel_futures_cancels_what_is_queued() -> None:
    executor = PriorityBoundedExecutor(max_workers=1)
    gate = Gate()
    running = executor.submit(gate)
    assert gate.started.acquire(timeout=10)
    queued: list[Future[Any]] = [executor.submit(gate) for _ in range(3)]
    cancelled: list[Future[Any]] = []
    for future in queued:
        future.add_done_callback(cancelled.append)
    executor.shutdown(wait=False, cancel_futures=True)
    assert all(future.cancelled() for future in queued)
    assert cancelled == queued
    gate.release.set()
    running.result(timeout=10)
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(gate)


def test_shutdown_without_cancel_runs_what_is_queued() -> None:
    executor = PriorityBoundedExecutor(max_workers=2)
    done: list[int] = []
    for number in range(20):
        executor.submit(done.append, number)
    executor.shutdown(wait=True)
    assert sorted(done) == list(range(20))


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PriorityBoundedExecutor(max_workers=0)
