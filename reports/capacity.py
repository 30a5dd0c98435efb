"""How much work a strategy can finish per second, in theory and as measured, and whether its
backlog grew: the numbers behind "backlog grows without bound".

In theory a strategy with k slots that each run one task of `ms` milliseconds at a time
finishes k / ms tasks a second; offered λ tasks a second, its backlog grows by λ − k/ms
when that is positive (queueing theory's utilisation above 1), whatever the arrivals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bgbench.contract import THREADPOOL_TOKENS
from bgbench.queues import facts
from bgbench.results.model import CellParams
from reports import analysis
from reports.analysis import Point
from reports.stats import Interval, enough, mean_interval, slope_interval

# A backlog "grows" when its slope is significantly above zero and at least this share of the
# offered rate (a steady backlog wanders by a few tasks; Poisson arrivals come in bursts).
GROWTH_SHARE = 0.02
MIN_GROWTH = 1.0  # tasks/s


@dataclass(frozen=True, slots=True)
class Theory:
    slots: int  # tasks that can run at once
    per_second: float  # k / ms: tasks finished per second, at most
    why: str  # the slots, in words: "1 worker", "the event loop"


def _slots(params: CellParams, server_cores: int) -> tuple[int, str] | None:  # noqa: PLR0911
    cpu = params.workload == "cpu"
    workers = params.workers or 0
    tokens = int(params.raw.get("threadpool_tokens") or THREADPOOL_TOKENS)
    queue = facts(params.strategy)
    # A queue's knob counts processes, threads or async slots (bgbench.queues).
    strategy = "process_pool" if queue and queue.slots == "processes" else params.strategy
    if queue is not None and queue.slots != "processes":
        if cpu:
            return 1, "one process (the GIL)" if queue.slots == "threads" else "the event loop"
        return workers, _workers(workers)
    match strategy:
        case "executor":
            # Threads: CPU work in Python holds the GIL, so one runs at a time.
            return (1, "the GIL (Python threads)") if cpu else (workers, _workers(workers))
        case "process_pool":
            # Processes: CPU work is bound by the cores they may use (the server's).
            if cpu and workers > server_cores:
                return server_cores, f"{server_cores} server core{'s' * (server_cores > 1)}"
            return workers, _workers(workers)
        case "background":
            return (1, "the GIL (thread pool)") if cpu else (tokens, f"{tokens} thread-pool tokens")
        case "background_blocking":
            return 1, "the event loop, blocked by each task"
        case "background_async" if cpu:
            return 1, "the event loop"
    return None


def _workers(n: int) -> str:
    return f"{n} worker{'s' * (n != 1)}"


def theory(point: Point) -> Theory | None:
    """k / ms for the strategies whose slots are known; None where none bounds them (async
    sleeps) or the work has no fixed duration."""
    params = point.params
    if params.ms <= 0 or params.strategy in analysis.CONTROLS:
        return None
    cores = [len(c.pinning.get("server_cpus") or ()) for c in point.cells]
    found = _slots(params, max(min(cores, default=0), 1))
    if found is None or found[0] <= 0:
        return None
    slots, why = found
    return Theory(slots, slots / (params.ms / 1000), why)


def offered_tasks(point: Point) -> float | None:
    """Tasks offered per second: the request rate (open model) times tasks per request."""
    if point.params.model != "open" or point.params.rate is None:
        return None
    tasks = int(point.params.raw.get("tasks") or 1) if point.params.strategy == "chained" else 1
    return point.params.rate * tasks


def growth(point: Point) -> Interval | None:
    """The backlog's (queued + running tasks) least-squares slope over the loaded seconds of
    the trusted cells, in tasks per second."""
    t_parts, y_parts = [], []
    for cell in point.trusted:
        series = cell.timeseries
        if series is None or not series.has("backlog"):
            continue
        t, backlog, offered = (series.columns[c] for c in ("t_s", "backlog", "offered_rps"))
        keep = ~np.isnan(backlog) & (offered != 0)
        t_parts.append(t[keep])
        y_parts.append(backlog[keep])
    if not t_parts:
        return None
    t, y = np.concatenate(t_parts), np.concatenate(y_parts)
    if not enough(t) or len(np.unique(t)) < 2:
        return None
    return slope_interval(t, y)


def grows(change: Interval | None, offered: float | None) -> bool:
    if change is None or not change.significant or change.estimate <= 0:
        return False
    return change.estimate >= max(MIN_GROWTH, GROWTH_SHARE * (offered or 0))


def completed_per_second(point: Point) -> Interval | None:
    """Tasks finished per loaded second: the measured capacity where the backlog grew."""
    done = analysis.per_second(point.trusted, "tasks_completed", loaded_only=True)
    return mean_interval(done) if enough(done) else None


def bounded_wait_s(theory: Theory, queue_limit: int, ms: float) -> float:
    """The longest a task waits and runs behind a full queue of `queue_limit`: every queued
    task ahead of it, `slots` at a time, then its own run."""
    return (math.ceil(queue_limit / theory.slots) + 1) * ms / 1000
