"""What the app's own measuring costs: one HDR recording (`hdr-record`; the ledger makes six
per task), and rendering what it measured, as functions (`metrics-render`) and as the
/metrics route in both formats (`metrics-route`).

The rendering is measured for an app that has run 1,000 tasks of one kind (one
strategy/workload key, as in one sweep cell; the cost grows with each key), with the same
timings in every run: queue waits of 1-50 ms and run times of 10 ms to 1 s. Summing up a
histogram walks its buckets up to the highest percentile asked for, so the cost depends on
how large the values are, not only on how many. The app's event-loop monitor is idle here:
between benchmark calls the loop stands still, and the lags it would record are artifacts of
that, larger every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.asgi_driver import Exchange
from benchmarks.async_benchmark import AsyncBenchmark
from benchmarks.benchmark_api import Benchmark
from benchmarks.checks import status_is, text_body
from benchmarks.running_app import RunningApp, StartApp
from bgbench import hdr
from bgbench.prometheus import prometheus_text
from target_app import metrics
from target_app.state import AppState

KEY = "background/sleep"
TASKS = 1_000
LOOP_MONITOR_IDLE_S = 3_600.0
VALUE_US = 1_234.4


@pytest.fixture(scope="module")
def measured_app(start_app: StartApp) -> Iterator[RunningApp]:
    with start_app(loop_monitor_interval_s=LOOP_MONITOR_IDLE_S) as app:
        ledger = app.state.ledger
        for i in range(TASKS):
            task_id = ledger.enqueue(KEY, "benchmark")
            record = ledger.get(task_id)
            assert record is not None
            started = record.enqueued_at + (1 + i % 50) / 1e3
            ledger.start(task_id, at=started)
            ledger.finish(task_id, at=started + (1 + i % 100) / 1e2)
        yield app


@pytest.mark.benchmark(group="hdr-record")
def test_record_us(benchmark: Benchmark) -> None:
    histogram = hdr.new_histogram()
    benchmark(hdr.record_us, histogram, VALUE_US)
    assert histogram.get_total_count() > 0
    assert histogram.get_min_value() == histogram.get_max_value() == round(VALUE_US)


@pytest.mark.benchmark(group="hdr-record")
def test_record_value(benchmark: Benchmark) -> None:
    """The HdrHistogram call underneath, for what record_us's clamping adds."""
    histogram = hdr.new_histogram()
    benchmark(histogram.record_value, round(VALUE_US))
    assert histogram.get_total_count() > 0
    assert histogram.get_min_value() == histogram.get_max_value() == round(VALUE_US)


def _gauges(loop: asyncio.AbstractEventLoop, state: AppState) -> dict[str, int]:
    # The gauges read the running loop's thread limiter; the rest of a snapshot needs no loop.
    async def read() -> dict[str, int]:
        return metrics.gauges(state)

    return loop.run_until_complete(read())


def _assert_snapshot(snapshot: dict[str, Any]) -> None:
    assert snapshot["tasks"][KEY]["completed"] >= TASKS, snapshot["tasks"]


@pytest.mark.benchmark(group="metrics-render")
def test_snapshot(
    benchmark: Benchmark, benchmark_loop: asyncio.AbstractEventLoop, measured_app: RunningApp
) -> None:
    gauges = _gauges(benchmark_loop, measured_app.state)
    snapshot = benchmark(metrics.snapshot, measured_app.state, gauges)
    _assert_snapshot(snapshot)


@pytest.mark.benchmark(group="metrics-render")
def test_prometheus_text(
    benchmark: Benchmark, benchmark_loop: asyncio.AbstractEventLoop, measured_app: RunningApp
) -> None:
    snapshot = metrics.snapshot(measured_app.state, _gauges(benchmark_loop, measured_app.state))
    text = benchmark(prometheus_text, snapshot)
    assert f'bgbench_tasks_total{{key="{KEY}",outcome="completed"}}'.encode() in text


def _metrics_json(exchange: Exchange, _state: AppState) -> None:
    status_is(exchange, 200)
    _assert_snapshot(exchange.json())


@pytest.mark.benchmark(group="metrics-route")
def test_metrics_json(async_benchmark: AsyncBenchmark, measured_app: RunningApp) -> None:
    async_benchmark(measured_app.respond, "/metrics", _metrics_json)


@pytest.mark.benchmark(group="metrics-route")
def test_metrics_prometheus(async_benchmark: AsyncBenchmark, measured_app: RunningApp) -> None:
    check = text_body("text/plain", f'bgbench_tasks_total{{key="{KEY}",outcome="completed"}}')
    async_benchmark(measured_app.respond, "/metrics?format=prometheus", check)
