"""The server's own clock on every request: from the moment the app is called to the moment
it hands its last body message to the server, per route path, in HDR histograms.

Set against the client's latency, it tells how much of a response time the client and the
loopback account for. The timer sits outside every other middleware (see `app.py`) and its
cost is paid by every request: it reads the clock twice and records once (see
benchmarks/test_request_timer.py). The metrics paths are not timed: the sweep reads them
once a second, and they would crowd the histograms with the harness's own probes.
"""

from __future__ import annotations

from collections.abc import Iterable
from time import perf_counter_ns

from hdrh.histogram import HdrHistogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bgbench import hdr
from target_app.middleware import METRICS_PATHS

# Paths no route declares (a 404, a path parameter's value) share one key, so the number of
# histograms stays bounded whatever clients send.
OTHER = "other"


class RequestTimings:
    """Histograms per path, of the current window and of every earlier one.

    Only the current window records; a window, once taken, is folded into the totals. All of
    it runs on the app's event loop (the middleware, the metrics routes, the shutdown), so it
    takes no lock.
    """

    def __init__(self) -> None:
        self._window: dict[str, HdrHistogram] = {}
        self._earlier: dict[str, HdrHistogram] = {}

    def record(self, key: str, value_us: float) -> None:
        histogram = self._window.get(key)
        if histogram is None:
            histogram = self._window[key] = hdr.new_histogram()
        hdr.record_us(histogram, value_us)

    def take_window(self) -> dict[str, HdrHistogram]:
        """What was recorded since the previous call; a new window starts."""
        window, self._window = self._window, {}
        for key, histogram in window.items():
            _add(self._earlier, key, histogram)
        return window

    def summary(self) -> dict[str, dict[str, float | int]]:
        """Per path, since start-up (the current window included)."""
        merged: dict[str, HdrHistogram] = {}
        for table in (self._earlier, self._window):
            for key, histogram in table.items():
                _add(merged, key, histogram)
        return {key: hdr.summarize(merged[key]) for key in sorted(merged)}


def _add(table: dict[str, HdrHistogram], key: str, histogram: HdrHistogram) -> None:
    total = table.get(key)
    if total is None:
        total = table[key] = hdr.new_histogram()
    total.add(histogram)


class RequestTimer:
    def __init__(self, app: ASGIApp, timings: RequestTimings, paths: Iterable[str]) -> None:
        self.app = app
        self.timings = timings
        # One lookup a request gives the key, or None for a path that is not timed.
        self._keys: dict[str, str | None] = {path: path for path in paths}
        self._keys.update(dict.fromkeys(METRICS_PATHS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = self._keys.get(scope["path"], OTHER)
        if key is None:
            await self.app(scope, receive, send)
            return
        started = perf_counter_ns()
        timings = self.timings

        async def send_timed(message: Message) -> None:
            if message["type"] != "http.response.body" or message.get("more_body", False):
                await send(message)
                return
            # The clock stops as the last body message goes to the server, not once the
            # server has written it: that write wakes the client, and a server descheduled
            # right after it counts time the client no longer waits for (seen here: 4 ms, a
            # scheduler tick, with another process on the server's core; the client had its
            # response in 0.4-0.7 ms). uvicorn's write is left out: ~8 µs at the median.
            # What the app does after the response (its background tasks) is left out too.
            ended = perf_counter_ns()
            await send(message)
            timings.record(key, (ended - started) / 1000)

        await self.app(scope, receive, send_timed)
