"""What runs around every request: the request timer, and the tasks attached by middleware
the guide's way and the pure ASGI way."""

from __future__ import annotations

# The harness's own readings (the sweep takes a window a second): neither timed nor tracked.
METRICS_PATHS = frozenset({"/metrics", "/metrics/window"})
# The harness's own probes must not add work to the ledger they are reading.
UNTRACKED_PATHS = METRICS_PATHS | {"/healthz"}


def is_tracked(path: str) -> bool:
    return path not in UNTRACKED_PATHS and not path.startswith("/tasks/")
