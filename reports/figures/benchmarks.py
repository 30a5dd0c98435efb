"""pytest-benchmark results: the median of each benchmark as a bar, its interquartile range
as the error bar, grouped as pytest-benchmark grouped them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.style import distinct_colours, new_figure

GROUP_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
DECADES_FOR_LOG = 2.0  # a log axis once the medians span more than this many decades


@dataclass(frozen=True, slots=True)
class BenchmarkStat:
    name: str
    median_s: float
    q1_s: float
    q3_s: float


@dataclass(frozen=True, slots=True)
class BenchmarkGroup:
    name: str
    stats: Sequence[BenchmarkStat]


def benchmark_bars(title: str, groups: Sequence[BenchmarkGroup]) -> Figure:
    rows = [(group_index, stat) for group_index, g in enumerate(groups) for stat in g.stats]
    figure, (axes,) = new_figure(width=9, height=1.6 + 0.35 * len(rows))
    # Past the palette's end a group takes a shade of an earlier group's colour, not the same.
    colours = distinct_colours(
        [GROUP_COLOURS[i % len(GROUP_COLOURS)] for i in range(len(groups))], lambda c: c
    )
    for y, (group_index, stat) in enumerate(rows):
        median = stat.median_s * 1e6
        axes.barh(
            y,
            median,
            color=colours[group_index],
            xerr=[[median - stat.q1_s * 1e6], [stat.q3_s * 1e6 - median]],
            capsize=3,
        )
    medians = [stat.median_s for _, stat in rows]
    if min(medians) > 0 and max(medians) / min(medians) > 10**DECADES_FOR_LOG:
        axes.set_xscale("log")
    axes.set_yticks(range(len(rows)), [stat.name for _, stat in rows], fontsize="small")
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlabel("time per call (µs): median, error bar = interquartile range")
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(
        handles=[
            Line2D([], [], color=colour, linewidth=6, label=g.name)
            for g, colour in zip(groups, colours, strict=True)
        ],
        fontsize="small",
        title="group",
    )
    axes.set_title(title)
    return figure
