"""The app's own view of itself, assembled for /metrics, /metrics/window and the report
written after the drain at shutdown."""

from __future__ import annotations

import os
import time
from typing import Any

from anyio import to_thread

from bgbench import hdr
from bgbench.ledger import totals
from target_app.state import AppState


def gauges(state: AppState) -> dict[str, int]:
    # The limiter is per event loop; this must run on the app's loop (it does: routes are async).
    limiter = to_thread.current_default_thread_limiter()
    return {
        "in_flight": state.ledger.in_flight,
        "executor_queue_depth": state.executor.queue_depth,
        "executor_running": state.executor.running,
        "threadpool_tokens_in_use": int(limiter.borrowed_tokens),
        "threadpool_tokens_total": int(limiter.total_tokens),
    }


def snapshot(state: AppState, gauge_values: dict[str, int] | None = None) -> dict[str, Any]:
    tasks = state.ledger.summary()
    smtp_server = state.smtp_server
    return {
        "tasks": tasks,
        "totals": totals(tasks),
        "gauges": gauge_values if gauge_values is not None else gauges(state),
        "event_loop_lag_us": state.loop_monitor.summary(),
        "server_latency_us": state.request_timings.summary(),
        "redelivered": state.ledger.redelivered,
        "email": {
            "smtp_server": "embedded" if smtp_server else f"{state.smtp.host}:{state.smtp.port}",
            "received": smtp_server.handler.received if smtp_server else None,
        },
        "process": {
            "pid": os.getpid(),
            "started_at": state.started_at,
            "uptime_s": round(time.time() - state.started_at, 3),
            "cpu_iterations_per_ms": round(state.cpu.iterations_per_ms, 1),
            "executor_max_workers": state.settings.executor_max_workers,
            "executor_queue_limit": state.settings.executor_queue_limit,
            "process_pool_workers": state.settings.process_pool_workers,
            "middleware": state.settings.middleware.value,
        },
    }


def window(state: AppState) -> dict[str, Any]:
    taken = state.ledger.take_window()
    loop = state.loop_monitor.take_window()
    taken["gauges"] = {**gauges(state), "threadpool_tokens_in_use_max": loop.threadpool_tokens_peak}
    taken["event_loop_lag_us"] = hdr.encode(loop.lag)
    timed = state.request_timings.take_window()
    taken["server_latency_us"] = {path: hdr.encode(timed[path]) for path in sorted(timed)}
    return taken
