"""Requests whose background work really runs (1 ms of sleep or of pure-Python CPU), timed as
their users see them; each round then waits for the work to end and checks it was done, outside
the time, so rounds never pile up.

Two groups per workload, the same five paths in each (`baseline` dispatches nothing: the
control; `inline` does the work before answering):
- `background-<workload>-1ms-response`: the request that dispatches the work, until its response
  is complete.
- `background-<workload>-1ms-next-request`: a /baseline request arriving the moment that response
  is complete, while the work runs: what work after the response costs the next user (an async
  task holds the event loop; a thread holds the GIL).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from benchmarks.asgi_driver import Exchange
from benchmarks.async_benchmark import AsyncBenchmark
from benchmarks.checks import DISPATCH_STRATEGIES, HELLO, dispatched, json_body
from benchmarks.running_app import Check, RunningApp

WORK_MS = 1.0


def cases(timed: str) -> list[Any]:
    """Every workload and route, each in its group: declared, so `-k <group>` selects it."""
    return [
        pytest.param(
            workload,
            route,
            id=f"{workload}-{route}",
            marks=pytest.mark.benchmark(group=f"background-{workload}-{WORK_MS:g}ms-{timed}"),
        )
        for workload in ("sleep", "cpu")
        for route in ("baseline", *DISPATCH_STRATEGIES)
    ]


def _request(route: str, workload: str) -> tuple[str, Check]:
    if route == "baseline":
        return "/baseline", json_body(HELLO)
    target = f"/{route}?workload={workload}&ms={WORK_MS:g}"
    return target, dispatched(DISPATCH_STRATEGIES[route], workload, WORK_MS)


@pytest.mark.parametrize(("workload", "route"), cases("response"))
def test_dispatching_request(
    async_benchmark: AsyncBenchmark, app: RunningApp, workload: str, route: str
) -> None:
    async_benchmark(app.respond, *_request(route, workload))


async def _next_request(app: RunningApp, target: str, check: Check) -> Exchange:
    started = time.perf_counter()
    first = await app.driver.get(target)
    second = await app.driver.get("/baseline")
    # The next user sends as the first response completes; the first request only sets the
    # scene. If the loop is still busy with the first one's work, the wait counts.
    app.clock.exclude(started, first.completed_at)
    with app.clock.excluding_from(second.completed_at):
        await app.settle(first, check)
        await app.settle(second, json_body(HELLO))
    return second


@pytest.mark.parametrize(("workload", "route"), cases("next-request"))
def test_next_request(
    async_benchmark: AsyncBenchmark, app: RunningApp, workload: str, route: str
) -> None:
    async_benchmark(_next_request, app, *_request(route, workload))
