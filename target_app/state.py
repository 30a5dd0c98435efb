"""What the app holds while it runs: built in the lifespan, reached by routes through
`app.state.bgbench` (the `State` dependency)."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from bgbench.ledger import TaskLedger
from target_app.mail import SmtpConfig
from target_app.middleware.timing import RequestTimings
from target_app.priority_executor import PriorityBoundedExecutor
from target_app.services.loop_monitor import LoopMonitor
from target_app.services.smtp_server import EmbeddedSmtpServer
from target_app.settings import Settings, Workload
from target_app.workloads import Work
from target_app.workloads.cpu import CpuWork

if TYPE_CHECKING:  # a queue library is imported only when the queue strategy is on
    from target_app.queue.dispatcher import QueueDispatcher


@dataclass
class AppState:
    settings: Settings
    ledger: TaskLedger
    executor: PriorityBoundedExecutor
    process_pool: ProcessPoolExecutor
    work: dict[Workload, Work]
    cpu: CpuWork
    smtp: SmtpConfig
    smtp_server: EmbeddedSmtpServer | None
    loop_monitor: LoopMonitor
    request_timings: RequestTimings
    queue: QueueDispatcher | None = None
    started_at: float = field(default_factory=time.time)
    shutdown_report: dict[str, Any] | None = None


# Dependencies are `async def` although they never await: FastAPI runs a plain `def`
# dependency in the thread pool, and each hop would cost a request hundreds of µs and a
# thread-pool token (the very tokens sync background tasks compete for).
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bgbench
    return state


State = Annotated[AppState, Depends(get_state)]
