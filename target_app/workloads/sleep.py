"""The guide's simulated long task: waiting, not computing (like most I/O)."""

from __future__ import annotations

import asyncio
import time


class SleepWork:
    def run_sync(self, ms: float) -> None:
        time.sleep(ms / 1000)

    async def run_async(self, ms: float) -> None:
        await asyncio.sleep(ms / 1000)
