"""Tasks attached to every request by middleware, the guide's way and the pure ASGI way."""

from __future__ import annotations

# The harness's own probes must not add work to the ledger they are reading.
UNTRACKED_PATHS = frozenset({"/healthz", "/metrics", "/metrics/window"})


def is_tracked(path: str) -> bool:
    return path not in UNTRACKED_PATHS and not path.startswith("/tasks/")
