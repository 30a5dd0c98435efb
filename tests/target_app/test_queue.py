"""The queue strategies end to end: each library's real worker over each real broker it runs
over, reporting to the app over the real Redis."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bgbench.queues import QUEUES, Broker, guarantees_markdown
from sweep.queue_workers import QueueWorker, purge
from sweep.target import TargetError, TargetProcess
from tests.conftest import StartTarget, require_service
from tests.target_app.helpers import wait_for_status, wait_for_task

pytestmark = pytest.mark.slow

OVER = [
    pytest.param((name, broker), id=f"{name}-{broker}")
    for name, facts in QUEUES.items()
    for broker in facts.brokers
]


def broker_url(broker: Broker) -> str:
    url = require_service(broker.value)
    return url + "/0" if broker is Broker.REDIS else url


@pytest.fixture(params=OVER)
def queue_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    library, broker = request.param
    env = {
        "queue_enabled": "true",
        "queue_library": library,
        "broker_url": broker_url(broker),
        "events_url": broker_url(Broker.REDIS),
        "queue_name": f"bgbench-test-{uuid.uuid4().hex}",
        "queue_visibility_timeout_s": "3",
        "data_dir": str(tmp_path / "data"),
    }
    yield env
    purge(bgbench_env(env))


def bgbench_env(env: dict[str, str]) -> dict[str, str]:
    return {f"BGBENCH_{key.upper()}": value for key, value in env.items()}


StartWorker = Callable[[dict[str, str], Path], QueueWorker]


@pytest.fixture
def start_worker() -> Iterator[StartWorker]:
    """Start the library's worker; every one started is stopped by pid when the test ends,
    whatever happened in it (a failed assertion must not leave a worker running)."""
    started: list[QueueWorker] = []

    def start(env: dict[str, str], log: Path) -> QueueWorker:
        worker = QueueWorker(bgbench_env(env), log_path=log)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop(timeout_s=30)


@pytest.fixture
def queue_target(start_target: StartTarget, queue_env: dict[str, str]) -> TargetProcess:
    return start_target(**queue_env)


def test_a_queued_task_runs_on_a_worker_and_shows_in_the_metrics(
    queue_target: TargetProcess,
    queue_env: dict[str, str],
    tmp_path: Path,
    start_worker: StartWorker,
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


def test_a_worker_killed_mid_task_has_it_run_again_or_not_as_its_library_says(
    queue_target: TargetProcess,
    queue_env: dict[str, str],
    tmp_path: Path,
    start_worker: StartWorker,
) -> None:
    first = start_worker(queue_env, tmp_path / "first.log")
    with httpx.Client(base_url=queue_target.url, timeout=30) as client:
        task_id = client.get("/queue", params={"ms": 2000}).json()["task_ids"][0]
        wait_for_status(client, task_id, "running")
        first.kill()  # SIGKILL, mid-task: the message was never acknowledged
        # As a supervisor restarting it would, past the visibility timeout: Celery over Redis
        # gives the message back only then (and checks when a worker starts).
        time.sleep(float(queue_env["queue_visibility_timeout_s"]) + 1)
        second = start_worker(queue_env, tmp_path / "second.log")
        try:
            if QUEUES[queue_env["queue_library"]].redelivers:
                task = wait_for_task(client, task_id, timeout_s=60)
            else:
                # The fresh worker runs what comes after; the killed task stays where it was.
                later = client.get("/queue", params={"ms": 10}).json()["task_ids"][0]
                assert wait_for_task(client, later)["status"] == "done"
                task = client.get(f"/tasks/{task_id}").json()
            redelivered = client.get("/metrics").json()["redelivered"]
        finally:
            second.stop()
    if QUEUES[queue_env["queue_library"]].redelivers:
        assert task["status"] == "done"
        assert task["attempts"] == 2  # at least once: it ran again, on the fresh worker
        assert redelivered == 1
    else:
        assert (task["status"], task["attempts"], redelivered) == ("running", 1, 0)


def test_the_queue_route_says_how_to_turn_it_on(default_target: TargetProcess) -> None:
    response = httpx.get(f"{default_target.url}/queue")
    assert response.status_code == 503
    assert "BGBENCH_QUEUE_ENABLED=true" in response.json()["detail"]


UNREACHABLE = {
    Broker.REDIS: "redis://127.0.0.1:1/0",
    Broker.RABBITMQ: "amqp://guest:guest@127.0.0.1:1",
    Broker.POSTGRES: "postgresql://127.0.0.1:1/test",
}


@pytest.mark.parametrize("over", OVER)
def test_an_unreachable_broker_stops_start_up_with_its_url(
    start_target: StartTarget, over: tuple[str, Broker]
) -> None:
    library, broker = over
    require_service("redis")  # the events' Redis is up: the library's broker is not
    url = UNREACHABLE[broker]
    with pytest.raises(TargetError, match=re.escape(f"needs its broker at {url}")):
        start_target(queue_enabled="true", queue_library=library, broker_url=url)


def test_a_broker_the_library_does_not_run_over_is_refused_at_start_up(
    start_target: StartTarget,
) -> None:
    with pytest.raises(TargetError, match="arq runs over redis, not amqp://"):
        start_target(queue_enabled="true", queue_library="arq", broker_url="amqp://127.0.0.1//")


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_says_what_each_queue_does_with_a_killed_workers_task() -> None:
    # The facts the kill test above holds each library to, as the README shows them.
    text = README.read_text()
    start = text.index("\n", text.index("<!-- queue-guarantees")) + 1
    table = text[start : text.index("<!-- /queue-guarantees -->")].strip()
    assert table == guarantees_markdown(), (
        "README's queue table is stale: paste bgbench.queues.guarantees_markdown() in"
    )
