"""One cell second by second: rate, response latency, backlog and completion lag, to show a
backlog building or a stall that a whole-cell percentile averages away."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bgbench.results.model import FloatArray, TimeSeries
from reports.style import latency_axis, legend_outside, new_figure

# Each panel: its columns (name, legend label, colour), its y label, and whether it is a
# latency. Every column its own colour, though each panel has its own legend: one figure, so
# p99 in one panel is never the colour of the backlog below it.
Column = tuple[str, str, str]
PANELS: tuple[tuple[tuple[Column, ...], str, bool], ...] = (
    (
        (("offered_rps", "offered", "#1f77b4"), ("achieved_rps", "achieved", "#ff7f0e")),
        "rate (requests/s)",
        False,
    ),
    (
        (
            ("p50_us", "p50", "#2ca02c"),
            ("p99_us", "p99", "#d62728"),
            ("p99_corrected_us", "p99 corrected", "#9467bd"),
        ),
        "response latency",
        True,
    ),
    (
        (
            ("backlog", "backlog (queued + running)", "#8c564b"),
            ("executor_queue_depth", "executor queue", "#e377c2"),
        ),
        "tasks",
        False,
    ),
    (
        (
            ("completion_lag_p50_us", "lag p50", "#bcbd22"),
            ("completion_lag_p99_us", "lag p99", "#17becf"),
            ("event_loop_lag_p99_us", "event-loop lag p99", "#393b79"),
        ),
        "completion / loop lag",
        True,
    ),
)


def on_every_second(series: TimeSeries) -> dict[str, FloatArray]:
    """The columns on a grid of every second, NaN where a second has no row, so a line
    breaks at a gap instead of bridging it."""
    seconds = series.columns["t_s"].astype(np.int64)
    grid = np.arange(int(seconds.max()) + 1 if seconds.size else 0)
    columns = {}
    for name, values in series.columns.items():
        filled = np.full(grid.size, np.nan)
        filled[seconds] = values
        columns[name] = filled
    columns["t_s"] = grid.astype(np.float64)
    return columns


def _panel(
    axes: Axes,
    columns: dict[str, FloatArray],
    drawn_columns: tuple[Column, ...],
    label: str,
    latency: bool,
) -> None:
    seconds = columns["t_s"]
    drawn = False
    for name, legend, colour in drawn_columns:
        values = columns.get(name)
        if values is None or bool(np.isnan(values).all()):
            continue
        axes.plot(
            seconds, values / 1000 if latency else values, marker=".", color=colour, label=legend
        )
        drawn = True
    # The drain: the load has stopped (offered 0) and the backlog empties.
    offered = columns.get("offered_rps")
    drain = seconds[offered == 0] if offered is not None else seconds[:0]
    if drain.size:
        axes.axvspan(drain.min() - 0.5, drain.max() + 0.5, color="#eeeeee", label="drain")
    if latency:
        latency_axis(axes, label)
    else:
        axes.set_ylabel(label)
        axes.grid(True, alpha=0.3)
    legend_outside(axes, drawn)


def cell_timeseries(title: str, series: TimeSeries) -> Figure:
    figure, panels = new_figure(len(PANELS), 1, width=10, height=9, sharex=True)
    columns = on_every_second(series)
    for axes, (drawn_columns, label, latency) in zip(panels, PANELS, strict=True):
        _panel(axes, columns, drawn_columns, label, latency)
    panels[-1].set_xlabel("second of the measured phase (s)")
    figure.suptitle(title)
    return figure
