"""What a request benchmark asserts after every call (outside its time): that the response is
the one the path gives when it works, and that the background work it stands for was done. A
benchmark of a broken path fails instead of timing an error page."""

from __future__ import annotations

from typing import Any

from benchmarks.asgi_driver import Exchange
from benchmarks.running_app import Check
from bgbench.ledger import TaskStatus
from target_app.state import AppState

HELLO = {"message": "Hello World"}
# Each dispatch route, and the strategy it reports in its response and ledger keys.
DISPATCH_STRATEGIES = {
    "inline": "inline",
    "background": "background",
    "background-async": "background_async",
    "executor": "executor",
}


def status_is(exchange: Exchange, expected: int) -> None:
    assert exchange.status == expected, (
        f"{exchange.method} {exchange.target}: {exchange.status} {exchange.body[:500]!r}"
    )


def json_body(expected: dict[str, Any]) -> Check:
    def check(exchange: Exchange, _state: AppState) -> None:
        status_is(exchange, 200)
        assert exchange.json() == expected, exchange.body

    return check


def dispatched(strategy: str, workload: str, ms: float) -> Check:
    """A dispatch route answered for this work, and every task it queued is done."""

    def check(exchange: Exchange, state: AppState) -> None:
        status_is(exchange, 200)
        body = exchange.json()
        assert (body["strategy"], body["workload"], body["ms"]) == (strategy, workload, ms), body
        assert body["task_ids"], body
        for task_id in body["task_ids"]:
            record = state.ledger.get(task_id)
            assert record is not None, f"task {task_id} is not in the ledger"
            assert record.status is TaskStatus.DONE, record.as_json()

    return check


def one_task_done_per_request(state: AppState, key: str, then: Check) -> Check:
    """`then`, and exactly one more task of `key` done than at the previous call (for the
    task a middleware attaches: its id is not in the response)."""
    done = _done(state, key)

    def check(exchange: Exchange, state: AppState) -> None:
        nonlocal done
        then(exchange, state)
        now = _done(state, key)
        assert now == done + 1, f"{key}: {now - done} tasks done for one request"
        done = now

    return check


def _done(state: AppState, key: str) -> int:
    # histograms(), not summary(): the same counters, without the percentiles and means, whose
    # numpy dot product wakes OpenBLAS threads that go on spinning into the next round.
    counts = state.ledger.histograms().get(key)
    return int(counts["completed"]) if counts else 0


def text_body(media_type: str, contains: str) -> Check:
    def check(exchange: Exchange, _state: AppState) -> None:
        status_is(exchange, 200)
        assert (exchange.header("content-type") or "").startswith(media_type), exchange.headers
        assert contains in exchange.body.decode(), exchange.body[:500]

    return check
