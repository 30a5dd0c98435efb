from __future__ import annotations

from matplotlib.colors import to_hex
from matplotlib.lines import Line2D

from reports.figures.benchmarks import (
    GROUP_COLOURS,
    BenchmarkGroup,
    BenchmarkStat,
    benchmark_bars,
)


def _figure(*medians_s: float) -> list[str]:
    stats = [BenchmarkStat(f"b{i}", m, m * 0.9, m * 1.1) for i, m in enumerate(medians_s)]
    (axes,) = benchmark_bars("t", [BenchmarkGroup("g", stats)]).axes
    return [axes.get_xscale(), axes.get_xlabel()]


def test_linear_until_the_medians_span_decades() -> None:
    assert _figure(2e-6, 4e-6)[0] == "linear"
    assert _figure(2e-6, 3e-4)[0] == "log"
    assert _figure(2e-6)[1].startswith("time per call (µs)")


def test_every_group_its_own_colour_past_the_palettes_end() -> None:
    groups = [
        BenchmarkGroup(f"g{i}", [BenchmarkStat("b", 2e-6, 1e-6, 3e-6)])
        for i in range(len(GROUP_COLOURS) + 3)
    ]
    (axes,) = benchmark_bars("t", groups).axes
    bars = [to_hex(patch.get_facecolor()) for patch in axes.patches]
    assert len(set(bars)) == len(groups)
    legend = axes.get_legend()
    assert legend is not None
    handles = [h for h in legend.legend_handles if isinstance(h, Line2D)]
    assert [to_hex(h.get_color()) for h in handles] == bars
