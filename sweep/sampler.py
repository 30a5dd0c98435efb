"""Once a second, on whole wall-clock seconds: the app's /metrics/window, the CPU used by
the app and by the load generator since the previous tick, what other processes used of
their CPUs (sweep.interference), and the app's memory and open files (sweep.resources).

Ticking on whole seconds lines the server's windows up with the load generator's per-second
histograms, which are keyed by epoch second too.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from sweep.interference import Interference, InterferenceMeter, ProcessTimes, walk
from sweep.machine import Pinning
from sweep.resources import TreeResources, measure


class CpuMeter:
    """Percent of one core used by some process trees between two readings."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None

    def update(self, times: ProcessTimes | None) -> float | None:
        """From a walk already made (None: no processes to measure yet)."""
        if times is None:
            return None
        now, used = time.monotonic(), sum(times.values())
        last, self._last = self._last, (now, used)
        if last is None or now <= last[0]:
            return None
        return max(0.0, 100.0 * (used - last[1]) / (now - last[0]))


SAMPLER_NICENESS = 19


@dataclass
class Sample:
    at: float
    window: dict[str, Any] | None
    server_cpu: float | None
    loadgen_cpu: float | None
    interference: Interference | None = None
    resources: TreeResources | None = None  # the server's tree: RSS and open descriptors
    worker_resources: TreeResources | None = None  # the queue worker's tree, of the server's


@dataclass
class Sampler:
    url: str
    server_pids: Callable[[], list[int]]
    loadgen_pids: Callable[[], list[int]]
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # None: all CPUs are one group, for the server and the load generator alike.
    pinning: Pinning | None = None
    # The queue worker's main process, also among server_pids: its tree's memory, apart.
    worker_pids: Callable[[], list[int]] = list

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bgbench-sampler", daemon=True)
        self._server_cpu = CpuMeter()
        self._loadgen_cpu = CpuMeter()
        # Unpinned, the cell's processes may run anywhere: one group of all CPUs.
        pinning = self.pinning if self.pinning is not None and self.pinning.pinned else None
        self._interference = InterferenceMeter(
            pinning.server_cpus if pinning else None, pinning.loadgen_cpus if pinning else None
        )
        self._client = httpx.Client(timeout=5.0)

    def start(self) -> None:
        # A first reading, so the first tick has a baseline, and a window reset, so the first
        # window starts now rather than when the app started.
        self._measure()
        self._fetch_window()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _fetch_window(self) -> dict[str, Any] | None:
        try:
            response = self._client.get(f"{self.url}/metrics/window")
            response.raise_for_status()
            window: dict[str, Any] = response.json()
            return window
        except (httpx.HTTPError, ValueError) as exc:
            self.errors.append(f"{time.time():.3f} /metrics/window: {exc}")
            return None

    def _measure(
        self,
    ) -> tuple[
        float | None, float | None, Interference | None, TreeResources | None, TreeResources | None
    ]:
        """Server CPU, load generator CPU, interference, the server tree's memory and files
        and the queue worker's, from one walk of the processes: this runs every second on the
        load generator's core, so the walk is made once (its trees are what is read)."""
        server_pids, loadgen_pids = self.server_pids(), self.loadgen_pids()
        now = walk(server_pids, loadgen_pids, os.getpid(), self.worker_pids())
        return (
            self._server_cpu.update(now.server if server_pids else None),
            self._loadgen_cpu.update(now.loadgen if loadgen_pids else None),
            self._interference.update(now),
            measure(pid for pid, _ in now.server),
            measure(pid for pid, _ in now.worker) if now.worker else None,
        )

    def _run(self) -> None:
        # This thread shares the load generator's core, and its tick (a pass over every
        # process, a window read) is a burst of 5-20 ms that the scheduler would run before
        # Locust, which has been busier: Locust's sends were 10-37 ms late at the worst, and
        # 4-7 of the quick sweep's 10 cells flagged generator_late in each of 7 runs. At the
        # lowest niceness: 2, 3 and 2 of 10 in 3 runs (at niceness 10: 6 of 10). Beside a
        # Locust at full load (8,000 req/s offered) it still got every tick done.
        # Niceness only ranks threads of one autogroup (sched_autogroup_enabled is 1 here, and
        # Locust runs in a session of its own), so against Locust it weighs less than it
        # seems. SCHED_IDLE, which any waking thread preempts, was tried and undone: with
        # every core busy in the sweep's own session it got one tick in 2.5 s, and a cell
        # without samples has no CPU or interference readings to flag it by.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SAMPLER_NICENESS)
        try:
            while not self._stop.wait(math.ceil(time.time()) - time.time()):
                window = self._fetch_window()
                self.samples.append(Sample(time.time(), window, *self._measure()))
        finally:
            self._client.close()
