"""Report generation: pure Python work that holds the GIL for about `ms` milliseconds.

The amount of work is fixed at start-up by calibration (iterations per millisecond on an idle
core), not by a clock: under contention the same work simply takes longer, as real work does.
There is no truly async form of CPU work; the coroutine runs the same loop on the event loop.
"""

from __future__ import annotations

import time

_CALIBRATION_ITERATIONS = 200_000


def burn(iterations: int) -> int:
    """A module-level function so that a process pool can pickle it."""
    checksum = 0
    for i in range(iterations):
        checksum = (checksum + i * i) % 1_000_003
    return checksum


def calibrate() -> float:
    """Iterations of `burn` per millisecond on this machine, best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        burn(_CALIBRATION_ITERATIONS)
        best = min(best, time.perf_counter() - started)
    return _CALIBRATION_ITERATIONS / (best * 1000)


class CpuWork:
    def __init__(self, iterations_per_ms: float) -> None:
        self.iterations_per_ms = iterations_per_ms

    def iterations(self, ms: float) -> int:
        return round(ms * self.iterations_per_ms)

    def run_sync(self, ms: float) -> int:
        return burn(self.iterations(ms))

    async def run_async(self, ms: float) -> int:
        return burn(self.iterations(ms))
