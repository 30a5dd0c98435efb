"""What the target app, the load generator, the sweep and the reports agree on, named once:
the task counters and timings the app's ledger reports, the probe's route and request name,
and the thread-pool default the app starts with."""

from __future__ import annotations

COUNTERS = ("enqueued", "started", "completed", "failed", "not_run", "rejected")
TIMINGS = ("queue_wait_us", "run_time_us", "completion_lag_us")

# The probe: a second stream of requests beside any scenario's, to a plain `def` route, that
# shows what the load does to everyone else's requests.
PROBE_ROUTE = "/baseline-sync"
PROBE_REQUEST = "probe/baseline-sync"

# anyio's default number of worker-thread tokens, shared by sync endpoints, sync dependencies
# and sync background tasks; the app starts with it unless told otherwise.
THREADPOOL_TOKENS = 40
