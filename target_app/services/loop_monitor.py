"""How late the event loop wakes up: a coroutine asks to sleep `interval` and records by how
much it overslept. A blocking call inside an async task shows up here first."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from hdrh.histogram import HdrHistogram

from bgbench import hdr


class LoopLagMonitor:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._histogram = hdr.new_histogram()
        self._window = hdr.new_histogram()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            lag_us = (time.perf_counter() - before - self.interval_s) * 1e6
            with self._lock:
                hdr.record_us(self._histogram, lag_us)
                hdr.record_us(self._window, lag_us)

    def summary(self) -> dict[str, float | int]:
        with self._lock:
            return hdr.summarize(self._histogram)

    def take_window(self) -> HdrHistogram:
        with self._lock:
            window, self._window = self._window, hdr.new_histogram()
        return window
