"""The trust rules on their own: each flag's threshold, at the edge where it starts."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from bgbench import trust
from bgbench.results.model import (
    Cell,
    ClientMetrics,
    LoadGen,
    LocustWorker,
    QueueWorker,
    Summary,
    TimeSeries,
)
from bgbench.results.reader import load_run
from tests.reports.conftest import GOLDEN_RUN


def _summary(p50: float, p99: float) -> Summary:
    return Summary(count=1000, p50=p50, p90=p99, p99=p99, p99_9=p99, max=p99, mean=p50)


CLIENT = ClientMetrics(
    requests=10_000,
    failures=0,
    dropped=0,
    unfinished=0,
    incomplete_workers=0,
    offered_rps=1000.0,
    scheduled_rps=1000.0,
    achieved_rps=1000.0,
    duration_s=10.0,
    latency=_summary(800, 2000),
    latency_corrected=_summary(900, 2500),
    send_lag=_summary(100, 400),
    probe=None,
    locust=None,
)


@pytest.mark.parametrize(
    ("p50_us", "lag_p99_us", "late"),
    [
        (800, 1000, False),  # the 1 ms floor: at most 1 ms late is on time
        (800, 1001, True),
        (50_000, 5000, False),  # a slow route: 10% of its p50 is the bound
        (50_000, 5001, True),
    ],
)
def test_send_lag_bound_is_1_ms_or_a_tenth_of_the_median(
    p50_us: float, lag_p99_us: float, late: bool
) -> None:
    client = replace(CLIENT, latency=_summary(p50_us, p50_us), send_lag=_summary(1, lag_p99_us))
    assert (trust.lateness(client) is not None) == late


def test_closed_model_has_no_send_lag_to_judge() -> None:
    assert trust.lateness(replace(CLIENT, send_lag=None, offered_rps=None)) is None


@pytest.mark.parametrize("arrival", ["constant", "poisson"])
def test_the_offered_rate_allows_for_the_arrivals_own_spread(arrival: str) -> None:
    expected = 10_000
    allowed = 3 * math.sqrt(expected) if arrival == "poisson" else 0.01 * expected + 1
    just_inside = replace(CLIENT, requests=math.ceil(expected - allowed))
    just_outside = replace(CLIENT, requests=math.floor(expected - allowed) - 1)
    assert trust.offered_shortfall(just_inside, arrival) is None
    assert trust.offered_shortfall(just_outside, arrival) is not None


def test_unanswered_and_dropped_requests_were_still_sent_on_schedule() -> None:
    # A slow server leaves requests unanswered; the schedule kept up all the same.
    client = replace(CLIENT, requests=9000, unfinished=600, dropped=400)
    assert trust.offered_shortfall(client, "constant") is None


def _loadgen(cpu: float | None, worker_cpu: float | None = None) -> LoadGen:
    workers = () if worker_cpu is None else (LocustWorker("w1", 5000, None, worker_cpu, 99.0),)
    return LoadGen(cpu, cpu, processes=1, cores=1, locust_workers=workers)


@pytest.mark.parametrize(
    ("cpu", "saturated"),
    [(None, False), (89.9, False), (90.0, False), (90.1, True), (100.0, True)],
)
def test_the_load_generators_cpu_saturates_it_above_90_percent(
    cpu: float | None, saturated: bool
) -> None:
    reasons = trust.saturation(CLIENT, _loadgen(cpu), "constant")
    assert bool(reasons) == saturated
    if saturated:
        assert reasons == [f"load generator CPU {cpu:.0f}% of its 1 core(s), above 90%"]


@pytest.mark.parametrize(("cpu", "saturated"), [(90.0, False), (90.1, True)])
def test_one_busy_locust_worker_saturates_the_cell(cpu: float, saturated: bool) -> None:
    # The processes together well below the limit; one worker at its own core's.
    reasons = trust.saturation(CLIENT, _loadgen(40.0, worker_cpu=cpu), "constant")
    assert bool(reasons) == saturated
    if saturated:
        assert reasons[0].startswith("Locust worker w1: CPU 90% of its core")


@pytest.mark.parametrize(
    ("achieved", "saturated"),
    [(1000.0, False), (950.0, False), (949.9, True), (500.0, True)],
)
def test_answers_short_of_95_percent_of_the_schedule_saturate(
    achieved: float, saturated: bool
) -> None:
    # The schedule itself kept up (all 10,000 sent, some unanswered): only the answers fell short.
    unanswered = round((1000.0 - achieved) * CLIENT.duration_s)
    client = replace(
        CLIENT, achieved_rps=achieved, requests=10_000 - unanswered, unfinished=unanswered
    )
    reasons = trust.saturation(client, _loadgen(50.0), "constant")
    assert bool(reasons) == saturated
    if saturated:
        assert reasons == [
            f"{achieved:g} req/s answered of 1000 scheduled ({achieved / 1000:.0%}, under 95%)"
        ]


def test_a_closed_model_has_no_schedule_to_fall_short_of() -> None:
    closed = replace(CLIENT, offered_rps=None, scheduled_rps=None, achieved_rps=10.0)
    assert trust.saturation(closed, _loadgen(50.0), "constant") == []


def _queue_cell(exit_code: int | None) -> Cell:
    cell = next(c for c in load_run(GOLDEN_RUN).cells if c.params.strategy == "queue" and c.server)
    assert cell.server is not None
    assert cell.accounting is not None
    worker = QueueWorker(
        "celery", "redis", 2, "prefork processes", exit_code, 2.2 if exit_code else None
    )
    counts = replace(cell.accounting, enqueued=139, completed=24, failed=4, not_run=111, lost=0)
    unjudged = replace(cell, server=replace(cell.server, queue_worker=worker), accounting=counts)
    return trust.judged(unjudged, None)


def test_a_dead_queue_worker_flags_the_cell_with_what_it_left_undone() -> None:
    cell = _queue_cell(-9)
    assert cell.status == "ok"
    assert "worker_died" in cell.flags
    assert cell.flag_reasons["worker_died"] == (
        "the celery worker's main process exited with code -9 2.2 s after the load began: of "
        "139 tasks enqueued, 24 completed, 4 failed, 111 never ran and 0 were lost"
    )
    # Untrusted, and a breakage rather than a doubt about the measurement: `compare` calls it.
    assert any(p.startswith("worker_died (") for p in trust.problems(cell))
    assert not trust.measurement_only(cell)


def test_a_broker_that_lost_tasks_flags_the_cell_with_its_count() -> None:
    cell = next(c for c in load_run(GOLDEN_RUN).cells if c.params.strategy == "queue" and c.server)
    assert cell.server is not None
    assert cell.accounting is not None
    worker = QueueWorker(
        "celery", "redis", 1, "prefork processes", None, None, held_at_stop=7, started_after_drain=3
    )
    counts = replace(
        cell.accounting, enqueued=139, completed=90, failed=0, not_run=10, lost_in_broker=39
    )
    unjudged = replace(cell, server=replace(cell.server, queue_worker=worker), accounting=counts)
    judged = trust.judged(unjudged, None)
    assert judged.status == "ok"
    assert judged.flag_reasons["broker_lost"] == (
        "39 of the 139 tasks enqueued never started and were gone from the redis broker once "
        "the celery worker stopped (it still held 7 of the cell's jobs, and the worker had "
        "started 3 after the app's drain): lost with the broker's data, or dropped by the "
        "worker as it stopped"
    )
    assert any(p.startswith("broker_lost (") for p in trust.problems(judged))
    assert "broker_lost" not in _queue_cell(None).flags  # counted, and none lost: no flag


def test_a_worker_that_ran_to_the_end_is_not_flagged() -> None:
    assert "worker_died" not in _queue_cell(None).flags


def _stalling(completed: list[int], backlog: list[int], exit_code: int | None = None) -> Cell:
    """The golden run's first queue cell (200 ms tasks or not: its ms is set here) with a
    worker alive or dead and a time series of these seconds."""
    cell = next(c for c in load_run(GOLDEN_RUN).cells if c.params.strategy == "queue" and c.server)
    assert cell.server is not None
    worker = QueueWorker("celery", "redis", 1, "prefork processes", exit_code, None)
    rows = [
        {"t_s": t, "tasks_completed": done, "backlog": waiting}
        for t, (done, waiting) in enumerate(zip(completed, backlog, strict=True))
    ]
    return replace(
        cell,
        params=replace(cell.params, ms=200.0),
        server=replace(cell.server, queue_worker=worker),
        timeseries=TimeSeries.from_rows(rows),
    )


def test_a_live_worker_that_finishes_nothing_with_work_in_flight_has_stalled() -> None:
    # Working for 3 s, then 7 s with 40 and more waiting and nothing finished.
    cell = _stalling([5, 5, 5, 0, 0, 0, 0, 0, 0, 0], [2, 3, 2, 40, 45, 50, 55, 60, 65, 70])
    assert trust.worker_stalled(cell) == (
        "the celery worker was alive but finished no task for 7 s (from 3 s to 10 s of the "
        "measured phase) while up to 70 tasks were in flight: hung, stopped, or cut off from "
        "its broker"
    )
    judged = trust.judged(cell, None)
    assert "worker_stalled" in judged.flags
    assert any(p.startswith("worker_stalled (") for p in trust.problems(judged))


@pytest.mark.parametrize(
    ("completed", "backlog", "exit_code"),
    [
        # Idle: nothing to do is not a stall.
        ([0] * 10, [0] * 10, None),
        # 5 s without a finish: procrastinate's polling after a PostgreSQL restart, slow.
        ([5, 0, 0, 0, 0, 0, 5, 5, 5, 5], [9] * 10, None),
        # A finish every few seconds breaks the stretch.
        ([0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [9] * 10, None),
        # Dead, not stalled: `worker_died` says what it left.
        ([5, 0, 0, 0, 0, 0, 0, 0, 0, 0], [9] * 10, -9),
    ],
    ids=["idle", "slow", "finishing", "dead"],
)
def test_what_is_not_a_stall(
    completed: list[int], backlog: list[int], exit_code: int | None
) -> None:
    assert trust.worker_stalled(_stalling(completed, backlog, exit_code)) is None


def test_long_tasks_stretch_the_stall_limit() -> None:
    # Seven seconds without a finish is three 2.5 s tasks' worth: not yet a stall.
    cell = _stalling([1] + [0] * 7 + [1, 1], [9] * 10)
    assert trust.worker_stalled(replace(cell, params=replace(cell.params, ms=2500.0))) is None
    assert trust.worker_stalled(cell) is not None  # at 200 ms, it is
