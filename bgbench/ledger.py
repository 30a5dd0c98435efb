"""The task ledger: what every background task did after the response was sent.

Each task is recorded at enqueue, start and finish (or as failed, or as never run), with
wall-clock timestamps so that work finished in another process (a process pool, a Celery
worker) lands on the same clock. Per "<strategy>/<workload>" key it keeps counters and HDR
histograms of queue wait, run time and completion lag, twice: since start-up, and since the
last window was taken (the sweep reads one window a second for its time series).

Invariant: enqueued == completed + failed + not_run + in_flight, always, per key.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hdrh.histogram import HdrHistogram

from bgbench import hdr

log = logging.getLogger("bgbench.tasks")

TIMINGS = ("queue_wait_us", "run_time_us", "completion_lag_us")
COUNTERS = ("enqueued", "started", "completed", "failed", "not_run", "rejected")


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NOT_RUN = "not_run"


FINAL = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.NOT_RUN})


@dataclass(slots=True)
class TaskRecord:
    id: str
    key: str
    request_id: str
    enqueued_at: float
    status: TaskStatus = TaskStatus.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    result: Any = None
    error: str | None = None
    next_in_chain: str | None = None
    attempts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "request_id": self.request_id,
            "status": self.status.value,
            "enqueued_at": self.enqueued_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.result,
            "error": self.error,
            "attempts": self.attempts,
        }


@dataclass(slots=True)
class _Counts:
    enqueued: int = 0
    started: int = 0
    completed: int = 0
    failed: int = 0
    not_run: int = 0
    rejected: int = 0  # the part of not_run refused at the door (a full queue: 503)
    timings: dict[str, HdrHistogram] = field(
        default_factory=lambda: {name: hdr.new_histogram() for name in TIMINGS}
    )

    @property
    def in_flight(self) -> int:
        return self.enqueued - self.completed - self.failed - self.not_run


class UnknownTask(KeyError):
    pass


class TaskLedger:
    def __init__(self, retain_finished: int = 100_000) -> None:
        # A condition, not just a lock: shutdown waits on it for the last task to end.
        self._lock = threading.Condition()
        self._active: dict[str, TaskRecord] = {}
        self._finished: OrderedDict[str, TaskRecord] = OrderedDict()
        self._retain = retain_finished
        self._total: dict[str, _Counts] = {}
        self._window: dict[str, _Counts] = {}
        self._window_started_at = time.time()
        self.redelivered = 0  # a task that started again, running or ended (at least once)
        self._id_prefix, self._ids = uuid.uuid4().hex[:16], itertools.count()

    # -- recording ------------------------------------------------------------------------

    def _new_id(self) -> str:
        # 32 hex digits, unique across processes (a random half) and in this one (a count):
        # a tenth of uuid4's cost, paid by every task.
        return f"{self._id_prefix}{next(self._ids):016x}"

    def enqueue(self, key: str, request_id: str) -> str:
        return self.enqueue_chain(key, request_id, 1)[0]

    def enqueue_chain(self, key: str, request_id: str, count: int) -> list[str]:
        """Ids for `count` tasks that run in this order; a failure that stops the chain marks
        the rest as not run (see `fail`)."""
        now = time.time()
        records = [TaskRecord(self._new_id(), key, request_id, now) for _ in range(count)]
        for before, after in itertools.pairwise(records):
            before.next_in_chain = after.id
        with self._lock:
            for record in records:
                self._active[record.id] = record
            for counts in self._counts(key):
                counts.enqueued += count
        return [record.id for record in records]

    def start(self, task_id: str, at: float | None = None) -> None:
        at = time.time() if at is None else at
        with self._lock:
            record = self._find(task_id)
            record.attempts += 1
            if record.status is TaskStatus.RUNNING:
                # Delivered again after its worker died: at-least-once, not a new task.
                self.redelivered += 1
                log.warning("task %s started again (attempt %d)", task_id, record.attempts)
                record.started_at = at
                return
            if record.status in (TaskStatus.DONE, TaskStatus.FAILED):
                # Delivered again after it ended (its ack was lost with the broker's
                # connection): at least once, so it runs twice; still one task started, and
                # its end is the second run's.
                self.redelivered += 1
                log.warning("task %s started again after it ended %s", task_id, record.status)
                self._unfinish(record)
                record.status = TaskStatus.RUNNING
                record.started_at = at
                return
            if record.status is not TaskStatus.QUEUED:
                log.error("task %s started while %s; recording it anyway", task_id, record.status)
                self._unfinish(record)
            record.status = TaskStatus.RUNNING
            record.started_at = at
            for counts in self._counts(record.key):
                counts.started += 1
            wait_us = (at - record.enqueued_at) * 1e6
            hdr.record_us(self._timings(record.key)["queue_wait_us"], wait_us)

    def finish(self, task_id: str, result: Any = None, at: float | None = None) -> None:
        self._end(task_id, TaskStatus.DONE, at, result=result)

    def fail(
        self, task_id: str, error: str, at: float | None = None, *, stops_chain: bool = False
    ) -> None:
        """Record a failure. `stops_chain`: the exception escaped into Starlette's
        BackgroundTasks, which then runs none of the tasks after this one."""
        self._end(task_id, TaskStatus.FAILED, at, error=error)
        if not stops_chain:
            return
        with self._lock:
            record = self._find(task_id)
            next_id = record.next_in_chain
        while next_id is not None:
            reason = f"not run: task {task_id} before it in the same BackgroundTasks raised"
            self.skip(next_id, reason)
            with self._lock:
                next_id = self._find(next_id).next_in_chain

    def skip(self, task_id: str, reason: str) -> None:
        """The task will never run (chain stopped, queue dropped at shutdown, ...)."""
        self._end(task_id, TaskStatus.NOT_RUN, None, error=reason)

    def reject(self, task_id: str, reason: str) -> None:
        """Refused before it could be queued (a bounded queue was full): not run, and
        counted as rejected too."""
        self.skip(task_id, reason)
        with self._lock:
            for counts in self._counts(self._find(task_id).key):
                counts.rejected += 1

    def _end(
        self,
        task_id: str,
        status: TaskStatus,
        at: float | None,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        at = time.time() if at is None else at
        with self._lock:
            record = self._find(task_id)
            if record.status in FINAL:
                log.error("task %s already %s, now %s: ignored", task_id, record.status, status)
                return
            ran = record.status is TaskStatus.RUNNING
            record.status = status
            record.finished_at = at
            record.result = result
            record.error = error
            del self._active[task_id]
            if not self._active:
                self._lock.notify_all()
            self._finished[task_id] = record
            if len(self._finished) > self._retain:
                self._finished.popitem(last=False)
            for counts in self._counts(record.key):
                if status is TaskStatus.DONE:
                    counts.completed += 1
                elif status is TaskStatus.FAILED:
                    counts.failed += 1
                else:
                    counts.not_run += 1
            if ran and record.started_at is not None:
                timings = self._timings(record.key)
                hdr.record_us(timings["run_time_us"], (at - record.started_at) * 1e6)
                hdr.record_us(timings["completion_lag_us"], (at - record.enqueued_at) * 1e6)

    def _unfinish(self, record: TaskRecord) -> None:
        # A queue's task delivered again after it ended, or (only if Starlette one day
        # runs a task we recorded as not run) a background task.
        if record.status in FINAL:
            self._finished.pop(record.id, None)
            self._active[record.id] = record
            for counts in self._counts(record.key):
                if record.status is TaskStatus.NOT_RUN:
                    counts.not_run -= 1
                elif record.status is TaskStatus.FAILED:
                    counts.failed -= 1
                else:
                    counts.completed -= 1

    def _find(self, task_id: str) -> TaskRecord:
        record = self._active.get(task_id) or self._finished.get(task_id)
        if record is None:
            raise UnknownTask(task_id)
        return record

    def _timings(self, key: str) -> dict[str, HdrHistogram]:
        """Where a task's timings are recorded: the window's histograms only. Each is folded
        into the totals when its window is taken (`take_window`), and a reading of the totals
        adds the current window's: one record a timing, not two."""
        counts = self._window.get(key)
        if counts is None:
            counts = self._window[key] = _Counts()
        return counts.timings

    def _counts(self, key: str) -> tuple[_Counts, _Counts]:
        """A key's counters since start-up and in this window (a tuple: every task asks)."""
        total, window = self._total.get(key), self._window.get(key)
        if total is None:
            total = self._total[key] = _Counts()
        if window is None:
            window = self._window[key] = _Counts()
        return total, window

    # -- reading --------------------------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord | None:
        with self._lock:
            return self._active.get(task_id) or self._finished.get(task_id)

    def status_of(self, task_id: str) -> TaskStatus | None:
        """None once the task has aged out of the finished records."""
        record = self.get(task_id)
        return record.status if record else None

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._active)

    def wait_until_idle(self, timeout_s: float) -> bool:
        """Block until no task is queued or running; False if the timeout came first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._active, timeout_s)

    def unfinished(self) -> list[TaskRecord]:
        with self._lock:
            return list(self._active.values())

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per key: the counters and the percentile summary of each timing, since start-up."""
        with self._lock:
            return {
                key: _describe(counts, self._since_start(key), encoded=False)
                for key, counts in self._total.items()
            }

    def histograms(self) -> dict[str, dict[str, Any]]:
        """Per key: the counters and the lossless encoded histograms, since start-up."""
        with self._lock:
            return {
                key: _describe(counts, self._since_start(key), encoded=True)
                for key, counts in self._total.items()
            }

    def _since_start(self, key: str) -> dict[str, HdrHistogram]:
        """A key's timings since start-up: the folded windows' and the current one's."""
        folded, current = self._total[key].timings, self._window.get(key)
        if current is None:
            return folded
        merged = {name: hdr.new_histogram() for name in TIMINGS}
        for name, histogram in merged.items():
            histogram.add(folded[name])
            histogram.add(current.timings[name])
        return merged

    def take_window(self) -> dict[str, Any]:
        """Everything recorded since the previous call, then start a new window."""
        now = time.time()
        with self._lock:
            window, self._window = self._window, {}
            started, self._window_started_at = self._window_started_at, now
            for key, counts in window.items():  # about 30 µs a histogram
                for name, histogram in counts.timings.items():
                    self._total[key].timings[name].add(histogram)
        # Encoding is slow-ish (about 1 ms a histogram): done outside the lock.
        return {
            "since": started,
            "until": now,
            "tasks": {
                key: _describe(counts, counts.timings, encoded=True)
                for key, counts in window.items()
            },
        }


def _describe(
    counts: _Counts, timings: dict[str, HdrHistogram], *, encoded: bool
) -> dict[str, Any]:
    described: dict[str, Any] = {name: getattr(counts, name) for name in COUNTERS}
    described["in_flight"] = counts.in_flight
    for name, histogram in timings.items():
        described[name] = hdr.encode(histogram) if encoded else hdr.summarize(histogram)
    return described


def totals(tasks: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Every key's counters summed, from a `TaskLedger.summary()`."""
    summed = {name: sum(int(t[name]) for t in tasks.values()) for name in COUNTERS}
    summed["in_flight"] = sum(int(t["in_flight"]) for t in tasks.values())
    return summed
