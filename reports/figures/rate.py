"""Latency against offered rate per strategy, marking where each one saturates (achieved
less than 95% of what its schedule asked for, or the cell was flagged)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from bgbench.trust import SCHEDULE_SHARE as SATURATION_SHARE
from reports.style import SATURATED_MARKER, latency_axis, ms, new_figure


@dataclass(frozen=True, slots=True)
class RatePoint:
    offered_rps: float
    achieved_share: float  # achieved / scheduled rate
    p99_us: float
    saturated: bool


@dataclass(frozen=True, slots=True)
class RateLine:
    label: str
    colour: str
    points: Sequence[RatePoint]


def latency_vs_rate(title: str, lines: Sequence[RateLine]) -> Figure:
    # Tall enough for a legend of one line per strategy beside the plots.
    height = max(4.5, 0.24 * (len(lines) + 3))
    figure, (latency, achieved) = new_figure(1, 2, width=14, height=height)
    for line in lines:
        points = sorted(line.points, key=lambda p: p.offered_rps)
        offered = [p.offered_rps for p in points]
        latency.plot(
            offered, [ms(p.p99_us) for p in points], color=line.colour, marker="o", label=line.label
        )
        achieved.plot(offered, [p.achieved_share for p in points], color=line.colour, marker="o")
        saturated = [p for p in points if p.saturated]
        for axes, values in (
            (latency, [ms(p.p99_us) for p in saturated]),
            (achieved, [p.achieved_share for p in saturated]),
        ):
            axes.plot(
                [p.offered_rps for p in saturated],
                values,
                marker=SATURATED_MARKER,
                markersize=11,
                color=line.colour,
                linestyle="none",
            )
        if saturated:
            latency.axvline(saturated[0].offered_rps, color=line.colour, linestyle=":", linewidth=1)
    rates = sorted({p.offered_rps for line in lines for p in line.points})
    for axes in (latency, achieved):
        axes.set_xscale("log")
        axes.set_xlabel("offered rate (requests/s)")
        # The sweep's own rates as the ticks, written plainly: 25, 100, 400 rather than
        # matplotlib's 3×10¹ among minor ticks that collide.
        axes.xaxis.set_major_locator(FixedLocator(rates))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
        axes.xaxis.set_minor_locator(NullLocator())
    latency_axis(latency, "p99 response latency")
    achieved.axhline(SATURATION_SHARE, color="black", linestyle="--", linewidth=1)
    achieved.set_ylabel("achieved / scheduled rate (share)")
    achieved.set_ylim(0, 1.1)
    achieved.grid(True, alpha=0.3)
    handles, _ = latency.get_legend_handles_labels()
    handles.append(
        Line2D(
            [],
            [],
            marker=SATURATED_MARKER,
            color="black",
            linestyle="none",
            label=f"saturated (achieved < {SATURATION_SHARE:.0%}\nof scheduled, or flagged);\n"
            "dotted: the first such rate",
        )
    )
    # Beside the plots, not on them: a sweep easily has twenty strategies and worker limits.
    figure.legend(handles=handles, fontsize="small", loc="outside right upper")
    figure.suptitle(title)
    return figure
