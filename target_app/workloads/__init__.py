"""What the background work is. Each workload can run as a plain function (in a thread, a
process or inline) and as a coroutine (on the event loop), so that any dispatch strategy can
run any workload and the two axes stay orthogonal."""

from __future__ import annotations

from typing import Any, Protocol


class Work(Protocol):
    """One kind of work lasting about `ms` milliseconds."""

    def run_sync(self, ms: float) -> Any: ...

    async def run_async(self, ms: float) -> Any: ...
