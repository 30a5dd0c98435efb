"""The timer of the async benchmarks: `time.perf_counter`, minus the stretches left out.

pytest-benchmark times a whole call of the function it is given. A request's background work
runs after the response, inside that same call, and so does the draining that keeps rounds from
piling up; the user waited for neither. A benchmark tells the clock which stretches of a call to
leave out, and the clock subtracts them from every reading after, so pytest-benchmark's own
arithmetic (end - start of a round) sees only the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class PausableClock:
    def __init__(self, source: Callable[[], float] = time.perf_counter) -> None:
        self.source = source
        self._excluded = 0.0

    def __call__(self) -> float:
        return self.source() - self._excluded

    def exclude(self, start: float, end: float) -> None:
        """Leave out the stretch between two readings of `source` (e.g. a request that only
        sets the scene for the one being timed)."""
        if end < start:
            raise ValueError(f"a stretch cannot end ({end}) before it starts ({start})")
        self._excluded += end - start

    @contextmanager
    def excluding_from(self, start: float) -> Iterator[None]:
        """Leave out everything from `start` (a reading of `source`) to the end of the block."""
        try:
            yield
        finally:
            self.exclude(start, self.source())

    def __str__(self) -> str:
        # pytest-benchmark stores str(timer) as options.timer in its JSON.
        return "benchmarks.clock.PausableClock(perf_counter)"


# One instance for the whole run: pytest-benchmark takes its timer from a marker, fixed at
# collection time, and the benchmarks that exclude stretches must reach the same object.
CLOCK = PausableClock()
