"""Colours, markers and the figure shell every figure shares, so a strategy has one colour
across the whole report and every figure is built the same way."""

from __future__ import annotations

import zlib

from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

STRATEGY_COLOURS = {
    "none": "#3b3b3b",
    "inline": "#5254a3",
    "background": "#1f77b4",
    "background_async": "#17becf",
    "background_blocking": "#d62728",
    "middleware_base": "#ff7f0e",
    "middleware_asgi": "#bcbd22",
    "chained": "#9467bd",
    "failing": "#e377c2",
    "failing_guarded": "#8c564b",
    "executor": "#2ca02c",
    "process_pool": "#006d5b",
    "queue": "#7b4173",
}
WORKLOAD_COLOURS = {
    "sleep": "#1f77b4",
    "cpu": "#d62728",
    "db": "#2ca02c",
    "http": "#ff7f0e",
    "email": "#9467bd",
    "upload": "#8c564b",
}
# Anything not listed still gets a stable colour: the same name, the same colour, every run.
_FALLBACK = ("#637939", "#843c39", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")

PERCENTILE_MARKERS = {"p50": "o", "p90": "s", "p99": "^", "p99_9": "D"}
PERCENTILE_LABELS = {"p50": "p50", "p90": "p90", "p99": "p99", "p99_9": "p99.9"}
FLAGGED_COLOUR = "#b0b0b0"
SATURATED_MARKER = "X"


def _stable(name: str) -> str:
    return _FALLBACK[zlib.crc32(name.encode()) % len(_FALLBACK)]


def strategy_colour(strategy: str) -> str:
    return STRATEGY_COLOURS.get(strategy) or _stable(strategy)


def workload_colour(workload: str) -> str:
    return WORKLOAD_COLOURS.get(workload) or _stable(workload)


def new_figure(
    rows: int = 1, columns: int = 1, width: float = 8.0, height: float = 4.5, sharex: bool = False
) -> tuple[Figure, list[Axes]]:
    """A figure that belongs to no pyplot state (nothing to close, nothing global), with
    constrained layout so labels never overlap."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=sharex).ravel().tolist()
    return figure, axes


class _PlainLogFormatter(LogFormatter):
    """Plain numbers (0.5, 2, 300) on a log axis, on the ticks matplotlib would label; its
    default writes 10^x, which nobody reads as milliseconds at a glance."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:g}" if super().__call__(x, pos) else ""


MIN_SPAN = 3.0  # a latency axis shows at least this factor, so noise does not look like a trend


def _widen(axes: Axes, axis: str) -> None:
    low, high = axes.get_ylim() if axis == "y" else axes.get_xlim()
    if low <= 0 or high / low >= MIN_SPAN:
        return
    centre = (low * high) ** 0.5
    limits = (centre / MIN_SPAN**0.5, centre * MIN_SPAN**0.5)
    if axis == "y":
        axes.set_ylim(limits)
    else:
        axes.set_xlim(limits)


def latency_axis(axes: Axes, label: str, axis: str = "y") -> None:
    """A log-scaled latency axis in milliseconds: latencies here span several decades."""
    _widen(axes, axis)
    scale: Axis
    if axis == "y":
        axes.set_yscale("log")
        axes.set_ylabel(f"{label} (ms)")
        scale = axes.yaxis
    else:
        axes.set_xscale("log")
        axes.set_xlabel(f"{label} (ms)")
        scale = axes.xaxis
    scale.set_major_formatter(_PlainLogFormatter(labelOnlyBase=False))
    scale.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    axes.grid(True, which="major", alpha=0.3)


def ms(us: float) -> float:
    return us / 1000.0
