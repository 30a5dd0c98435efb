"""When an open-model user means to send its requests: constant spacing or a Poisson process.

The times are computed from the schedule's start, not from when the previous request was
sent or answered, so a slow server cannot slow the offered load down (it only makes the
requests late, and the lateness is measured).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from loadtests.support.options import Arrival


def arrival_times(
    rate: float, arrival: Arrival, start: float, rng: random.Random | None = None
) -> Iterator[float]:
    """Intended send times, on the clock of `start`, for `rate` requests per second."""
    if rate <= 0:
        raise ValueError(f"an arrival rate must be > 0, not {rate}")
    if arrival is Arrival.CONSTANT:
        # start + i / rate rather than a running sum: no rounding error builds up.
        return (start + i / rate for i in itertools.count())
    return _poisson(rate, start, rng or random.Random())


def _poisson(rate: float, start: float, rng: random.Random) -> Iterator[float]:
    at = start
    while True:
        at += rng.expovariate(rate)
        yield at
