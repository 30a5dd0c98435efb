"""Colours, markers and the figure shell every figure shares, so a strategy has one colour
family across the whole report, no two series of one figure share a colour, and every figure
is built the same way."""

from __future__ import annotations

import colorsys
import itertools
import zlib
from collections.abc import Callable, Iterator, Sequence

from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.colors import to_hex, to_rgb
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
    "celery": "#843c39",
    "queue": "#7b4173",
    "arq": "#ad494a",
    "dramatiq": "#8c6d31",
    "rq": "#e7969c",
    "taskiq": "#637939",
    "procrastinate": "#393b79",
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


# How far a family's shades reach: mixed with black up to the first, with white up to the
# second. Further, a dark shade loses its hue and a light one vanishes on white. Flagged
# series stay greys, nearer their own grey than to the dark grey of `none`.
SHADES = (0.5, 0.65)
FLAGGED_SHADES = (0.4, 0.45)
_FLAGGED = "\0flagged"  # the family of flagged series: a key no strategy can be called


def _mix(colour: str, tone: float) -> str:
    """`colour` mixed with black (tone below 0) or white (above 0) by the tone's size."""
    towards = 1.0 if tone > 0 else 0.0
    red, green, blue = (c + (towards - c) * abs(tone) for c in to_rgb(colour))
    return to_hex((red, green, blue))


def _shades(colour: str, count: int, darkest: float, lightest: float) -> list[str]:
    """`count` shades of `colour`, dark to light, evenly spaced from mixed with `darkest`
    black to mixed with `lightest` white; the one nearest the colour itself is the colour, so
    a strategy keeps its colour among its shades (and alone, it is just its colour)."""
    if count == 1:
        return [to_hex(colour)]
    tones = [-darkest + (darkest + lightest) * i / (count - 1) for i in range(count)]
    tones[min(range(count), key=lambda i: abs(tones[i]))] = 0.0
    return [_mix(colour, tone) for tone in tones]


def _spares() -> Iterator[str]:
    """Colours for a family or a shade whose colour is already taken in the figure: the
    fallback palette, then hues the golden ratio of a turn apart, which never come round to
    one another."""
    yield from _FALLBACK
    for i in itertools.count():
        red, green, blue = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.7, 0.75)
        yield to_hex((red, green, blue))


def _unused(colour: str, taken: set[str]) -> str:
    return colour if colour not in taken else next(c for c in _spares() if c not in taken)


def distinct_colours(families: Sequence[str], colour_of: Callable[[str], str]) -> list[str]:
    """One colour for each series of a figure, given the family each belongs to (its
    strategy, its workload), no two the same: a family with one series gets the family's
    colour, a family with several (executor ×1 and executor ×5) gets shades of it, dark to
    light in the order given. A family whose colour is taken here already (two new names
    whose fallback colours collide) moves to a spare one."""
    members: dict[str, list[int]] = {}
    for index, family in enumerate(families):
        members.setdefault(family, []).append(index)
    colours = [""] * len(families)
    taken: set[str] = set()
    for family, indices in members.items():
        flagged = family == _FLAGGED
        base = _unused(to_hex(FLAGGED_COLOUR if flagged else colour_of(family)), taken)
        shades = _shades(base, len(indices), *(FLAGGED_SHADES if flagged else SHADES))
        for index, shade in zip(indices, shades, strict=True):
            colours[index] = _unused(shade, taken)
            taken.add(colours[index])
    return colours


def strategy_colours(strategies: Sequence[str], flagged: Sequence[bool] | None = None) -> list[str]:
    """A colour per series of strategies (`distinct_colours`); flagged series are greys,
    whatever their strategy: grey means not trusted throughout the report."""
    marks = flagged if flagged is not None else [False] * len(strategies)
    families = [_FLAGGED if f else s for s, f in zip(strategies, marks, strict=True)]
    return distinct_colours(families, strategy_colour)


def workload_colours(workloads: Sequence[str]) -> list[str]:
    return distinct_colours(workloads, workload_colour)


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


def legend_outside(axes: Axes, drawn: bool) -> None:
    """The legend to the right of a time-series panel, or "not measured" across an empty one."""
    if drawn:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        axes.text(0.5, 0.5, "not measured", transform=axes.transAxes, ha="center", va="center")


def ms(us: float) -> float:
    return us / 1000.0
