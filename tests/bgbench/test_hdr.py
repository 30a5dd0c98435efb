from __future__ import annotations

import random

import pytest

from bgbench import hdr


@pytest.mark.parametrize("count", [1, 2, 7, 1000, 20_000])
def test_the_summary_matches_hdrh_to_the_unit(count: int) -> None:
    rng = random.Random(count)
    histogram = hdr.new_histogram()
    for _ in range(count):
        # Values across the whole range: exact buckets, wide ones, and the clamped top.
        hdr.record_us(histogram, rng.choice([rng.uniform(0, 3000), rng.expovariate(1e-5), 4e9]))
    summary = hdr.summarize(histogram)
    for name, percentile in hdr.PERCENTILES.items():
        assert summary[name] == histogram.get_value_at_percentile(percentile), name
    assert summary["mean"] == round(histogram.get_mean_value(), 1)
    assert summary["max"] == histogram.get_max_value()
    assert summary["count"] == count


def test_out_of_range_values_are_clamped_not_dropped() -> None:
    histogram = hdr.new_histogram()
    for value in (-5, 0, 0.4, 1e12):
        hdr.record_us(histogram, value)
    assert histogram.get_total_count() == 4
    assert histogram.get_min_value() == hdr.LOWEST_US
    assert hdr.summarize(histogram)["max"] >= hdr.HIGHEST_US


def test_an_empty_histogram_summarizes_to_zeros() -> None:
    assert hdr.summarize(hdr.new_histogram()) == {
        "count": 0,
        "p50": 0,
        "p90": 0,
        "p99": 0,
        "p99_9": 0,
        "max": 0,
        "mean": 0.0,
    }


def test_encoding_and_merging_lose_nothing() -> None:
    first, second = hdr.new_histogram(), hdr.new_histogram()
    for value in range(1, 500):
        hdr.record_us(first, value)
        hdr.record_us(second, value * 1000)
    merged = hdr.merge([hdr.encode(first), hdr.encode(second), hdr.encode(hdr.new_histogram())])
    assert merged.get_total_count() == 998
    assert hdr.summarize(merged) == hdr.summarize(hdr.decode(hdr.encode(merged)))
    assert merged.get_max_value() == second.get_max_value()
