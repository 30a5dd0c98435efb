"""What the server-side request timer adds to every request (`request-timer`): one call of a
minimal ASGI app that answers with a start and a body message, alone (`off`), behind the
timer (`on`: two clock reads, a wrapped `send`, one HDR recording), and behind the timer on a
metrics path, which it lets through untimed (`metrics-path`). `on` minus `off` is the timer's
cost per request.

The app never suspends, so one `send(None)` runs the coroutine to its end without an event
loop: no loop overhead (the same with and without the timer) hides the few µs measured here,
and pytest-benchmark's own calibration applies. The timer's end-to-end share shows in
`request-route`: `test_route[baseline]` (timed) against `test_bare_fastapi`.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks.benchmark_api import Benchmark
from target_app.middleware import METRICS_PATHS
from target_app.middleware.timing import RequestTimer, RequestTimings

TIMED_PATH = "/baseline"
_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"25")],
}
_BODY: Message = {"type": "http.response.body", "body": b'{"message":"Hello World"}'}


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send(_START)
    await send(_BODY)


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _server_send(message: Message) -> None:
    pass


def _scope(path: str) -> Scope:
    return {"type": "http", "method": "GET", "path": path, "headers": []}


def _call(app: ASGIApp, scope: Scope) -> None:
    coroutine: Coroutine[Any, Any, None] = app(scope, _receive, _server_send)  # type: ignore[assignment]
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise AssertionError("the app suspended: it needs an event loop, and this benchmark has none")


def _timed_count(timings: RequestTimings) -> dict[str, int]:
    return {key: int(h.get_total_count()) for key, h in timings.take_window().items()}


@pytest.mark.benchmark(group="request-timer")
@pytest.mark.parametrize("mode", ["off", "on", "metrics-path"])
def test_timer(benchmark: Benchmark, mode: str) -> None:
    timings = RequestTimings()
    app: ASGIApp = _hello if mode == "off" else RequestTimer(_hello, timings, [TIMED_PATH])
    path = min(METRICS_PATHS) if mode == "metrics-path" else TIMED_PATH
    benchmark(_call, app, _scope(path))
    counts = _timed_count(timings)
    if mode == "on":
        assert set(counts) == {TIMED_PATH}, counts
        assert counts[TIMED_PATH] > 0
    else:
        assert counts == {}
