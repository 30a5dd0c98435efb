"""p50 and p99 response latency and p99 completion lag against the worker limit: one line per
workload (executor threads), or one per kind of worker (executor threads, process-pool
processes, Celery worker processes) for one workload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from reports.style import SATURATED_MARKER, latency_axis, ms, new_figure


@dataclass(frozen=True, slots=True)
class WorkerPoint:
    workers: int
    p50_us: float
    p99_us: float
    lag_p99_us: float | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class WorkerLine:
    label: str
    colour: str
    points: Sequence[WorkerPoint]


PANELS = (
    ("p50_us", "p50 response latency"),
    ("p99_us", "p99 response latency"),
    ("lag_p99_us", "p99 completion lag"),
)


def _panel(axes: Axes, lines: Sequence[WorkerLine], field: str, label: str) -> None:
    for line in lines:
        measured = [(p.workers, getattr(p, field), p.flagged) for p in line.points]
        measured = [(w, v, f) for w, v, f in measured if v is not None]
        trusted = [(w, ms(v)) for w, v, f in measured if not f]
        flagged = [(w, ms(v)) for w, v, f in measured if f]
        if trusted:
            axes.plot(*zip(*trusted, strict=True), marker="o", color=line.colour, label=line.label)
        if flagged:
            axes.plot(
                *zip(*flagged, strict=True),
                marker=SATURATED_MARKER,
                markersize=9,
                color=line.colour,
                linestyle="none",
            )
    workers = sorted({p.workers for line in lines for p in line.points})
    axes.set_xscale("log", base=2)
    axes.set_xticks(workers, [str(w) for w in workers])
    axes.xaxis.set_minor_locator(NullLocator())
    axes.set_xlabel("worker limit (threads, processes or Celery workers)")
    latency_axis(axes, label)


def latency_vs_workers(title: str, lines: Sequence[WorkerLine]) -> Figure:
    figure, panels = new_figure(1, len(PANELS), width=13, height=4.2)
    for axes, (field, label) in zip(panels, PANELS, strict=True):
        _panel(axes, lines, field, label)
    handles = [Line2D([], [], marker="o", color=line.colour, label=line.label) for line in lines]
    if any(p.flagged for line in lines for p in line.points):
        handles.append(
            Line2D(
                [],
                [],
                marker=SATURATED_MARKER,
                color="black",
                linestyle="none",
                label="flagged: not trusted",
            )
        )
    panels[0].legend(handles=handles, fontsize="small")
    figure.suptitle(title)
    return figure
