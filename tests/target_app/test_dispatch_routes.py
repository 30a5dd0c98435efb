"""The dispatch routes against a real uvicorn process."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from sweep.target import TargetProcess
from tests.target_app.helpers import wait_for_status, wait_for_task

CLOSE = {"Connection": "close"}

ROUTES = {
    "/background": "background",
    "/background-async": "background_async",
    "/background-blocking": "background_blocking",
    "/executor": "executor",
    "/process-pool": "process_pool",
}


@pytest.fixture(scope="module")
def client(default_target: TargetProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=default_target.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(("route", "strategy"), ROUTES.items())
def test_background_routes_answer_before_their_work_is_done(
    client: httpx.Client, route: str, strategy: str
) -> None:
    response = client.get(route, params={"workload": "sleep", "ms": 1500})
    answered_at = time.time()
    assert response.status_code == 200
    body = response.json()
    assert body["strategy"] == strategy
    assert body["workload"] == "sleep"
    (task_id,) = body["task_ids"]
    task = wait_for_task(client, task_id)
    assert task["status"] == "done"
    # Same machine, same clock: the answer came before the 1.5 s of work ended.
    assert answered_at < task["finished_at"]
    # asyncio.sleep may wake a little early by the wall clock.
    assert task["finished_at"] - task["started_at"] >= 1.4


def test_a_blocking_call_in_an_async_task_holds_up_the_next_request(
    client: httpx.Client,
) -> None:
    response = client.get("/background-blocking", params={"workload": "sleep", "ms": 1000})
    task_id = response.json()["task_ids"][0]
    # The task blocks the event loop, so this request is served only once it has ended.
    assert client.get(f"/tasks/{task_id}").json()["status"] == "done"


def test_inline_does_the_work_before_answering(client: httpx.Client) -> None:
    sent_at = time.time()
    body = client.get("/inline", params={"workload": "sleep", "ms": 300}).json()
    answered_at = time.time()
    task = client.get(f"/tasks/{body['task_ids'][0]}").json()
    assert task["status"] == "done"
    assert task["key"] == "inline/sleep"
    # Same machine, same clock: the 300 ms of work began after the request was sent and
    # ended before its answer arrived (a background strategy's would end after it).
    assert sent_at <= task["started_at"]
    assert task["finished_at"] <= answered_at
    assert task["finished_at"] - task["started_at"] >= 0.29


@pytest.mark.parametrize("workload", ["sleep", "cpu", "db", "http"])
@pytest.mark.parametrize("route", ["/background", "/background-async"])
def test_every_workload_runs_under_sync_and_async_dispatch(
    client: httpx.Client, route: str, workload: str
) -> None:
    body = client.get(route, params={"workload": workload, "ms": 5}).json()
    task = wait_for_task(client, body["task_ids"][0])
    assert task["status"] == "done", task["error"]


def _cpu_s(process: psutil.Process) -> float:
    """CPU time the process itself used (its children's not included)."""
    times = process.cpu_times()
    return times.user + times.system


def test_process_pool_runs_cpu_work_in_another_process(
    client: httpx.Client, default_target: TargetProcess
) -> None:
    # The task does not say where it ran, but CPU time does: the pool's processes are the
    # app's children (started with the app), and CPU work there is not the app's own time.
    app = psutil.Process(default_target.pid)
    before = {child.pid: _cpu_s(child) for child in app.children(recursive=True)}
    app_before = _cpu_s(app)
    body = client.get("/process-pool", params={"workload": "cpu", "ms": 300}).json()
    task = wait_for_task(client, body["task_ids"][0])
    app_used = _cpu_s(app) - app_before
    used = {c.pid: _cpu_s(c) - before.get(c.pid, 0.0) for c in app.children(recursive=True)}

    assert task["status"] == "done"
    assert isinstance(task["result"], int)  # the checksum
    worker, worked = max(used.items(), key=lambda item: item[1])
    assert worker != app.pid
    # 300 ms of work as calibrated at start-up: at least a sixth of it even if the
    # calibration ran on a crowded core. The app itself only answered a few polls meanwhile.
    assert worked >= 0.05, used
    assert app_used < worked, (app_used, used)


def test_chained_tasks_run_one_after_another_in_order(client: httpx.Client) -> None:
    task_ids = client.get("/chained", params={"tasks": 5, "ms": 20}).json()["task_ids"]
    tasks = [wait_for_task(client, task_id) for task_id in task_ids]
    assert [t["status"] for t in tasks] == ["done"] * 5
    for before, after in itertools.pairwise(tasks):
        assert after["started_at"] >= before["finished_at"]


def test_an_unguarded_failure_stops_the_rest_of_the_chain(client: httpx.Client) -> None:
    before = client.get("/metrics").json()["tasks"].get("failing/sleep", {"failed": 0})
    # uvicorn closes the connection of a request whose background task raised, so a
    # keep-alive client would see its next request fail: ask for a connection of its own.
    response = client.get("/failing", params={"tasks": 4, "fail_at": 2}, headers=CLOSE)
    task_ids = response.json()["task_ids"]
    tasks = [wait_for_task(client, task_id) for task_id in task_ids]
    assert [t["status"] for t in tasks] == ["done", "failed", "not_run", "not_run"]
    assert "failed on purpose" in tasks[1]["error"]
    assert tasks[2]["started_at"] is None
    after = client.get("/metrics").json()["tasks"]["failing/sleep"]
    assert after["failed"] == before["failed"] + 1


def test_a_guarded_failure_is_logged_and_the_chain_goes_on(
    client: httpx.Client, default_target: TargetProcess
) -> None:
    params = {"tasks": "3", "fail_at": "1", "guarded": "true"}
    response = client.get("/failing", params=params, headers=CLOSE)
    tasks = [wait_for_task(client, task_id) for task_id in response.json()["task_ids"]]
    assert [t["status"] for t in tasks] == ["failed", "done", "done"]
    rid = response.headers["X-Request-ID"]
    log = default_target.log_path.read_text()
    assert f"for request {rid} failed: SimulatedFailure" in log


def test_the_client_request_id_is_echoed_and_recorded(client: httpx.Client) -> None:
    response = client.get("/background", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.json()["request_id"] == "trace-42"
    task = wait_for_task(client, response.json()["task_ids"][0])
    assert task["request_id"] == "trace-42"


def test_a_request_id_is_made_when_none_is_sent(client: httpx.Client) -> None:
    response = client.get("/background-async")
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("path", "params", "headers", "field"),
    [
        ("/background", {"workload": "nap"}, {}, "workload"),
        ("/background", {"ms": "-1"}, {}, "ms"),
        ("/background", {"ms": "1e9"}, {}, "ms"),
        ("/background", {"ms": "soon"}, {}, "ms"),
        ("/chained", {"tasks": "1000"}, {}, "tasks"),
        ("/chained", {"tasks": "0"}, {}, "tasks"),
        ("/failing", {"tasks": "2", "fail_at": "3"}, {}, "fail_at"),
        ("/executor", {"priority": "urgent"}, {}, "priority"),
        ("/process-pool", {"workload": "db"}, {}, "workload"),
        ("/background", {}, {"X-Request-ID": "bad id; rm -rf /"}, "X-Request-ID"),
        ("/background", {}, {"X-Request-ID": "x" * 129}, "X-Request-ID"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: httpx.Client,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    field: str,
) -> None:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field
    assert error["msg"]


@pytest.mark.parametrize("route", [*ROUTES, "/inline", "/chained", "/failing"])
@pytest.mark.parametrize("ms", ["inf", "-inf", "Infinity", "nan", "1e309"])
def test_a_number_that_is_not_finite_is_a_422_not_a_500(
    client: httpx.Client, route: str, ms: str
) -> None:
    # inf passed `ge=0`, then the 422 that echoed it could not be encoded as JSON: a 500.
    response = client.get(route, params={"ms": ms})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "ms"]


def test_a_huge_request_id_is_refused_without_being_echoed(client: httpx.Client) -> None:
    sent = "x" * 100_000
    response = client.get("/background", headers={"X-Request-ID": sent})
    assert response.status_code == 422
    assert len(response.content) < 1000
    (error,) = response.json()["detail"]
    assert error["input"].endswith("(100,000 characters)")


def test_an_unknown_task_is_a_404_that_says_why(client: httpx.Client) -> None:
    response = client.get("/tasks/feedface")
    assert response.status_code == 404
    assert "never enqueued" in response.json()["detail"]


def test_the_openapi_docs_label_the_anti_patterns(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/background-blocking"]["get"]["summary"].startswith("ANTI-PATTERN")
    assert paths["/upload-file-naive"]["post"]["summary"].startswith("ANTI-PATTERN")


def test_a_running_task_reports_running(client: httpx.Client) -> None:
    task_id = client.get("/background", params={"ms": 1000}).json()["task_ids"][0]
    task = wait_for_status(client, task_id, "running")
    assert task["started_at"] is not None
    assert task["finished_at"] is None
    wait_for_task(client, task_id)
