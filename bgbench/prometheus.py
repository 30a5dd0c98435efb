"""A metrics snapshot (the target app's /metrics, or an instrumented app's) as Prometheus text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bgbench import hdr
from bgbench.ledger import COUNTERS, TIMINGS


class _SnapshotCollector(Collector):
    """Exposes one JSON snapshot; percentiles become gauges with a `quantile` label (HDR
    percentiles are exact, so a Summary would only re-estimate them)."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        tasks = self.snapshot["tasks"]
        outcomes = CounterMetricFamily(
            "bgbench_tasks", "Background tasks by key and outcome.", labels=["key", "outcome"]
        )
        for key, task in tasks.items():
            for counter in COUNTERS:
                outcomes.add_metric([key, counter], task[counter])
        yield outcomes
        for timing in TIMINGS:
            name = timing.removesuffix("_us")
            family = GaugeMetricFamily(
                f"bgbench_task_{name}_seconds",
                f"Background task {name.replace('_', ' ')}, percentiles.",
                labels=["key", "quantile"],
            )
            for key, task in tasks.items():
                for label, quantile in hdr.PERCENTILES.items():
                    family.add_metric([key, f"{quantile / 100:g}"], task[timing][label] / 1e6)
            yield family
        for gauge, value in self.snapshot["gauges"].items():
            yield GaugeMetricFamily(f"bgbench_{gauge}", gauge.replace("_", " "), value=value)
        if "event_loop_lag_us" not in self.snapshot:  # an instrumented app does not measure it
            return
        lag = GaugeMetricFamily(
            "bgbench_event_loop_lag_seconds",
            "How late the event loop wakes up.",
            labels=["quantile"],
        )
        for label, quantile in hdr.PERCENTILES.items():
            lag.add_metric([f"{quantile / 100:g}"], self.snapshot["event_loop_lag_us"][label] / 1e6)
        yield lag


def prometheus_text(snapshot: dict[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)
