"""The results format's version, file names and time-series columns: named once, for the
writer (the sweep) and the reader (reports, compare). docs/results-format.md describes them."""

from __future__ import annotations

# 2: send lag, interference, the server's own latency and each flag's reason.
# 3: each second's own histograms (histograms.json `per_second`): percentiles and their
#    confidence intervals come from merged histograms, never from per-second percentiles.
# 4: each Locust worker's own requests, send lag and CPU (cell.json `loadgen.locust_workers`).
#    Version 3 is read as 4 with no workers listed (`bgbench.results.upgrade`).
#    Also (before 4 was released): the server tree's RSS and open descriptors per second
#    (timeseries `server_rss_mib`, `server_open_fds`) and their trend (`server.resources`).
# 5: the queue strategy's worker as the sweep watched it (cell.json `server.queue_worker`), and
#    the flag `worker_died`. Version 4 is read as 5 with no worker recorded.
# 6: one queue strategy per library, over a broker: `params.broker` (null for the strategies
#    in the app's process) and `server.queue_worker.broker`. Version 5 is read as 6 with
#    Celery over Redis, the only queue it ran.
# 7: the queue worker's own memory: `server.queue_worker.rss_mib` (its highest second, summed
#    over its processes) and `processes`; what its broker held at the end (`held_at_stop`),
#    the jobs it started after the app's drain (`started_after_drain`), and the tasks the
#    broker lost (`accounting.lost_in_broker`, the flag `broker_lost`).
#    Version 6 is read as 7 with none of them measured.
SCHEMA_VERSION = 7

MANIFEST = "manifest.json"
CELLS_DIR = "cells"
CELL = "cell.json"
HISTOGRAMS = "histograms.json"
TIMESERIES = "timeseries.csv"
SERVER_FINAL = "server_final.json"
SERVER_LOG = "server.log"
LOCUST_LOG = "locust.log"
LOCUST_CSV_PREFIX = "locust"

TIMESERIES_COLUMNS = (
    "t_s",
    "offered_rps",
    "achieved_rps",
    "failures",
    "dropped",
    "p50_us",
    "p99_us",
    "p99_corrected_us",
    "send_lag_p99_us",
    "server_p50_us",
    "tasks_completed",
    "completion_lag_p50_us",
    "completion_lag_p99_us",
    "backlog",
    "executor_queue_depth",
    "threadpool_tokens_in_use",
    "threadpool_tokens_in_use_max",
    "event_loop_lag_p99_us",
    "probe_requests",
    "probe_p99_us",
    "server_foreign_percent",
    "loadgen_foreign_percent",
    "steal_percent",
    "server_rss_mib",
    "server_open_fds",
)

# The series histograms.json keeps per second (`per_second`), each a latency in µs.
RESPONSE = "response_us"  # the load's requests, from the actual send (the probe's left out)
RESPONSE_CORRECTED = "response_corrected_us"  # the same, from the intended send
PROBE = "probe_us"  # the /baseline-sync probe's requests
SERVER = "server_us"  # the app's own clock for the load's requests
COMPLETION_LAG = "completion_lag_us"  # every task key's, merged: the cell's background work
EVENT_LOOP_LAG = "event_loop_lag_us"
SECOND_SERIES = (RESPONSE, RESPONSE_CORRECTED, PROBE, SERVER, COMPLETION_LAG, EVENT_LOOP_LAG)
