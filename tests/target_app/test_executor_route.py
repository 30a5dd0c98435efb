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
    target = start_target(executor_max_workers=3, executor_queue_limit=5)

    def submit(_: int) -> int:
        with httpx.Client(base_url=target.url, timeout=30) as client:
            return client.get("/executor", params={"ms": 50}).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(submit, range(40)))
    with httpx.Client(base_url=target.url, timeout=30) as client:
        client.get("/healthz")
        totals = client.get("/metrics").json()["tasks"]["executor/sleep"]
    assert set(codes) <= {200, 503}
    assert totals["enqueued"] == 40
    assert totals["rejected"] == codes.count(503)
