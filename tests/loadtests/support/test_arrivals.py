from __future__ import annotations

import itertools
import math
import random

import pytest

from loadtests.support.arrivals import arrival_times
from loadtests.support.options import Arrival


def test_constant_arrivals_are_evenly_spaced_from_the_start() -> None:
    times = list(itertools.islice(arrival_times(40.0, Arrival.CONSTANT, start=100.0), 1001))
    assert times[0] == 100.0
    # Computed as start + i/rate, not summed: no drift even after a thousand intervals.
    assert times[1000] == pytest.approx(125.0, abs=1e-9)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.025, abs=1e-9)
    assert max(gaps) == pytest.approx(0.025, abs=1e-9)


def test_poisson_gaps_have_the_mean_and_spread_of_an_exponential() -> None:
    rate, n = 50.0, 20_000
    times = list(itertools.islice(arrival_times(rate, Arrival.POISSON, 0.0, random.Random(7)), n))
    gaps = [times[0], *(b - a for a, b in itertools.pairwise(times))]
    mean = sum(gaps) / n
    # An exponential's standard deviation equals its mean (1/rate), so the sample mean has
    # a standard error of 1/(rate*sqrt(n)): allow 4 of them (fails by chance ~1 in 16,000).
    assert abs(mean - 1 / rate) < 4 / (rate * math.sqrt(n))
    sd = math.sqrt(sum((g - mean) ** 2 for g in gaps) / (n - 1))
    assert sd == pytest.approx(1 / rate, rel=0.05)  # constant spacing would give 0
    assert all(g > 0 for g in gaps)


def test_poisson_arrivals_repeat_with_the_same_seed() -> None:
    def first(seed: int) -> list[float]:
        return list(itertools.islice(arrival_times(5, Arrival.POISSON, 0, random.Random(seed)), 5))

    assert first(1) == first(1)
    assert first(1) != first(2)


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be > 0"):
        arrival_times(rate, Arrival.CONSTANT, 0.0)
