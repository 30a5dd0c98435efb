"""The queue strategy end to end: a real Celery worker over the real Redis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sweep.queue_workers import CeleryWorker, purge
from sweep.target import TargetProcess
from tests.conftest import StartTarget, require_service
from tests.target_app.helpers import wait_for_status, wait_for_task

pytestmark = pytest.mark.slow


@pytest.fixture
def queue_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    broker = require_service("redis") + "/0"
    queue = f"bgbench-test-{uuid.uuid4().hex}"
    yield {
        "queue_enabled": "true",
        "broker_url": broker,
        "queue_name": queue,
        "queue_visibility_timeout_s": "3",
        "data_dir": str(tmp_path / "data"),
    }
    purge(broker, queue)


def start_worker(env: dict[str, str], log: Path) -> CeleryWorker:
    worker_env = {f"BGBENCH_{key.upper()}": value for key, value in env.items()}
    return CeleryWorker(worker_env, concurrency=1, log_path=log).start()


@pytest.fixture
def queue_target(start_target: StartTarget, queue_env: dict[str, str]) -> TargetProcess:
    return start_target(**queue_env)


def test_a_queued_task_runs_on_a_worker_and_shows_in_the_metrics(
    queue_target: TargetProcess, queue_env: dict[str, str], tmp_path: Path
) -> None:
    worker = start_worker(queue_env, tmp_path / "worker.log")
    try:
        with httpx.Client(base_url=queue_target.url, timeout=30) as client:
            ids = [
                client.get("/queue", params={"workload": w, "ms": 30}).json()["task_ids"][0]
                for w in ("sleep", "cpu", "db", "http")
            ]
            tasks = [wait_for_task(client, task_id) for task_id in ids]
            metrics = client.get("/metrics").json()["tasks"]
    finally:
        worker.stop()
    assert [t["status"] for t in tasks] == ["done"] * 4, [t["error"] for t in tasks]
    sleep = metrics["queue/sleep"]
    assert sleep["completed"] == 1
    assert sleep["run_time_us"]["p50"] >= 29_000
    assert sleep["completion_lag_us"]["p50"] >= sleep["run_time_us"]["p50"]
    assert sleep["queue_wait_us"]["count"] == 1


def test_a_worker_killed_mid_task_loses_nothing(
    queue_target: TargetProcess, queue_env: dict[str, str], tmp_path: Path
) -> None:
    first = start_worker(queue_env, tmp_path / "first.log")
    with httpx.Client(base_url=queue_target.url, timeout=30) as client:
        task_id = client.get("/queue", params={"ms": 2000}).json()["task_ids"][0]
        wait_for_status(client, task_id, "running")
        first.kill()  # SIGKILL, mid-task: the message was never acknowledged
        second = start_worker(queue_env, tmp_path / "second.log")
        try:
            task = wait_for_task(client, task_id, timeout_s=60)
            redelivered = client.get("/metrics").json()["redelivered"]
        finally:
            second.stop()
    assert task["status"] == "done"
    assert task["attempts"] == 2  # at least once: it ran again, on the fresh worker
    assert redelivered == 1


def test_the_queue_route_says_how_to_turn_it_on(default_target: TargetProcess) -> None:
    response = httpx.get(f"{default_target.url}/queue")
    assert response.status_code == 503
    assert "BGBENCH_QUEUE_ENABLED=true" in response.json()["detail"]


def test_an_unreachable_broker_stops_start_up_with_its_url(start_target: StartTarget) -> None:
    from sweep.target import TargetError

    with pytest.raises(TargetError, match=re.escape("needs its broker at redis://127.0.0.1:1/0")):
        start_target(queue_enabled="true", broker_url="redis://127.0.0.1:1/0")
