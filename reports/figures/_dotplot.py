"""The percentile dot plot the latency figures share: one row per variant, one marker per
percentile, a line from p50 to p99.9 so the tail's length shows at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bgbench.results.model import Summary
from reports.style import (
    FLAGGED_COLOUR,
    PERCENTILE_LABELS,
    PERCENTILE_MARKERS,
    latency_axis,
    ms,
)


def draw_row(axes: Axes, y: float, summary: Summary, colour: str, *, filled: bool = True) -> None:
    values = [ms(summary.percentile(name)) for name in PERCENTILE_MARKERS]
    axes.plot(values, [y] * len(values), color=colour, linewidth=1.2, alpha=0.6)
    for name, value in zip(PERCENTILE_MARKERS, values, strict=True):
        axes.plot(
            [value],
            [y],
            marker=PERCENTILE_MARKERS[name],
            color=colour,
            markerfacecolor=colour if filled else "white",
            markersize=7,
            linestyle="none",
        )


def label_rows(axes: Axes, labels: Sequence[str], flagged: Sequence[bool]) -> None:
    """Variants top to bottom in the order given; flagged ones greyed in their label too."""
    axes.set_yticks(range(len(labels)), labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    for tick, is_flagged in zip(axes.get_yticklabels(), flagged, strict=True):
        if is_flagged:
            tick.set_color(FLAGGED_COLOUR)


def finish(
    figure: Figure,
    axes: Axes,
    title: str,
    labels: Sequence[str],
    flagged: Sequence[bool],
    handles: Sequence[Line2D],
) -> Figure:
    """The latency axis, the rows' labels, the title and the legend every dot plot has."""
    latency_axis(axes, "response latency", axis="x")
    label_rows(axes, labels, flagged)
    axes.set_title(title)
    # Below the axes: inside, it would hide the slowest rows' tails.
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small")
    return figure


def percentile_handles(colour: str = "black") -> list[Line2D]:
    return [
        Line2D([], [], marker=marker, color=colour, linestyle="none", label=PERCENTILE_LABELS[name])
        for name, marker in PERCENTILE_MARKERS.items()
    ]
