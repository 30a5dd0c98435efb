"""/metrics and /metrics/window: the contract the sweep and the reports rely on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bgbench import hdr
from sweep.target import TargetProcess
from tests.conftest import StartTarget
from tests.target_app.helpers import wait_for_task

SUMMARY_KEYS = {"count", "p50", "p90", "p99", "p99_9", "max", "mean"}


@pytest.fixture(scope="module")
def client(default_target: TargetProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=default_target.url, timeout=30) as client:
        yield client


def test_the_json_has_the_contracted_shape(client: httpx.Client) -> None:
    wait_for_task(client, client.get("/background", params={"ms": 5}).json()["task_ids"][0])
    metrics = client.get("/metrics").json()
    task = metrics["tasks"]["background/sleep"]
    for counter in ("enqueued", "started", "completed", "failed", "not_run"):
        assert isinstance(task[counter], int)
    for timing in ("queue_wait_us", "run_time_us", "completion_lag_us"):
        assert set(task[timing]) == SUMMARY_KEYS
    assert task["run_time_us"]["p50"] >= 4000  # 5 ms of sleep, in microseconds
    assert set(metrics["gauges"]) >= {
        "in_flight",
        "executor_queue_depth",
        "threadpool_tokens_in_use",
    }
    assert set(metrics["event_loop_lag_us"]) == SUMMARY_KEYS
    assert metrics["event_loop_lag_us"]["count"] > 0


def test_prometheus_text_parses_and_matches_the_json(client: httpx.Client) -> None:
    client.get("/executor", params={"ms": 0})
    text = client.get("/metrics", params={"format": "prometheus"}).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {"bgbench_tasks", "bgbench_task_completion_lag_seconds", "bgbench_in_flight"} <= set(
        families
    )
    enqueued = [
        sample.value
        for sample in families["bgbench_tasks"].samples
        if sample.labels == {"key": "executor/sleep", "outcome": "enqueued"}
    ]
    assert len(enqueued) == 1
    assert enqueued[0] >= 1


def test_a_window_resets_and_carries_lossless_histograms(client: httpx.Client) -> None:
    client.get("/metrics/window")
    task_ids = [client.get("/background-async", params={"ms": 1}).json()["task_ids"][0]]
    task_ids += [client.get("/background-async", params={"ms": 1}).json()["task_ids"][0]]
    for task_id in task_ids:
        wait_for_task(client, task_id)
    window = client.get("/metrics/window").json()
    task = window["tasks"]["background_async/sleep"]
    assert task["enqueued"] == task["completed"] == 2
    assert hdr.decode(task["completion_lag_us"]).get_total_count() == 2
    assert window["until"] > window["since"]
    hdr.decode(window["event_loop_lag_us"])  # present and lossless (it may be empty: 10 ms ticks)
    assert "background_async/sleep" not in client.get("/metrics/window").json()["tasks"]


def test_a_blocking_async_task_shows_as_event_loop_lag(client: httpx.Client) -> None:
    client.get("/metrics/window")
    task_id = client.get("/background-blocking", params={"ms": 400}).json()["task_ids"][0]
    wait_for_task(client, task_id)
    lag = hdr.decode(client.get("/metrics/window").json()["event_loop_lag_us"])
    # The loop was held for 400 ms, so the monitor's 10 ms sleep overslept by about that much.
    assert lag.get_max_value() >= 300_000


@pytest.mark.parametrize("mode", ["base", "asgi"])
def test_middleware_mode_attaches_one_task_per_request(
    start_target: StartTarget, mode: str
) -> None:
    target = start_target(middleware=mode, middleware_workload="cpu", middleware_ms=1)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        for _ in range(3):
            assert client.get("/baseline").json() == {"message": "Hello World"}
        task_ids = client.get("/background", headers={"X-Request-ID": "mw-1"}).json()["task_ids"]
        wait_for_task(client, task_ids[0])
        client.get("/healthz")
        for _ in range(100):  # the middleware task of /background ends after its endpoint's
            tasks = client.get("/metrics").json()["tasks"]
            if tasks[f"middleware_{mode}/cpu"]["completed"] == 4:
                break
    key = f"middleware_{mode}/cpu"
    # /baseline three times and /background once; /healthz, /metrics and /tasks are not load.
    assert tasks[key]["enqueued"] == 4
    assert tasks[key]["completed"] == 4
    assert tasks["background/sleep"]["completed"] == 1
