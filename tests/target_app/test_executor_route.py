"""/executor: the worker limit, the bounded queue's 503, and priorities, on a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import StartTarget
from tests.target_app.helpers import max_overlap, wait_for_status, wait_for_task


def test_the_executor_never_runs_more_than_max_workers_at_once(
    start_target: StartTarget,
) -> None:
    target = start_target(executor_max_workers=2)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        task_ids = [
            client.get("/executor", params={"ms": 200}).json()["task_ids"][0] for _ in range(8)
        ]
        tasks = [wait_for_task(client, task_id) for task_id in task_ids]
        gauges = client.get("/metrics").json()["gauges"]
    assert all(t["status"] == "done" for t in tasks)
    # Eight 200 ms tasks, two at a time: never three, and really two (the limit is used).
    assert max_overlap(tasks) == 2
    assert gauges["executor_queue_depth"] == 0


def test_a_full_bounded_queue_answers_503_with_retry_after(start_target: StartTarget) -> None:
    target = start_target(executor_max_workers=1, executor_queue_limit=2)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        first = client.get("/executor", params={"ms": 3000}).json()["task_ids"][0]
        wait_for_status(client, first, "running")
        queued = [client.get("/executor", params={"ms": 0}) for _ in range(2)]
        refused = client.get("/executor", params={"ms": 0}, headers={"X-Request-ID": "r-503"})
        metrics = client.get("/metrics").json()

    assert [r.status_code for r in queued] == [200, 200]
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["X-Request-ID"] == "r-503"
    assert "queue is full" in refused.json()["detail"]
    assert metrics["gauges"]["executor_queue_depth"] == 2
    executor = metrics["tasks"]["executor/sleep"]
    assert executor["rejected"] == 1
    assert executor["not_run"] == 1


def test_queued_high_priority_work_never_waits_behind_lower(start_target: StartTarget) -> None:
    target = start_target(executor_max_workers=1)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        blocker = client.get("/executor", params={"ms": 1000}).json()["task_ids"][0]
        wait_for_status(client, blocker, "running")
        ids = {
            priority: client.get("/executor", params={"priority": priority}).json()["task_ids"][0]
            for priority in ("low", "normal", "high")
        }
        started = {p: wait_for_task(client, t)["started_at"] for p, t in ids.items()}
    assert started["high"] < started["normal"] < started["low"]


def test_concurrent_submissions_are_all_accounted_for(start_target: StartTarget) -> None:
    # One worker and room for two in the queue, 300 ms tasks: 40 submissions from 16
    # threads arrive far faster than they drain, so the queue fills and most are refused.
    target = start_target(executor_max_workers=1, executor_queue_limit=2)
    sent = 40

    def submit(_: int) -> httpx.Response:
        with httpx.Client(base_url=target.url, timeout=30) as client:
            return client.get("/executor", params={"ms": 300})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(submit, range(sent)))
    accepted = [r.json()["task_ids"][0] for r in responses if r.status_code == 200]
    rejected = [r for r in responses if r.status_code == 503]
    with httpx.Client(base_url=target.url, timeout=30) as client:
        tasks = [wait_for_task(client, task_id) for task_id in accepted]
        totals = client.get("/metrics").json()["tasks"]["executor/sleep"]

    # Both paths taken, or this proves nothing.
    assert accepted
    assert rejected
    assert len(accepted) + len(rejected) == sent  # every answer a 200 or a 503
    assert [t["status"] for t in tasks] == ["done"] * len(accepted)
    # The app's own books: every submission enqueued, each refused one rejected (and so
    # not run), each accepted one completed; nothing failed, nothing left in flight.
    assert totals["enqueued"] == sent
    assert totals["rejected"] == totals["not_run"] == len(rejected)
    assert totals["completed"] == len(accepted)
    assert totals["failed"] == totals["in_flight"] == 0
