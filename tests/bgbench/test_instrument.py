"""`bgbench.instrument` on FastAPI apps written here, as a user would write theirs, served by
a real uvicorn on a loopback port: what it records, and that the app behaves as without it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import BackgroundTasks, FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.background import BackgroundTask

import bgbench
from bgbench.instrumentation import instrument
from bgbench.ledger import TaskLedger

SLEEP_S = 0.02


@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    """`app` under uvicorn in a thread, on a loopback socket of its own; stopped at the end."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # No log config of uvicorn's: its records reach the root logger, and caplog.
    config = uvicorn.Config(app, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_idle(ledger: TaskLedger) -> None:
    assert ledger.wait_until_idle(10), "background tasks still running after 10 s"


def signup_app() -> FastAPI:
    """An async route that adds a `def` task, and a plain `def` route that adds an async one."""
    app = FastAPI()

    def send_welcome(email: str) -> None:
        time.sleep(SLEEP_S)

    async def write_audit(user: str) -> None:
        await asyncio.sleep(0)

    @app.post("/signup")
    async def signup(email: str, tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(send_welcome, email)
        return {"status": "ok"}

    @app.get("/users/{user}")
    def user(user: str, tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(write_audit, user)
        return {"user": user}

    return app


def test_every_task_is_recorded_under_its_route_and_function() -> None:
    app = signup_app()
    ledger = instrument(app)
    with serving(app) as client:
        for i in range(10):
            assert client.post("/signup", params={"email": f"u{i}@x"}).status_code == 200
        for i in range(5):
            assert client.get(f"/users/{i}").json() == {"user": str(i)}
        wait_idle(ledger)
        metrics = client.get("/_bgbench/metrics").json()
    tasks = metrics["tasks"]
    assert set(tasks) == {"/signup/send_welcome", "/users/{user}/write_audit"}
    welcome = tasks["/signup/send_welcome"]
    assert (welcome["enqueued"], welcome["completed"], welcome["failed"]) == (10, 10, 0)
    assert welcome["run_time_us"]["p50"] >= SLEEP_S * 1e6  # it slept that long, at least
    assert tasks["/users/{user}/write_audit"]["completed"] == 5
    assert metrics["totals"]["enqueued"] == 15
    assert metrics["gauges"]["in_flight"] == 0
    assert app.state.bgbench_ledger is ledger


def test_the_metrics_routes_are_its_own_and_not_counted() -> None:
    app = signup_app()
    ledger = instrument(app)
    with serving(app) as client:
        client.post("/signup", params={"email": "a@x"})
        wait_idle(ledger)
        window = client.get("/_bgbench/metrics/window").json()
        assert window["tasks"]["/signup/send_welcome"]["completed"] == 1
        again = client.get("/_bgbench/metrics/window").json()  # a new window: nothing since
        assert again["tasks"].get("/signup/send_welcome", {"completed": 0})["completed"] == 0
        text = client.get("/_bgbench/metrics", params={"format": "prometheus"}).text
        missing = client.get("/_bgbench/nothing")
        # The app's own 404 for a path of its own, untouched.
        assert client.get("/nothing").json() == {"detail": "Not Found"}
    families = {f.name: f for f in text_string_to_metric_families(text)}
    completed = [
        s.value
        for s in families["bgbench_tasks"].samples
        if s.labels == {"key": "/signup/send_welcome", "outcome": "completed"}
    ]
    assert completed == [1.0]
    assert missing.status_code == 404
    assert "/_bgbench/metrics" in missing.text
    assert set(ledger.summary()) == {"/signup/send_welcome"}


def failing_app(calls: list[str]) -> FastAPI:
    app = FastAPI()

    def first() -> None:
        calls.append("first")

    def broken() -> None:
        calls.append("broken")
        raise ValueError("smtp down")

    async def last() -> None:
        calls.append("last")

    @app.get("/chain")
    def chain(tasks: BackgroundTasks) -> dict[str, str]:
        for task in (first, broken, last):
            tasks.add_task(task)
        return {"status": "ok"}

    return app


def _chain(app: FastAPI) -> int:
    with serving(app) as client:
        status = client.get("/chain").status_code
        time.sleep(0.2)  # not a speed: lets the tasks after the response run before the stop
    return status


def test_a_task_that_raises_does_what_it_does_without_it_and_is_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plain_calls: list[str] = []
    plain_status = _chain(failing_app(plain_calls))
    plain_logged = [r for r in caplog.records if r.exc_info and "smtp down" in str(r.exc_info[1])]
    caplog.clear()
    calls: list[str] = []
    app = failing_app(calls)
    ledger = instrument(app)
    assert _chain(app) == plain_status == 200
    # Same tasks run, in the same order, and Starlette skips the one after the failure.
    assert calls == plain_calls == ["first", "broken"]
    # The exception goes on to the server as before, which logs it.
    logged = [r for r in caplog.records if r.exc_info and "smtp down" in str(r.exc_info[1])]
    assert len(logged) == len(plain_logged) == 1
    tasks = ledger.summary()
    assert tasks["/chain/first"]["completed"] == 1
    assert tasks["/chain/broken"]["failed"] == 1
    assert tasks["/chain/last"]["not_run"] == 1
    assert ledger.in_flight == 0


def test_tasks_made_outside_an_instrumented_request_are_not_counted() -> None:
    ran: list[str] = []
    other = FastAPI()  # the same process, not instrumented

    @other.get("/x")
    def x(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(ran.append, "other")
        return {}

    app = signup_app()
    ledger = instrument(app)
    with serving(other) as client:
        client.get("/x")
        time.sleep(0.2)  # not a speed: the task runs after the response
    assert ran == ["other"]
    outside = BackgroundTask(ran.append, "outside")
    asyncio.run(outside())
    assert ran == ["other", "outside"]
    assert ledger.summary() == {}


def test_an_app_is_instrumented_once() -> None:
    app = signup_app()
    instrument(app)
    with pytest.raises(RuntimeError, match="instrumented already"):
        instrument(app)


def test_it_is_one_call_from_the_package() -> None:
    use: Callable[..., TaskLedger] = bgbench.instrument
    assert use is instrument
