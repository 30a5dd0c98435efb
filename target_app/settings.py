"""Every knob of the target app, read from BGBENCH_* environment variables.

The sweep runner starts one app process per cell and configures it only through these
variables, so anything a sweep can vary must live here.
"""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bgbench.queues import QUEUES


class MiddlewareMode(StrEnum):
    NONE = "none"
    BASE = "base"  # the guide's @app.middleware("http") (BaseHTTPMiddleware underneath)
    ASGI = "asgi"  # a pure ASGI middleware doing the same work


class Workload(StrEnum):
    SLEEP = "sleep"  # the guide's simulated long task
    CPU = "cpu"  # report generation: pure Python work that holds the GIL
    DB = "db"  # one row written through a connection pool
    HTTP = "http"  # a call to an external API through a shared client


def _default_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / "bgbench"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BGBENCH_", extra="ignore")

    # ThreadPoolExecutor strategy: the guide's max_workers, and a queue bound it lacks.
    executor_max_workers: int = Field(5, ge=1, le=1024)
    executor_queue_limit: int = Field(0, ge=0, description="0 = unbounded, as the guide")
    executor_retry_after_s: int = Field(1, ge=1, description="Retry-After on a 503")
    process_pool_workers: int = Field(2, ge=1, le=256)
    process_pool_prewarm: bool = Field(
        False, description="start every pool process at start-up, not on first use"
    )

    middleware: MiddlewareMode = MiddlewareMode.NONE
    middleware_workload: Workload = Workload.SLEEP
    middleware_ms: float = Field(0.0, ge=0)

    # anyio's default limiter, shared by sync endpoints, sync dependencies and sync tasks.
    threadpool_tokens: int = Field(40, ge=1, le=10_000)

    data_dir: Path = Field(default_factory=_default_data_dir)
    upload_dir: Path | None = None  # default: <data_dir>/uploads
    upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1)
    upload_chunk_bytes: int = Field(64 * 1024, ge=1024)
    upload_keep_files: bool = Field(
        False, description="keep each upload after hashing it (off: a load test fills no disk)"
    )

    # SMTP comes from settings only: a password in a query string ends up in access logs.
    smtp_host: str | None = None  # None: start an embedded aiosmtpd server on loopback
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(10.0, gt=0)
    email_sender: str = "bgbench@example.com"

    database_url: str | None = None  # None: a SQLite file under data_dir
    db_pool_size: int = Field(10, ge=1)

    external_api_url: str | None = None  # None: an embedded stub API on loopback
    http_timeout_s: float = Field(30.0, gt=0)

    # The queue strategies (bgbench.queues): off unless asked for, so that a machine without
    # a broker runs everything else. The URL's scheme says which broker: redis://, amqp://
    # (RabbitMQ), postgresql://.
    queue_enabled: bool = False
    queue_library: str = "celery"
    broker_url: str = "redis://127.0.0.1:6379/0"
    # Where workers report each job's start and end, whatever the broker (always Redis).
    events_url: str = "redis://127.0.0.1:6379/0"
    # The worker's own concurrency knob (processes, threads or async slots: bgbench.queues).
    queue_concurrency: int = Field(1, ge=1, le=1024)
    queue_name: str = Field("bgbench", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    # A task whose worker dies unacknowledged is delivered again after this many seconds.
    queue_visibility_timeout_s: int = Field(3600, ge=1)

    drain_timeout_s: float = Field(30.0, ge=0)
    final_metrics_path: Path | None = None  # where to write /metrics after the drain

    cpu_iterations_per_ms: float = Field(
        0.0, ge=0, description="the cpu workload's speed; 0 = calibrate at start-up"
    )
    max_ms: float = Field(60_000.0, gt=0, description="upper bound of ?ms=")
    max_chain_tasks: int = Field(100, ge=1, description="upper bound of ?tasks=")
    ledger_retain: int = Field(100_000, ge=1, description="finished tasks kept for /tasks/{id}")
    loop_monitor_interval_s: float = Field(0.01, gt=0)

    @field_validator("queue_library")
    @classmethod
    def _known_library(cls, name: str) -> str:
        if name not in QUEUES:
            raise ValueError(f"must be one of {', '.join(QUEUES)}")
        return name

    @property
    def resolved_upload_dir(self) -> Path:
        return self.upload_dir if self.upload_dir is not None else self.data_dir / "uploads"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bgbench.sqlite3'}"
