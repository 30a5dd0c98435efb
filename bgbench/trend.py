"""A per-second quantity's trend over a cell: where it started and ended, its peak, and its
least-squares slope over the whole phase and over each half (`model.Trend`). The sweep
computes it for the server's memory and open files; `bgbench.trust` reads it to tell growth
that levels off (a last half flatter than the first) from growth that does not."""

from __future__ import annotations

import numpy as np

from bgbench.results.model import FloatArray, Trend

MIN_POINTS_PER_HALF = 2  # a slope needs two seconds


def slope(t: FloatArray, y: FloatArray) -> float:
    """The least-squares slope of y over t, per unit of t."""
    return float(np.polyfit(t, y, 1)[0])


def _per_min(per_second: float) -> float:
    return round(60 * per_second, 3) + 0.0  # + 0.0: a flat series is 0, not -0


def trend(t: FloatArray, y: FloatArray) -> Trend | None:
    """The trend of y over the seconds t (NaN values left out); None if either half would
    have fewer than two seconds. The halves split the time span, not the count of values,
    so a gap in the samples does not move the split."""
    keep = ~np.isnan(y) & ~np.isnan(t)
    t, y = t[keep], y[keep]
    if t.size < 2 * MIN_POINTS_PER_HALF:
        return None
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    middle = (t[0] + t[-1]) / 2
    first, last = t < middle, t >= middle
    if min(int(first.sum()), int(last.sum())) < MIN_POINTS_PER_HALF:
        return None
    return Trend(
        start=float(y[0]),
        end=float(y[-1]),
        max=float(y.max()),
        per_min=_per_min(slope(t, y)),
        first_half_per_min=_per_min(slope(t[first], y[first])),
        last_half_per_min=_per_min(slope(t[last], y[last])),
    )
