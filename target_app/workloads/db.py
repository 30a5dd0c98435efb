"""One row written through a connection pool (SQLAlchemy's, sync and async).

The work holds a pooled connection for `ms` (a slow query: `pg_sleep` on PostgreSQL, a wait
on SQLite, which has no server to wait in) and then inserts one row in its own transaction.
So the pool size is a real limit, as in production. SQLite runs in WAL mode with a busy
timeout, so concurrent writers queue instead of failing with "database is locked".
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

metadata = MetaData()
writes = Table(
    "bgbench_writes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(32), nullable=False),
    Column("written_at", Float, nullable=False),
)

_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(
            f"BGBENCH_DATABASE_URL: unsupported database {backend!r} (sqlite, postgresql)"
        )
    return parsed.set(drivername=drivers[backend]).render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class DbWork:
    def __init__(self, url: str, pool_size: int) -> None:
        sync_url = _with_driver(url, _SYNC_DRIVERS)
        self.is_sqlite = sync_url.startswith("sqlite")
        self.engine: Engine = create_engine(sync_url, pool_size=pool_size, max_overflow=0)
        self.async_engine: AsyncEngine = create_async_engine(
            _with_driver(url, _ASYNC_DRIVERS), pool_size=pool_size, max_overflow=0
        )
        if self.is_sqlite:
            event.listen(self.engine, "connect", _tune_sqlite)
            event.listen(self.async_engine.sync_engine, "connect", _tune_sqlite)

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def _slow_query(self, ms: float) -> Any:
        return text("SELECT pg_sleep(:s)").bindparams(s=ms / 1000)

    def run_sync(self, ms: float) -> str:
        token = uuid.uuid4().hex
        with self.engine.connect() as connection:
            if ms > 0:
                if self.is_sqlite:
                    time.sleep(ms / 1000)
                else:
                    connection.execute(self._slow_query(ms))
                connection.commit()
            connection.execute(insert(writes).values(token=token, written_at=time.time()))
            connection.commit()
        return token

    async def run_async(self, ms: float) -> str:
        token = uuid.uuid4().hex
        async with self.async_engine.connect() as connection:
            if ms > 0:
                if self.is_sqlite:
                    await asyncio.sleep(ms / 1000)
                else:
                    await connection.execute(self._slow_query(ms))
                await connection.commit()
            await connection.execute(insert(writes).values(token=token, written_at=time.time()))
            await connection.commit()
        return token

    async def dispose(self) -> None:
        await self.async_engine.dispose()
        self.engine.dispose()
