"""SIGTERM to a real uvicorn process: queued work is drained, or reported exactly."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import StartTarget
from tests.target_app.helpers import wait_for_status


def _queue_executor_work(url: str, count: int, ms: int) -> list[str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        ids = [
            client.get("/executor", params={"ms": ms}).json()["task_ids"][0] for _ in range(count)
        ]
        wait_for_status(client, ids[0], "running")
        assert client.get("/metrics").json()["gauges"]["executor_queue_depth"] == count - 1
    return ids


def test_sigterm_drains_queued_executor_work(start_target: StartTarget, tmp_path: Path) -> None:
    final_path = tmp_path / "final.json"
    target = start_target(executor_max_workers=1, final_metrics_path=final_path)
    _queue_executor_work(target.url, count=6, ms=300)
    # SIGTERM, as a process manager sends it; None would mean it had to be killed.
    assert target.stop(timeout_s=60) is not None

    final = json.loads(final_path.read_text())
    executor = final["tasks"]["executor/sleep"]
    assert executor["enqueued"] == 6
    assert executor["completed"] == 6
    assert executor["not_run"] == 0
    assert final["shutdown"]["drained"] is True
    # Still queued when the lifespan began its drain (uvicorn takes a moment to get there).
    in_flight = final["shutdown"]["in_flight_at_shutdown"]
    assert in_flight > 0
    assert f"drained {in_flight} in-flight tasks" in target.log_path.read_text()


def test_work_past_the_drain_timeout_is_reported_exactly(
    start_target: StartTarget, tmp_path: Path
) -> None:
    final_path = tmp_path / "final.json"
    target = start_target(
        executor_max_workers=1, drain_timeout_s=0.5, final_metrics_path=final_path
    )
    _queue_executor_work(target.url, count=10, ms=400)
    # SIGTERM, as a process manager sends it; None would mean it had to be killed.
    assert target.stop(timeout_s=60) is not None

    final = json.loads(final_path.read_text())
    executor = final["tasks"]["executor/sleep"]
    shutdown = final["shutdown"]
    assert shutdown["drained"] is False
    # Nothing vanished: every task is completed, failed (running at exit) or not run.
    assert executor["completed"] + executor["failed"] + executor["not_run"] == 10
    assert executor["in_flight"] == 0
    assert executor["not_run"] == shutdown["not_run_at_shutdown"] > 0
    assert executor["failed"] == shutdown["unfinished_at_shutdown"]
    log = target.log_path.read_text()
    assert f"{shutdown['not_run_at_shutdown']} queued tasks not run" in log


def test_counters_balance_in_the_final_metrics(start_target: StartTarget, tmp_path: Path) -> None:
    final_path = tmp_path / "final.json"
    target = start_target(final_metrics_path=final_path, middleware="asgi")
    with httpx.Client(base_url=target.url, timeout=30) as client:
        for route in ("/background", "/background-async", "/executor", "/process-pool"):
            client.get(route, params={"ms": 20})
        client.get("/chained", params={"tasks": 3})
        client.get("/failing", params={"tasks": 3, "fail_at": 1}, headers={"Connection": "close"})
    # SIGTERM, as a process manager sends it; None would mean it had to be killed.
    assert target.stop(timeout_s=60) is not None

    final = json.loads(final_path.read_text())
    for key, task in final["tasks"].items():
        assert task["enqueued"] == task["completed"] + task["failed"] + task["not_run"], key
    assert final["totals"]["enqueued"] == 4 + 3 + 3 + 6  # 6 requests, one middleware task each
    assert final["totals"]["not_run"] == 2
    assert final["tasks"]["middleware_asgi/sleep"]["completed"] == 6
    assert final["shutdown"]["drained"] is True
    assert set(final["histograms"]["executor/sleep"]) >= {"queue_wait_us", "completion_lag_us"}
