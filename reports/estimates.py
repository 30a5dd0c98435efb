"""A point's percentiles, the one way: from the merged histogram of every request (or task, or
event-loop look) of its trusted cells, with the bootstrap over seconds for intervals; and a
percentile is only claimed where there are enough samples for it (`stats.claimable`).

Findings, the verdict and `compare` all ask here, so a number reads the same in each of them
and in the cells table (which shows the same merged histograms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bgbench.units import duration
from reports import analysis
from reports.analysis import Point
from reports.stats import Interval, Seconds, claimable, enough_seconds, quantile_change

# The percentiles tried, highest first, where a series may be too sparse for the p99 (the
# probe sends a few requests a second).
TAILS = (99.0, 90.0, 50.0)


@dataclass(frozen=True, slots=True)
class Level:
    """One percentile of one series over a point: `value` µs from `count` samples, of which
    the largest is `max`."""

    percentile: float
    value: float
    count: int
    max: float

    @property
    def claimed(self) -> bool:
        return claimable(self.count, self.percentile)

    def text(self) -> str:
        """`2.3 ms`, or where too few samples lie above it, the largest and the count."""
        if self.claimed:
            return duration(self.value)
        return f"max {duration(self.max)} of {self.count}"


def name(percentile: float) -> str:
    return f"p{percentile:g}"


def seconds(point: Point, series: str) -> Seconds | None:
    return analysis.seconds(point.trusted, series)


def level(point: Point, series: str, percentile: float) -> Level | None:
    found = seconds(point, series)
    if found is None:
        return None
    return Level(percentile, found.quantile(percentile), found.total, float(found.values[-1]))


def comparable(point: Point, series: str, percentile: float) -> bool:
    """The point has the seconds for an interval and the samples to claim the percentile."""
    found = seconds(point, series)
    return enough_seconds(found) and found is not None and claimable(found.total, percentile)


def change(
    before: Point, after: Point, series: str, percentile: float, *, relative: bool = False
) -> Interval | None:
    """after − before of the percentile, or None where either point lacks the seconds for an
    interval or the samples to claim the percentile at all."""
    if not (comparable(before, series, percentile) and comparable(after, series, percentile)):
        return None
    a, b = seconds(before, series), seconds(after, series)
    assert a is not None  # comparable: both recorded the series
    assert b is not None
    return quantile_change(a, b, percentile, relative=relative)


def tail(points: Iterable[Point], series: str, tails: Sequence[float] = TAILS) -> float | None:
    """The highest of `tails` every one of the points can claim for the series."""
    counts = [found.total for p in points if (found := seconds(p, series)) is not None]
    if not counts:
        return None
    return next((q for q in tails if all(claimable(n, q) for n in counts)), None)
