"""The queue strategies end to end: each library's real worker over each real broker it runs
over, reporting to the app over the real Redis."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bgbench.queues import Broker, guarantees_markdown
from sweep.target import TargetError, TargetProcess
from tests.conftest import StartTarget, require_service
from tests.target_app.conftest import OVER, StartWorker
from tests.target_app.helpers import wait_for_task

pytestmark = pytest.mark.slow


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


def test_the_readme_says_what_each_fault_did_to_each_queue() -> None:
    # The outcomes test_queue_faults.py holds each library to, as the README shows them.
    text = README.read_text()
    start = text.index("\n", text.index("<!-- queue-guarantees")) + 1
    table = text[start : text.index("<!-- /queue-guarantees -->")].strip()
    assert table == guarantees_markdown(), (
        "README's queue table is stale: paste bgbench.queues.guarantees_markdown() in"
    )
