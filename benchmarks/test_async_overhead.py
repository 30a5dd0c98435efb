"""What awaiting costs before the coroutine does anything (group `async-overhead`): a call
through `async_benchmark` (one `run_until_complete` on the persistent loop: the floor under
every async benchmark in this suite) against `asyncio.run` around each call, the usual
workaround, which starts and closes a loop every time."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.async_benchmark import AsyncBenchmark
from benchmarks.benchmark_api import Benchmark

pytestmark = pytest.mark.benchmark(group="async-overhead")

ANSWER = 42


async def answer() -> int:
    return ANSWER


def test_persistent_loop(async_benchmark: AsyncBenchmark) -> None:
    assert async_benchmark(answer) == ANSWER


def test_asyncio_run_per_call(benchmark: Benchmark) -> None:
    assert benchmark(lambda: asyncio.run(answer())) == ANSWER
