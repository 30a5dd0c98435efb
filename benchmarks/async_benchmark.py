"""pytest-benchmark for coroutines: `async_benchmark(fn, *args)` times `await fn(*args)`.

pytest-benchmark does not await (its issue #66): given a coroutine function it times only the
creation of the coroutine, and `asyncio.run` around each call adds a new event loop's start-up
and shutdown (140-200 µs) to every round. Here every call runs on one event loop that lives for
the whole session (`benchmark_loop`), so an app started on it keeps its lifespan, thread pool
and connections from round to round; a call costs one `run_until_complete` (see the
`async-overhead` group for what that adds).

Each round is one awaited call (a coroutine takes tens of microseconds at least, far above the
timer's resolution), timed with `benchmarks.clock.CLOCK`, so a benchmark can leave out what its
user does not wait for (background work, draining). Since left-out time still passes, the number
of rounds is planned from wall time: an untimed warm-up measures a call, then enough rounds are
run to fill --benchmark-max-time (at least --benchmark-min-rounds). With --benchmark-disable the
coroutine runs exactly once, untimed, so a broken benchmark still fails.

A pytest plugin: benchmarks/conftest.py re-exports it; elsewhere, `-p benchmarks.async_benchmark`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, NoReturn, ParamSpec, TypeVar

import pytest

from benchmarks.benchmark_api import Benchmark
from benchmarks.clock import CLOCK

P = ParamSpec("P")
T = TypeVar("T")

FIXTURE = "async_benchmark"
MIN_WARMUP_CALLS = 3
WARMUP_SHARE = 0.1  # of --benchmark-max-time, spent warming up and estimating a call


class AsyncBenchmark:
    def __init__(
        self,
        benchmark: Benchmark,
        loop: asyncio.AbstractEventLoop,
        *,
        max_time_s: float,
        min_rounds: int,
    ) -> None:
        self.benchmark = benchmark
        self.loop = loop
        self.max_time_s = max_time_s
        self.min_rounds = min_rounds

    @property
    def group(self) -> str | None:
        return self.benchmark.group

    @group.setter
    def group(self, name: str) -> None:
        self.benchmark.group = name

    def __call__(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Benchmark `await fn(*args, **kwargs)`; returns the result of the last call."""

        def call() -> T:
            return self.loop.run_until_complete(fn(*args, **kwargs))

        if self.benchmark.disabled:
            return self.benchmark.pedantic(call)
        try:
            rounds, warmup_calls = self._plan(call)
        except Exception as exc:
            # Fail through pytest-benchmark, as a failing round would: it then marks the
            # benchmark as failed rather than warning that the fixture went unused.
            return self.benchmark.pedantic(_reraise, args=(exc,))
        self.benchmark.extra_info["warmup_calls"] = warmup_calls
        return self.benchmark.pedantic(call, rounds=rounds, iterations=1)

    def _plan(self, call: Callable[[], object]) -> tuple[int, int]:
        """Warm up (untimed) and pick how many rounds fill the time budget, in wall time."""
        warmup_budget_s = self.max_time_s * WARMUP_SHARE
        calls = 0
        started = time.perf_counter()
        while calls < MIN_WARMUP_CALLS or time.perf_counter() - started < warmup_budget_s:
            call()
            calls += 1
        wall_per_call_s = (time.perf_counter() - started) / calls
        return max(self.min_rounds, math.ceil(self.max_time_s / wall_per_call_s)), calls


def _reraise(exc: Exception) -> NoReturn:
    raise exc


def _option(request: pytest.FixtureRequest, name: str) -> Any:
    """A pytest-benchmark option: the test's `benchmark` marker, else the command line."""
    marker = request.node.get_closest_marker("benchmark")
    if marker is not None and name in marker.kwargs:
        return marker.kwargs[name]
    return request.config.getoption(f"benchmark_{name}")


@pytest.fixture(scope="session")
def benchmark_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The one event loop of every async benchmark (asyncio's own, not uvloop: its
    `run_until_complete` costs 10-18 µs here against uvloop's ~29)."""
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


@pytest.fixture
def async_benchmark(
    benchmark: Benchmark, benchmark_loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest
) -> AsyncBenchmark:
    return AsyncBenchmark(
        benchmark,
        benchmark_loop,
        max_time_s=float(_option(request, "max_time")),
        min_rounds=int(_option(request, "min_rounds")),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Time every async benchmark with CLOCK. pytest-benchmark takes its timer from the
    closest `benchmark` marker only, so the test's own options are carried over into it."""
    for item in items:
        if FIXTURE not in getattr(item, "fixturenames", ()):
            continue
        marker = item.get_closest_marker("benchmark")
        options = {**(marker.kwargs if marker is not None else {}), "timer": CLOCK}
        item.add_marker(pytest.mark.benchmark(**options), append=False)
