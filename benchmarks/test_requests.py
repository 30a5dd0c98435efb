"""One request through the app, in process, timed until its response is complete: what each
route and each middleware mode costs the user before any work is done (`ms=0`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from benchmarks.asgi_driver import AsgiDriver, Exchange
from benchmarks.async_benchmark import AsyncBenchmark
from benchmarks.checks import (
    DISPATCH_STRATEGIES,
    HELLO,
    dispatched,
    json_body,
    one_task_done_per_request,
)
from benchmarks.running_app import Check, RunningApp, StartApp
from target_app.settings import MiddlewareMode


def _route_check(route: str) -> Check:
    if route in DISPATCH_STRATEGIES:
        return dispatched(DISPATCH_STRATEGIES[route], "sleep", 0.0)
    return json_body(HELLO)


@pytest.mark.benchmark(group="request-route")
@pytest.mark.parametrize("route", ["baseline", "baseline-sync", *DISPATCH_STRATEGIES])
def test_route(async_benchmark: AsyncBenchmark, app: RunningApp, route: str) -> None:
    target = f"/{route}?workload=sleep&ms=0" if route in DISPATCH_STRATEGIES else f"/{route}"
    async_benchmark(app.respond, target, _route_check(route))


def _bare_fastapi() -> FastAPI:
    """The reference: FastAPI's hello world, nothing else (no lifespan, no state)."""
    bare = FastAPI()

    @bare.get("/baseline")
    async def baseline() -> dict[str, str]:
        return HELLO

    return bare


async def _get_hello(driver: AsgiDriver) -> Exchange:
    exchange = await driver.get("/baseline")
    await exchange.finish()
    assert (exchange.status, exchange.json()) == (200, HELLO), exchange.body
    return exchange


@pytest.mark.benchmark(group="request-route")
def test_bare_fastapi(async_benchmark: AsyncBenchmark) -> None:
    """The same /baseline from a bare FastAPI app: what the target app's instrumentation,
    routers and running services cost a request that uses none of them."""
    async_benchmark(_get_hello, AsgiDriver(_bare_fastapi(), {}))


@pytest.fixture(scope="module", params=list(MiddlewareMode), ids=str)
def middleware_app(request: pytest.FixtureRequest, start_app: StartApp) -> Iterator[RunningApp]:
    """The app in each middleware mode; its middleware task is a zero-length sleep."""
    with start_app(middleware=request.param) as running:
        yield running


@pytest.mark.benchmark(group="request-middleware")
def test_middleware(async_benchmark: AsyncBenchmark, middleware_app: RunningApp) -> None:
    """/baseline, plus whatever the middleware adds: its wrapper, and the task it attaches."""
    state = middleware_app.state
    mode = state.settings.middleware
    check = json_body(HELLO)
    if mode is not MiddlewareMode.NONE:
        check = one_task_done_per_request(state, f"middleware_{mode.value}/sleep", check)
    async_benchmark(middleware_app.respond, "/baseline", check)


@pytest.mark.benchmark(group="request-middleware-untracked")
def test_middleware_untracked(async_benchmark: AsyncBenchmark, middleware_app: RunningApp) -> None:
    """/healthz, which the middleware lets through without a task: its wrapper alone."""
    async_benchmark(middleware_app.respond, "/healthz", json_body({"status": "ok"}))
