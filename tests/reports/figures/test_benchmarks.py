from __future__ import annotations

from reports.figures.benchmarks import BenchmarkGroup, BenchmarkStat, benchmark_bars


def _figure(*medians_s: float) -> list[str]:
    stats = [BenchmarkStat(f"b{i}", m, m * 0.9, m * 1.1) for i, m in enumerate(medians_s)]
    (axes,) = benchmark_bars("t", [BenchmarkGroup("g", stats)]).axes
    return [axes.get_xscale(), axes.get_xlabel()]


def test_linear_until_the_medians_span_decades() -> None:
    assert _figure(2e-6, 4e-6)[0] == "linear"
    assert _figure(2e-6, 3e-4)[0] == "log"
    assert _figure(2e-6)[1].startswith("time per call (µs)")
