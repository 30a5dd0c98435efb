"""HDR histograms in microseconds: one shape and one summary shared by every stage.

The target app records task timings, the load generator records response times, and the
reports read both back; all of them must agree on the range, the precision and on what
"p99_9" means, so they are defined once here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: anything slower is clamped, and counted as such
SIGNIFICANT_FIGURES = 3

IntArray = npt.NDArray[np.int64]

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
    summary: dict[str, float | int] = {"count": count}
    summary.update(percentiles(histogram, PERCENTILES))
    summary["max"] = int(histogram.get_max_value())
    summary["mean"] = round(mean(histogram), 1)
    return summary


# hdrh answers percentiles and the mean by walking its buckets in Python (tens of ms for
# this range, on the app's event loop when /metrics is read). The same answers, to the
# unit, come from numpy over per-bucket value tables computed once per histogram shape.


@dataclass(frozen=True)
class _Shape:
    highest: np.ndarray  # each bucket's highest equivalent value (what percentiles report)
    middle: np.ndarray  # each bucket's middle value, as hdrh defines it (for the mean)


@cache
def _shape(lowest: int, highest: int, figures: int, length: int) -> _Shape:
    reference = HdrHistogram(lowest, highest, figures)
    top = np.zeros(length, dtype=np.int64)
    middle = np.zeros(length, dtype=np.int64)
    for index in range(length):
        value = reference.get_value_from_index(index)
        low = reference.get_lowest_equivalent_value(value)
        top[index] = reference.get_highest_equivalent_value(value)
        middle[index] = low + ((top[index] - low + 1) >> 1)
    return _Shape(top, middle)


def _counts_and_shape(histogram: HdrHistogram) -> tuple[np.ndarray, _Shape]:
    counts = np.ctypeslib.as_array(histogram.counts).astype(np.int64)
    shape = _shape(
        histogram.lowest_trackable_value,
        histogram.highest_trackable_value,
        histogram.significant_figures,
        len(counts),
    )
    return counts, shape


def rank_index(cumulative: IntArray, percentile: float) -> IntArray:
    """The index of the bucket whose cumulative count first reaches the percentile's rank,
    hdrh's definition (rank = percentile × total, rounded, at least 1), along the last axis:
    one histogram's cumulative counts, or many (a bootstrap's resamples) at once."""
    total = cumulative[..., -1:]
    rank = np.maximum((min(percentile, 100.0) / 100 * total + 0.5).astype(np.int64), 1)
    # The buckets still below the rank, counted: that is the index of the one that reaches it.
    index: IntArray = (cumulative < rank).sum(axis=-1)
    return index


def percentiles(histogram: HdrHistogram, wanted: Mapping[str, float]) -> dict[str, int]:
    """Each percentile as hdrh's get_value_at_percentile gives it: the highest value
    equivalent to the bucket where the cumulative count reaches the percentile's share."""
    values, counts = value_counts(histogram)
    if len(values) == 0:
        return dict.fromkeys(wanted, 0)
    cumulative = np.cumsum(counts)
    return {
        name: int(values[min(int(rank_index(cumulative, percentile)), len(values) - 1)])
        for name, percentile in wanted.items()
    }


def percentile(histogram: HdrHistogram, wanted: float) -> int | None:
    """One percentile, None for an empty histogram."""
    if histogram.get_total_count() == 0:
        return None
    return percentiles(histogram, {"q": wanted})["q"]


def quantile_of_counts(values: npt.NDArray[Any], counts: IntArray, percentile: float) -> float:
    """A percentile of a distribution given as bucket values and counts (`value_counts`)."""
    return float(values[int(rank_index(np.cumsum(counts), percentile))])


def value_counts(histogram: HdrHistogram) -> tuple[IntArray, IntArray]:
    """The recorded buckets only: each one's highest equivalent value (what a percentile
    reports) and its count, in value order. What bootstraps and distributions work on."""
    counts, shape = _counts_and_shape(histogram)
    recorded = np.flatnonzero(counts)
    return shape.highest[recorded], counts[recorded]


def mean(histogram: HdrHistogram) -> float:
    """The mean as hdrh computes it (each count at its bucket's middle), in integers."""
    total = int(histogram.get_total_count())
    if total == 0:
        return 0.0
    counts, shape = _counts_and_shape(histogram)
    return int((counts * shape.middle).sum()) / total


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
