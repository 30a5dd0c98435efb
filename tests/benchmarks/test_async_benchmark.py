"""The async benchmark fixture, run by pytest itself on small benchmark files (pytester)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.clock import CLOCK

pytest_plugins = ["pytester"]

# Small budgets: these runs check behaviour, not speed.
FAST = ("--benchmark-max-time=0.02", "--benchmark-min-rounds=7")

COUNTING = """
import asyncio
from pathlib import Path

CALLS = []


async def count_call():
    CALLS.append(asyncio.get_running_loop())
    await asyncio.sleep(0)  # really suspends: only a running loop gets it to the end
    return len(CALLS)


def test_first(async_benchmark, benchmark):
    assert async_benchmark(count_call) == len(CALLS)
    benchmark.extra_info["calls"] = len(CALLS)
    Path("calls.txt").write_text(str(len(CALLS)))


def test_second(async_benchmark, benchmark_loop):
    async_benchmark(count_call)
    assert {id(loop) for loop in CALLS} == {id(benchmark_loop)}
"""


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest(
        "-p", "benchmarks.async_benchmark", "-p", "no:cacheprovider", "-W", "error", *args
    )


def _benchmarks(path: Path) -> dict[str, dict[str, Any]]:
    return {bench["name"]: bench for bench in json.loads(path.read_text())["benchmarks"]}


def test_the_coroutine_is_awaited_once_per_round_and_warm_up_call(
    pytester: pytest.Pytester,
) -> None:
    result = _run(pytester, COUNTING, *FAST, "--benchmark-json=out.json")
    result.assert_outcomes(passed=2)
    first = _benchmarks(pytester.path / "out.json")["test_first"]
    stats = first["stats"]
    assert stats["iterations"] == 1
    assert stats["rounds"] >= 7
    timed_calls = stats["rounds"] * stats["iterations"]
    assert first["extra_info"]["calls"] == first["extra_info"]["warmup_calls"] + timed_calls


def test_one_loop_serves_every_call_of_every_test(pytester: pytest.Pytester) -> None:
    # test_second asserts that its calls and test_first's all ran on the session's loop.
    _run(pytester, COUNTING, *FAST).assert_outcomes(passed=2)


def test_disabled_the_coroutine_still_runs_exactly_once(pytester: pytest.Pytester) -> None:
    result = _run(pytester, COUNTING, "--benchmark-disable", "-k", "test_first")
    result.assert_outcomes(passed=1, deselected=1)
    assert (pytester.path / "calls.txt").read_text() == "1"


EXCEPTIONS = """
import asyncio


class Boom(Exception):
    pass


async def explode():
    await asyncio.sleep(0)
    raise Boom("raised by the coroutine")


def test_fails(async_benchmark):
    async_benchmark(explode)
"""


@pytest.mark.parametrize("mode", [(), ("--benchmark-disable",)], ids=["timed", "disabled"])
def test_an_exception_in_the_coroutine_fails_the_benchmark(
    pytester: pytest.Pytester, mode: tuple[str, ...]
) -> None:
    result = _run(pytester, EXCEPTIONS, *FAST, *mode)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Boom: raised by the coroutine*"])
    assert "never awaited" not in result.stdout.str()


EXCLUDING = """
import asyncio
import time

import pytest

from benchmarks.clock import CLOCK

WAIT_S = 0.02


async def wait(excluded):
    started = time.perf_counter()
    if excluded:
        with CLOCK.excluding_from(started):
            await asyncio.sleep(WAIT_S)
    else:
        await asyncio.sleep(WAIT_S)


@pytest.mark.benchmark(group="kept")
def test_excluded(async_benchmark):
    async_benchmark(wait, True)


def test_timed(async_benchmark):
    async_benchmark(wait, False)
"""


def test_excluded_stretches_are_left_out_and_marker_options_kept(
    pytester: pytest.Pytester,
) -> None:
    result = _run(pytester, EXCLUDING, *FAST, "--benchmark-json=out.json")
    result.assert_outcomes(passed=2)
    benchmarks = _benchmarks(pytester.path / "out.json")
    excluded, timed = benchmarks["test_excluded"], benchmarks["test_timed"]
    assert excluded["stats"]["median"] < 0.005
    assert timed["stats"]["median"] >= 0.02
    assert excluded["group"] == "kept"
    assert excluded["options"]["timer"] == timed["options"]["timer"] == str(CLOCK)
