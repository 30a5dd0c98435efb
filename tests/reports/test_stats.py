"""Bootstrap intervals: deterministic, centred on the estimate, zero-width without noise,
and HDR's percentile definition kept."""

from __future__ import annotations

import numpy as np
import pytest

from bgbench import hdr
from reports import stats
from reports.analysis import histogram_counts


def test_no_noise_no_width() -> None:
    same = np.full(10, 5.0)
    interval = stats.mean_difference(same, same)
    assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0)
    assert not interval.significant


def test_a_clear_difference_is_significant_and_deterministic() -> None:
    before = np.array([100.0, 102, 98, 101, 99, 100, 103, 97, 100, 100])
    after = before + 50
    interval = stats.mean_difference(before, after)
    assert interval.estimate == pytest.approx(50)
    assert interval.low < 50 < interval.high
    assert interval.significant
    assert stats.mean_difference(before, after) == interval


def test_relative_change() -> None:
    before = np.array([100.0, 110, 90, 100, 105, 95])
    interval = stats.relative_change(before, before * 1.5)
    assert interval.estimate == pytest.approx(0.5)
    assert interval.significant


def test_quantile_of_counts_is_hdrs_definition() -> None:
    histogram = hdr.new_histogram()
    for value in [*range(1, 1000), 150_000, 150_000]:
        hdr.record_us(histogram, value)
    counts = histogram_counts([hdr.encode(histogram)])
    assert counts is not None
    summary = hdr.summarize(histogram)
    for name, percentile in hdr.PERCENTILES.items():
        assert hdr.quantile_of_counts(*counts, percentile) == summary[name]


def test_quantile_difference_of_identical_histograms_is_not_significant() -> None:
    histogram = hdr.new_histogram()
    for value in range(1, 500):
        hdr.record_us(histogram, value * 10)
    counts = histogram_counts([hdr.encode(histogram)])
    assert counts is not None
    interval = stats.quantile_difference(counts, counts, 99.0)
    assert interval.estimate == 0
    assert not interval.significant


def test_proportion_interval_stays_in_range() -> None:
    none = stats.proportion_interval(0, 1000)
    assert none.low == 0.0
    assert 0 < none.high < 0.005
    every = stats.proportion_interval(1000, 1000)
    assert every.high == 1.0


def test_enough_needs_three_seconds() -> None:
    assert not stats.enough(np.ones(2), np.ones(10))
    assert stats.enough(np.ones(3))
