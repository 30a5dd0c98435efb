"""What the event loop sees every few milliseconds: how late it wakes up (a blocking call
inside an async task shows here first), and how many thread-pool tokens are in use (a peak a
once-a-second sample would miss)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass

from anyio import to_thread
from hdrh.histogram import HdrHistogram

from bgbench import hdr


@dataclass(frozen=True, slots=True)
class LoopWindow:
    lag: HdrHistogram
    threadpool_tokens_peak: int


class LoopMonitor:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._histogram = hdr.new_histogram()
        self._window = hdr.new_histogram()
        self._tokens_peak = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        limiter = to_thread.current_default_thread_limiter()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            lag_us = (time.perf_counter() - before - self.interval_s) * 1e6
            tokens = int(limiter.borrowed_tokens)
            with self._lock:
                hdr.record_us(self._histogram, lag_us)
                hdr.record_us(self._window, lag_us)
                self._tokens_peak = max(self._tokens_peak, tokens)

    def summary(self) -> dict[str, float | int]:
        with self._lock:
            return hdr.summarize(self._histogram)

    def take_window(self) -> LoopWindow:
        with self._lock:
            window = LoopWindow(self._window, self._tokens_peak)
            self._window, self._tokens_peak = hdr.new_histogram(), 0
        return window
