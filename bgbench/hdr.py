"""HDR histograms in microseconds: one shape and one summary shared by every stage.

The target app records task timings, the load generator records response times, and the
reports read both back; all of them must agree on the range, the precision and on what
"p99_9" means, so they are defined once here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
    summary["mean"] = round(float(histogram.get_mean_value()), 1)
    return summary


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
