"""The target app started on the benchmark loop with its real lifespan, and requests to it timed
as its user sees them.

The lifespan is held open by a task of its own, as uvicorn does, so that it is entered and left
in one task (an anyio cancel scope in a lifespan would refuse anything else) while requests run
in others on the same loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from benchmarks.asgi_driver import AsgiDriver, Exchange
from benchmarks.clock import CLOCK, PausableClock
from target_app.app import create_app
from target_app.settings import Settings
from target_app.state import AppState

Check = Callable[[Exchange, AppState], None]
# `with start_app(**settings) as app:` (the conftest fixture)
StartApp = Callable[..., AbstractContextManager["RunningApp"]]
DRAIN_TIMEOUT_S = 10.0


class HeldLifespan:
    """The app's lifespan, entered by `start` and left by `stop`, in a task between them."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> dict[str, Any]:
        """Run the start-up; returns the lifespan state (for the request scopes)."""
        ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        task = self._task = asyncio.create_task(self._hold(ready), name="benchmark-lifespan")
        first: list[asyncio.Future[Any]] = [ready, task]
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            task.result()  # start-up failed: raise its exception
            raise RuntimeError("the lifespan ended during start-up")
        return ready.result()

    async def stop(self) -> None:
        """Run the shutdown (the app's drain included); re-raises what it raised."""
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _hold(self, ready: asyncio.Future[dict[str, Any]]) -> None:
        async with self.app.router.lifespan_context(self.app) as state:
            ready.set_result(dict(state or {}))
            await self._stop.wait()


@dataclass
class RunningApp:
    app: FastAPI
    driver: AsgiDriver
    clock: PausableClock = CLOCK

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.bgbench
        return state

    async def respond(self, target: str, check: Check) -> Exchange:
        """GET `target`, timed until its response is complete; the rest of the app call and
        `check` run outside the time."""
        exchange = await self.driver.get(target)
        with self.clock.excluding_from(exchange.completed_at):
            await self.settle(exchange, check)
        return exchange

    async def settle(self, exchange: Exchange, check: Check) -> None:
        """Let the exchange's background work end, wherever it runs, then check it: the next
        round starts from a quiet app, and a broken path fails the benchmark."""
        await exchange.finish()
        # Executor and process-pool work is not part of the app call; the ledger sees it end.
        idle = await asyncio.to_thread(self.state.ledger.wait_until_idle, DRAIN_TIMEOUT_S)
        assert idle, f"{exchange.target}: background work still running after {DRAIN_TIMEOUT_S} s"
        check(exchange, self.state)


@contextmanager
def running_app(loop: asyncio.AbstractEventLoop, settings: Settings) -> Iterator[RunningApp]:
    """The app, started on `loop`; at exit it is shut down and must have lost no task."""
    app = create_app(settings)
    lifespan = HeldLifespan(app)
    lifespan_state = loop.run_until_complete(lifespan.start())
    running = RunningApp(app, AsgiDriver(app, lifespan_state))
    try:
        yield running
    finally:
        loop.run_until_complete(lifespan.stop())
    report = running.state.shutdown_report
    assert report is not None, "the lifespan did not run its shutdown"
    assert report["drained"], f"shutdown did not drain: {report}"
    lost = report["not_run_at_shutdown"] + report["unfinished_at_shutdown"]
    assert lost == 0, f"tasks lost at shutdown: {report}"
