from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from benchmarks.checks import HELLO, dispatched, json_body, one_task_done_per_request
from benchmarks.clock import CLOCK
from benchmarks.running_app import Check, HeldLifespan, RunningApp, running_app
from target_app.settings import Settings


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings.model_validate({"data_dir": tmp_path, **overrides})


def test_the_app_runs_its_lifespan_and_answers(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    with running_app(loop, _settings(tmp_path)) as app:
        exchange = loop.run_until_complete(app.respond("/baseline", json_body(HELLO)))
        assert exchange.json() == HELLO
        assert app.state.loop_monitor is not None  # built by the lifespan
    assert app.state.shutdown_report is not None


def test_background_work_is_awaited_but_not_timed(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    with running_app(loop, _settings(tmp_path)) as app:
        check = dispatched("background", "sleep", 100.0)
        wall_started, clock_started = time.perf_counter(), CLOCK()
        loop.run_until_complete(app.respond("/background?workload=sleep&ms=100", check))
        wall, timed = time.perf_counter() - wall_started, CLOCK() - clock_started
        assert wall >= 0.1  # the task ran to its end...
        # ...and all of its 100 ms were left out of the time (it starts after the response).
        # Not `timed < 0.1`: the request's own part has no bound on a busy machine.
        assert wall - timed >= 0.1
        assert timed > 0  # the response itself was timed


@pytest.mark.parametrize(
    ("target", "check", "message"),
    [
        ("/no-such-route", json_body(HELLO), "404"),
        ("/background-async?ms=0", dispatched("background", "sleep", 0.0), "background_async"),
    ],
    ids=["status", "body"],
)
def test_a_response_the_check_does_not_expect_fails(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, target: str, check: Check, message: str
) -> None:
    with running_app(loop, _settings(tmp_path)) as app:
        request = app.respond(target, check)
        with pytest.raises(AssertionError, match=message):
            loop.run_until_complete(request)


def test_one_task_done_per_request_sees_a_request_without_its_task(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    key = "middleware_base/sleep"
    with running_app(loop, _settings(tmp_path, middleware="base")) as app:
        with_task = one_task_done_per_request(app.state, key, json_body(HELLO))
        for _ in range(3):
            loop.run_until_complete(app.respond("/baseline", with_task))
        # The middleware attaches nothing to its probes.
        without_task = one_task_done_per_request(app.state, key, json_body({"status": "ok"}))
        probe = app.respond("/healthz", without_task)
        with pytest.raises(AssertionError, match="0 tasks done for one request"):
            loop.run_until_complete(probe)


def test_work_left_at_shutdown_fails_the_run(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    started: list[RunningApp] = []

    def leave_work_running() -> None:
        with running_app(loop, _settings(tmp_path, drain_timeout_s=0)) as app:
            started.append(app)
            loop.run_until_complete(app.driver.get("/executor?workload=sleep&ms=100"))

    with pytest.raises(AssertionError, match="did not drain"):
        leave_work_running()
    # The abandoned task logs when it ends at last: let it, while this test's output is open.
    deadline = time.monotonic() + 5
    while started[0].state.executor.running and time.monotonic() < deadline:
        time.sleep(0.01)


class StartupFailed(Exception):
    pass


class FailingLifespan:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __aenter__(self) -> None:
        raise StartupFailed("no database")

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def test_a_failing_start_up_raises_from_start(loop: asyncio.AbstractEventLoop) -> None:
    lifespan = HeldLifespan(FastAPI(lifespan=FailingLifespan))
    with pytest.raises(StartupFailed, match="no database"):
        loop.run_until_complete(lifespan.start())
