"""HDR histograms in microseconds: one shape and one summary shared by every stage.

The target app records task timings, the load generator records response times, and the
reports read both back; all of them must agree on the range, the precision and on what
"p99_9" means, so they are defined once here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: anything slower is clamped, and counted as such
SIGNIFICANT_FIGURES = 3

# The percentiles every summary carries, keyed as they appear in JSON.
PERCENTILES: Mapping[str, float] = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99_9": 99.9}


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def record_us(histogram: HdrHistogram, value_us: float) -> None:
    """Record one duration; sub-microsecond and negative values (clock steps) count as 1 µs
    and values above the range as the range's top, so a count is never silently dropped."""
    histogram.record_value(min(max(round(value_us), LOWEST_US), HIGHEST_US))


def summarize(histogram: HdrHistogram) -> dict[str, float | int]:
    """count, the fixed percentiles, max and mean, in microseconds (zeros when empty)."""
    count = int(histogram.get_total_count())
    if count == 0:
        return {"count": 0, **dict.fromkeys(PERCENTILES, 0), "max": 0, "mean": 0.0}
    values = histogram.get_percentile_to_value_dict(list(PERCENTILES.values()))
    summary: dict[str, float | int] = {"count": count}
    for name, percentile in PERCENTILES.items():
        summary[name] = int(values[percentile])
    summary["max"] = int(histogram.get_max_value())
    summary["mean"] = round(mean(histogram), 1)
    return summary


def mean(histogram: HdrHistogram) -> float:
    """The mean, as a dot product with each bucket's middle value: hdrh's own
    get_mean_value walks every bucket in Python (about 80 ms for this range)."""
    total = int(histogram.get_total_count())
    if total == 0:
        return 0.0
    counts = np.ctypeslib.as_array(histogram.counts)
    middles = _bucket_middles(
        histogram.lowest_trackable_value,
        histogram.highest_trackable_value,
        histogram.significant_figures,
        len(counts),
    )
    return float(np.dot(counts.astype(np.float64), middles)) / total


@cache
def _bucket_middles(lowest: int, highest: int, figures: int, length: int) -> np.ndarray:
    """The middle of each bucket's range of equivalent values, as hdrh defines it (lowest
    plus half the range's size), computed once per shape."""
    shape = HdrHistogram(lowest, highest, figures)
    middles = np.zeros(length, dtype=np.float64)
    for index in range(length):
        value = shape.get_value_from_index(index)
        low = shape.get_lowest_equivalent_value(value)
        size = shape.get_highest_equivalent_value(value) - low + 1
        middles[index] = low + (size >> 1)
    return middles


def encode(histogram: HdrHistogram) -> str:
    """The standard compressed, base64 form: lossless, and readable by every HdrHistogram port."""
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


def decode(text: str) -> HdrHistogram:
    histogram: HdrHistogram = HdrHistogram.decode(text.encode("ascii"))
    return histogram


def merge(encoded: Iterable[str]) -> HdrHistogram:
    """Add histograms together without losing a count (e.g. from several Locust workers)."""
    total = new_histogram()
    for text in encoded:
        total.add(decode(text))
    return total
