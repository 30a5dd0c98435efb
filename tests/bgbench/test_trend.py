"""A per-second quantity's trend: its ends, peak and slopes per minute, halves split in time."""

from __future__ import annotations

import numpy as np
import pytest

from bgbench.trend import trend

T = np.arange(600, dtype=np.float64)


def test_a_straight_line_has_its_slope_in_both_halves() -> None:
    found = trend(T, 100 + T / 20)  # 3 per minute
    assert found is not None
    assert found.start == 100
    assert found.end == found.max == pytest.approx(129.95)
    assert found.per_min == found.first_half_per_min == found.last_half_per_min == 3.0
    assert found.grew == pytest.approx(29.95)


def test_the_halves_split_at_the_middle_of_the_time_span_not_of_the_count() -> None:
    # Dense samples early, sparse late: a split by count would put the kink in one half.
    t = np.concatenate([np.arange(0, 300, 0.5), np.arange(300, 601, 10.0)])
    y = np.where(t < 300, t / 10, 30 + 0 * t)  # 6/min, then flat
    found = trend(t, y)
    assert found is not None
    assert found.first_half_per_min == pytest.approx(6.0)
    assert found.last_half_per_min == 0.0


def test_gaps_are_left_out_and_a_flat_series_is_zero_not_minus_zero() -> None:
    y = np.full(T.size, 42.0)
    y[::7] = np.nan
    found = trend(T, y)
    assert found is not None
    assert str(found.per_min) == "0.0"
    assert found.max == 42


@pytest.mark.parametrize("seconds", [0, 1, 3])
def test_too_few_seconds_for_two_slopes(seconds: int) -> None:
    assert trend(T[:seconds], T[:seconds]) is None


def test_four_seconds_are_enough() -> None:
    assert trend(T[:4], T[:4]) is not None


def test_a_half_with_one_second_has_no_slope() -> None:
    # Three seconds early and one late: the last half holds one value.
    assert trend(np.array([0.0, 1, 2, 100]), np.array([1.0, 2, 3, 4])) is None
