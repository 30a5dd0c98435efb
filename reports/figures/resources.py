"""The server's memory and open files second by second, one line per cell: whether they level
off, which only a long cell (a soak) can show. Cells whose growth did not level off
(`memory_growth`, `fd_growth`) are drawn dashed and say so in the legend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bgbench.results.model import TimeSeries
from reports.figures.timeseries import on_every_second
from reports.style import legend_outside, new_figure

# Each panel: its column, its y label, and the flag that says it kept growing.
PANELS = (
    ("server_rss_mib", "RSS of the server's processes (MiB)", "memory_growth"),
    ("server_open_fds", "open file descriptors", "fd_growth"),
)


@dataclass(frozen=True, slots=True)
class ResourceLine:
    label: str
    colour: str
    series: TimeSeries
    flags: tuple[str, ...]  # the cell's flags: which of its lines kept growing


def _panel(axes: Axes, lines: Sequence[ResourceLine], column: str, label: str, flag: str) -> None:
    drawn = False
    for line in lines:
        values = on_every_second(line.series)
        measured = values.get(column)
        if measured is None or bool(np.isnan(measured).all()):
            continue
        grows = flag in line.flags
        axes.plot(
            values["t_s"],
            measured,
            color=line.colour,
            linestyle="--" if grows else "-",
            label=f"{line.label} (grows: {flag})" if grows else line.label,
        )
        drawn = True
    axes.set_ylabel(label)
    axes.grid(True, alpha=0.3)
    legend_outside(axes, drawn)


def server_resources(title: str, lines: Sequence[ResourceLine]) -> Figure:
    figure, panels = new_figure(len(PANELS), 1, width=10, height=6, sharex=True)
    for axes, (column, label, flag) in zip(panels, PANELS, strict=True):
        _panel(axes, lines, column, label, flag)
    panels[-1].set_xlabel("second of the measured phase (s)")
    figure.suptitle(title)
    return figure
