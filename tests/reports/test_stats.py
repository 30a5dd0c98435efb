"""The statistics: a percentile of merged per-second histograms is the whole histogram's,
its bootstrap is deterministic and honest about noise, repeats widen it, too few samples are
not claimed, and Benjamini–Hochberg picks the textbook discoveries."""

from __future__ import annotations

import numpy as np
import pytest

from bgbench import hdr
from reports import stats
from reports.analysis import histogram_counts
from reports.stats import Seconds


def _encoded(values: list[float]) -> str:
    histogram = hdr.new_histogram()
    for value in values:
        hdr.record_us(histogram, value)
    return hdr.encode(histogram)


def _seconds(levels: list[float], per_second: int = 200, *, repeats: int = 1) -> Seconds:
    """Seconds of `per_second` requests, spread evenly from 0.5 to 1.5 × that second's level."""
    spread = np.linspace(0.5, 1.5, per_second)
    one = [_encoded(list(level * spread)) for level in levels]
    found = Seconds.of([one] * repeats)
    assert found is not None
    return found


def test_merged_seconds_are_the_whole_histogram() -> None:
    rng = np.random.default_rng(1)
    seconds = [list(rng.lognormal(7, 0.5, size=150)) for _ in range(8)]
    whole = hdr.new_histogram()
    for values in seconds:
        for value in values:
            hdr.record_us(whole, value)
    merged = Seconds.of([[_encoded(v) for v in seconds]])
    assert merged is not None
    assert merged.total == 8 * 150
    for percentile in (50.0, 90.0, 99.0, 99.9):
        assert merged.quantile(percentile) == hdr.percentile(whole, percentile)


def test_an_empty_second_and_nothing_at_all() -> None:
    assert Seconds.of([[None, None]]) is None
    found = Seconds.of([[None, _encoded([100.0, 200.0])]])
    assert found is not None
    assert found.seconds == 1  # the empty second holds nothing to resample


def test_no_noise_no_width() -> None:
    same = _seconds([1000.0] * 10)
    interval = stats.quantile_interval(same, 99.0)
    assert interval.low == interval.high == interval.estimate
    change = stats.quantile_change(same, same, 99.0)
    assert (change.estimate, change.low, change.high) == (0.0, 0.0, 0.0)
    assert not change.significant
    assert change.p_value == 1.0


def test_a_clear_difference_is_significant_and_deterministic() -> None:
    levels = [1000.0, 1100, 900, 1050, 950, 1000, 1020, 980, 1000, 1000]
    before = _seconds(levels)
    after = _seconds([2 * level for level in levels])
    change = stats.quantile_change(before, after, 99.0)
    assert change.estimate == after.quantile(99.0) - before.quantile(99.0)
    assert change.low <= change.estimate <= change.high
    assert change.significant
    assert change.p_value is not None
    assert change.p_value < 0.01
    assert stats.quantile_change(before, after, 99.0) == change
    relative = stats.quantile_change(before, after, 99.0, relative=True)
    assert relative.estimate == pytest.approx(1.0, abs=0.02)


def test_noisier_seconds_give_a_wider_interval_and_a_larger_detectable_effect() -> None:
    pattern = (-2, 1, 0, 2, -1, 1, -2, 0, 2, -1)
    calm, calm_again = (_seconds([1000.0 + 10 * d for d in p]) for p in (pattern, pattern[::-1]))
    noisy, noisy_again = (_seconds([1000.0 + 200 * d for d in p]) for p in (pattern, pattern[::-1]))
    # A run against itself differs by nothing; two runs of the same noise by up to the noise.
    assert stats.quantile_change(noisy, noisy, 99.0).detectable == 0
    calm_change = stats.quantile_change(calm, calm_again, 99.0, relative=True)
    noisy_change = stats.quantile_change(noisy, noisy_again, 99.0, relative=True)
    assert calm_change.detectable is not None
    assert noisy_change.detectable is not None
    assert noisy_change.detectable > 5 * calm_change.detectable


def test_repeats_are_resampled_as_a_whole() -> None:
    # Two repeats at different levels: the spread between them must widen the interval over
    # what one repeat's seconds alone give.
    one = [_encoded(list(1000 * np.linspace(0.5, 1.5, 200))) for _ in range(10)]
    other = [_encoded(list(1300 * np.linspace(0.5, 1.5, 200))) for _ in range(10)]
    two = Seconds.of([one, other])
    alone = Seconds.of([one + other])  # the same seconds as if one long run
    assert two is not None
    assert alone is not None
    assert two.quantile(99.0) == alone.quantile(99.0)
    wide = stats.quantile_interval(two, 50.0)
    narrow = stats.quantile_interval(alone, 50.0)
    assert wide.high - wide.low > narrow.high - narrow.low


def test_a_percentile_needs_ten_samples_above_it() -> None:
    assert stats.samples_needed(99.0) == 1000
    assert stats.samples_needed(90.0) == 100
    assert stats.samples_needed(50.0) == 20
    assert stats.claimable(1000, 99.0)
    assert not stats.claimable(999, 99.0)


def test_quantile_of_counts_is_hdrs_definition() -> None:
    histogram = hdr.new_histogram()
    for value in [*range(1, 1000), 150_000, 150_000]:
        hdr.record_us(histogram, value)
    counts = histogram_counts([hdr.encode(histogram)])
    assert counts is not None
    summary = hdr.summarize(histogram)
    for name, percentile in hdr.PERCENTILES.items():
        assert hdr.quantile_of_counts(*counts, percentile) == summary[name]


def test_relative_change_of_a_rate() -> None:
    before = np.array([100.0, 110, 90, 100, 105, 95])
    interval = stats.relative_change(before, before * 1.5)
    assert interval.estimate == pytest.approx(0.5)
    assert interval.significant


def test_a_slope_and_its_interval() -> None:
    t = np.arange(12, dtype=np.float64)
    grows = stats.slope_interval(t, 20 * t + np.tile([3.0, -3.0], 6))
    assert grows.estimate == pytest.approx(20, abs=0.5)
    assert grows.significant
    flat = stats.slope_interval(t, np.tile([3.0, -3.0, 1.0, -1.0], 3))
    assert not flat.significant


def test_proportion_interval_stays_in_range() -> None:
    none = stats.proportion_interval(0, 1000)
    assert none.low == 0.0
    assert 0 < none.high < 0.005
    every = stats.proportion_interval(1000, 1000)
    assert every.high == 1.0


def test_benjamini_hochberg() -> None:
    # m = 4, FDR 5%: thresholds k/m × FDR = 0.0125, 0.025, 0.0375, 0.05. The largest p(k)
    # under its threshold is p(3) = 0.035, so the three smallest are discoveries: 0.03 with
    # them, although it is above its own threshold (the step-up).
    assert stats.discoveries([0.035, 0.001, 0.5, 0.03]) == [True, True, False, True]
    assert stats.discoveries([0.2, 0.3]) == [False, False]
    assert stats.discoveries([]) == []


def test_enough_needs_three_seconds() -> None:
    assert not stats.enough(np.ones(2), np.ones(10))
    assert stats.enough(np.ones(3))
