"""Shutdown that loses nothing silently.

uvicorn waits for running BackgroundTasks before the lifespan ends, but not for work handed to
an executor: after the lifespan, uvicorn re-raises SIGTERM and the process dies with the
executor's queue in it. So the lifespan drains here, up to the drain timeout, then records
what could not finish (queued work as not run, running work as failed), logs it, and writes
the final metrics for whoever started the process.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from anyio import to_thread

from bgbench.files import write_atomically
from bgbench.ledger import TaskStatus
from target_app import metrics
from target_app.state import AppState

log = logging.getLogger("target_app.shutdown")


async def drain(state: AppState) -> dict[str, Any]:
    timeout_s = state.settings.drain_timeout_s
    started = time.monotonic()
    in_flight_at_start = state.ledger.in_flight
    # Every task of every strategy is in the ledger, so waiting for it to empty covers the
    # executor, the process pool and async tasks alike; waiting in a thread keeps the event
    # loop free for async tasks that are still finishing.
    drained = await to_thread.run_sync(
        state.ledger.wait_until_idle, timeout_s, abandon_on_cancel=True
    )

    if state.queue is not None:
        # The queue's ledger stops here, with the drain: a job its workers start from now on
        # is reported into a list the sweep reads, not into counts already being written.
        await state.queue.stop_events()
    # Whatever is left: queued futures are cancelled (their callbacks record "not run").
    # Join the workers only when they are idle: a task past the timeout must not hold the exit.
    left = [record.id for record in state.ledger.unfinished()]
    state.executor.shutdown(wait=drained, cancel_futures=True)
    state.process_pool.shutdown(wait=drained, cancel_futures=True)
    for record in state.ledger.unfinished():
        if record.status is TaskStatus.QUEUED:
            state.ledger.skip(record.id, "not run: still queued when the drain timeout ended")
        else:
            state.ledger.fail(record.id, "unfinished: still running when the process exited")
    # Count outcomes from the ledger itself, so a task that finished in between is not
    # reported as lost.
    outcomes = Counter(state.ledger.status_of(task_id) for task_id in left)
    dropped, abandoned = outcomes[TaskStatus.NOT_RUN], outcomes[TaskStatus.FAILED]
    report = {
        "drain_timeout_s": timeout_s,
        "drained": drained,
        "drain_time_s": round(time.monotonic() - started, 3),
        "in_flight_at_shutdown": in_flight_at_start,
        "not_run_at_shutdown": dropped,
        "unfinished_at_shutdown": abandoned,
    }
    if drained:
        log.info("drained %d in-flight tasks in %.3f s", in_flight_at_start, report["drain_time_s"])
    else:
        log.warning(
            "drain timeout (%.1f s): %d queued tasks not run, %d running tasks abandoned",
            timeout_s,
            dropped,
            abandoned,
        )
    return report


def write_final_metrics(state: AppState, path: Path, gauge_values: dict[str, int]) -> None:
    """The last word of the process, written atomically: counters, summaries, the encoded
    histograms (lossless, for merging) and the shutdown report."""
    final = metrics.snapshot(state, gauge_values)
    final["histograms"] = state.ledger.histograms()
    final["shutdown"] = state.shutdown_report
    write_atomically(path, json.dumps(final, indent=2))
