"""A thread pool with the guide's `max_workers`, plus the two things its ThreadPoolExecutor
lacks: a bound on the queue (so overload is refused, not buffered without limit) and
priorities (a queued higher-priority task always starts before a queued lower one).

It is a `concurrent.futures.Executor`, so code written for ThreadPoolExecutor keeps working.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Priority(IntEnum):
    HIGH = 0
    NORMAL = 1
    LOW = 2


class ExecutorQueueFull(RuntimeError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"executor queue is full ({limit} tasks waiting)")
        self.limit = limit


@dataclass(order=True, slots=True)
class _WorkItem:
    priority: int
    sequence: int
    future: Future[Any] = field(compare=False)
    run: Callable[[], Any] = field(compare=False)


class PriorityBoundedExecutor(Executor):
    def __init__(self, max_workers: int, queue_limit: int = 0, name: str = "executor") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.queue_limit = queue_limit
        self._name = name
        self._queue: list[_WorkItem] = []
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._running = 0
        self._shutdown = False

    def submit(
        self,
        fn: Callable[P, T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Future[T]:
        return self.submit_with_priority(Priority.NORMAL, fn, *args, **kwargs)

    def submit_with_priority(
        self, priority: Priority, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        future: Future[T] = Future()
        item = _WorkItem(priority, next(self._sequence), future, lambda: fn(*args, **kwargs))
        with self._condition:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            if self.queue_limit and len(self._queue) >= self.queue_limit:
                raise ExecutorQueueFull(self.queue_limit)
            heapq.heappush(self._queue, item)
            # Enough threads for what is queued, up to max_workers (an idle thread that has
            # been notified but not yet woken still counts as idle).
            if len(self._queue) > self._idle and len(self._threads) < self.max_workers:
                self._start_thread()
            self._condition.notify()
        return future

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
        )
        # Daemon: after the drain timeout the process must be able to exit even while a task
        # still runs; the app records such tasks as unfinished instead of hanging forever.
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            with self._condition:
                self._idle += 1
                while not self._queue and not self._shutdown:
                    self._condition.wait()
                self._idle -= 1
                if not self._queue:
                    return
                item = heapq.heappop(self._queue)
                self._running += 1
            try:
                if item.future.set_running_or_notify_cancel():
                    try:
                        item.future.set_result(item.run())
                    except BaseException as exc:
                        item.future.set_exception(exc)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    @property
    def queue_depth(self) -> int:
        with self._condition:
            return len(self._queue)

    @property
    def running(self) -> int:
        with self._condition:
            return self._running

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._condition:
            self._shutdown = True
            dropped = self._queue if cancel_futures else []
            if cancel_futures:
                self._queue = []
            self._condition.notify_all()
        for item in dropped:
            item.future.cancel()  # fires the future's callbacks: the app records "not run"
        if wait:
            for thread in self._threads:
                thread.join()
