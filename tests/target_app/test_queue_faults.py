"""The guarantees, measured: each library's real worker over each real broker, a fault done
to it with work queued, and the exact count of tasks that finished, started twice and were
lost. What each test finds is `bgbench.queues.QUEUES[...].outcomes`, from which the README's
table is made (test_queue.py checks that the README has it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bgbench.queues import QUEUES, SCENARIO_TASKS, Broker, Fault, Outcome
from sweep.queue_workers import purge
from sweep.target import TargetProcess
from target_app.queue.library import broker_of
from tests.conftest import StartTarget
from tests.target_app.conftest import (
    VISIBILITY_TIMEOUT_S,
    OwnBrokerFactory,
    StartWorker,
    bgbench_env,
    broker_url,
    queue_settings,
)
from tests.target_app.helpers import FINAL, wait_for_status, wait_for_task

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

# The faults with work queued: the worker's stop, and the broker's.
QUEUED_FAULTS = [
    pytest.param((name, broker, fault), id=f"{name}-{broker}-{fault}")
    for name, facts in QUEUES.items()
    for broker, fault in facts.outcomes
    if fault is not Fault.WORKER_KILL
]
WARM_STOP_S = 10.0  # the running task takes 1.5 s: a warm stop has the time to finish it
RUNNING_MS = 1500  # the task running when the fault comes: long enough to be mid-task
QUEUED_MS = 10
SETTLE_TIMEOUT_S = 60.0
SEND_RETRY_S = 15.0


def counts(tasks: list[dict[str, Any]]) -> tuple[int, int, int]:
    """What the scenario's tasks came to, as the app's ledger saw them: finished, started
    twice, never finished."""
    ran = sum(t["status"] == "done" for t in tasks)
    twice = sum(t["attempts"] >= 2 for t in tasks)
    return ran, twice, len(tasks) - ran


def expected_twice(expected: Outcome) -> range:
    return range(expected.twice, (expected.twice_at_most or expected.twice) + 1)


def settle(client: httpx.Client, ids: list[str], expected: Outcome) -> list[dict[str, Any]]:
    """The tasks once the expected number have finished and nothing more has changed for a
    visibility timeout and then some (a late redelivery would show as a second start); or
    as they are at the deadline, for the assertion to say what happened instead."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    quiet_for = VISIBILITY_TIMEOUT_S + 1
    last: list[tuple[str, int]] = []
    since = time.monotonic()
    while True:
        tasks = [client.get(f"/tasks/{i}").raise_for_status().json() for i in ids]
        now = [(t["status"], t["attempts"]) for t in tasks]
        if now != last:
            last, since = now, time.monotonic()
        done = sum(status == "done" for status, _ in now)
        if done >= expected.ran and time.monotonic() - since > quiet_for:
            return tasks
        if time.monotonic() > deadline:
            return tasks
        time.sleep(0.1)


def test_a_worker_killed_mid_task_has_it_run_again_or_not_as_its_library_says(
    queue_target: TargetProcess,
    queue_env: dict[str, str],
    tmp_path: Path,
    start_worker: StartWorker,
) -> None:
    facts = QUEUES[queue_env["queue_library"]]
    broker = broker_of(queue_env["broker_url"])
    assert broker is not None
    first = start_worker(queue_env, tmp_path / "first.log")
    with httpx.Client(base_url=queue_target.url, timeout=30) as client:
        task_id = client.get("/queue", params={"ms": RUNNING_MS}).json()["task_ids"][0]
        wait_for_status(client, task_id, "running")
        first.kill()  # SIGKILL, mid-task: the message was never acknowledged
        # As a supervisor restarting it would, past the visibility timeout: Celery over Redis
        # gives the message back only then (and checks when a worker starts).
        time.sleep(VISIBILITY_TIMEOUT_S + 1)
        second = start_worker(queue_env, tmp_path / "second.log")
        if facts.redelivers(broker):
            task = wait_for_task(client, task_id, timeout_s=60)
        else:
            # The fresh worker runs what comes after; the killed task stays where it was.
            later = client.get("/queue", params={"ms": QUEUED_MS}).json()["task_ids"][0]
            assert wait_for_task(client, later)["status"] == "done"
            task = client.get(f"/tasks/{task_id}").json()
            assert task["status"] == "running"  # started once, never to finish
        redelivered = client.get("/metrics").json()["redelivered"]
        second.stop()
    expected = facts.outcomes[broker, Fault.WORKER_KILL]
    assert counts([task]) == (expected.ran, expected.twice, expected.lost)
    assert redelivered == expected.twice


@pytest.mark.parametrize("case", QUEUED_FAULTS)
def test_a_fault_with_work_queued_loses_what_its_library_says(
    case: tuple[str, Broker, Fault],
    start_target: StartTarget,
    start_worker: StartWorker,
    own_broker: OwnBrokerFactory,
    tmp_path: Path,
) -> None:
    library, broker, fault = case
    expected = QUEUES[library].outcomes[broker, fault]
    # The broker's faults on a broker of the test's own; the worker's stop on the machine's.
    own = None if fault is Fault.WORKER_STOP else own_broker(broker, fault is Fault.BROKER_RESTART)
    url = broker_url(broker) if own is None else own.url
    # One slot: one task running when the fault comes, three queued behind it. The app waits
    # for none at its stop: the lost ones would keep it for its whole drain timeout.
    env = queue_settings(library, url, tmp_path, queue_concurrency="1", drain_timeout_s="0")
    target = start_target(**env)
    worker = start_worker(env, tmp_path / "worker.log")
    with httpx.Client(base_url=target.url, timeout=30) as client:

        def send(ms: int) -> str:
            # A 503 says the broker is not taken yet (taskiq's publisher reconnects only
            # after 5 s): sent again, as a client that honours it would.
            deadline = time.monotonic() + SEND_RETRY_S
            while (response := client.get("/queue", params={"ms": ms})).status_code == 503:
                assert time.monotonic() < deadline, response.text
                time.sleep(0.5)
            task_id: str = response.raise_for_status().json()["task_ids"][0]
            return task_id

        running = send(RUNNING_MS)
        wait_for_status(client, running, "running")
        queued = [send(QUEUED_MS) for _ in range(3)]
        time.sleep(0.5)  # the worker prefetches what its library prefetches
        if own is None:
            stopped = worker.stop(timeout_s=WARM_STOP_S)
            assert stopped is not None, f"the {library} worker outlived its SIGTERM"
            start_worker(env, tmp_path / "second.log")
        elif fault is Fault.BROKER_RESTART:
            own.restart()
        else:
            own.crash_and_start()
        ids = [running, *queued, send(QUEUED_MS)]
        assert len(ids) == SCENARIO_TASKS[fault]
        tasks = settle(client, ids, expected)
        redelivered = client.get("/metrics").json()["redelivered"]
    ran, twice, lost = counts(tasks)
    seen = [(t["status"], t["attempts"]) for t in tasks]
    assert (ran, lost) == (expected.ran, expected.lost), seen
    assert twice in expected_twice(expected), seen
    assert all(t["status"] in FINAL | {"queued"} for t in tasks)  # none left half-run
    assert redelivered == twice  # each second start, as the app's metrics say it
    purge(bgbench_env(env))
