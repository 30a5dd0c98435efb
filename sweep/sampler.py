"""Once a second, on whole wall-clock seconds: the app's /metrics/window and the CPU used by
the app and by the load generator since the previous tick.

Ticking on whole seconds lines the server's windows up with the load generator's per-second
histograms, which are keyed by epoch second too.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time of processes and all their descendants (pool processes, Celery's children,
    Locust workers)."""
    processes: list[psutil.Process] = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            processes += [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class CpuMeter:
    """Percent of one core used by some process trees between two readings."""

    def __init__(self, pids_of: Callable[[], list[int]]) -> None:
        self._pids_of = pids_of
        self._last: tuple[float, float] | None = None

    def read(self) -> float | None:
        pids = self._pids_of()
        if not pids:
            return None
        now, used = time.monotonic(), _cpu_seconds(pids)
        last, self._last = self._last, (now, used)
        if last is None or now <= last[0]:
            return None
        return max(0.0, 100.0 * (used - last[1]) / (now - last[0]))


@dataclass
class Sample:
    at: float
    window: dict[str, Any] | None
    server_cpu: float | None
    loadgen_cpu: float | None


@dataclass
class Sampler:
    url: str
    server_pids: Callable[[], list[int]]
    loadgen_pids: Callable[[], list[int]]
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bgbench-sampler", daemon=True)
        self._server_cpu = CpuMeter(self.server_pids)
        self._loadgen_cpu = CpuMeter(self.loadgen_pids)
        self._client = httpx.Client(timeout=5.0)

    def start(self) -> None:
        # A first reading, so the first tick has a baseline, and a window reset, so the first
        # window starts now rather than when the app started.
        self._server_cpu.read()
        self._loadgen_cpu.read()
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

    def _run(self) -> None:
        try:
            while not self._stop.wait(math.ceil(time.time()) - time.time()):
                window = self._fetch_window()
                self.samples.append(
                    Sample(time.time(), window, self._server_cpu.read(), self._loadgen_cpu.read())
                )
        finally:
            self._client.close()
