"""The results format's version, file names and time-series columns: named once, for the
writer (the sweep) and the reader (reports, compare). docs/results-format.md describes them."""

from __future__ import annotations

# 2: send lag, interference, the server's own latency and each flag's reason.
SCHEMA_VERSION = 2

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
)
