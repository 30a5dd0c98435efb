"""The db workload writes real rows, to SQLite by default and to PostgreSQL when configured."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartTarget, require_service
from tests.target_app.helpers import wait_for_task


def _write_rows(url: str) -> list[str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        tokens = []
        for route in ("/background", "/background-async", "/executor", "/inline"):
            task_id = client.get(route, params={"workload": "db", "ms": 5}).json()["task_ids"][0]
            task = wait_for_task(client, task_id)
            assert task["status"] == "done", task["error"]
            tokens.append(task["result"])
    return tokens


def test_the_db_workload_writes_a_row_to_sqlite(start_target: StartTarget, tmp_path: Path) -> None:
    database = tmp_path / "bench.sqlite3"
    target = start_target(database_url=f"sqlite:///{database}")
    tokens = _write_rows(target.url)
    with sqlite3.connect(database) as connection:
        stored = {row[0] for row in connection.execute("SELECT token FROM bgbench_writes")}
    assert set(tokens) <= stored


def test_the_db_workload_writes_a_row_to_postgres(start_target: StartTarget) -> None:
    require_service("postgres")
    import psycopg

    target = start_target(database_url="postgresql://postgres@127.0.0.1:5432/test")
    tokens = _write_rows(target.url)
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as connection:
        rows = connection.execute(
            "SELECT token FROM bgbench_writes WHERE token = ANY(%s)", (tokens,)
        ).fetchall()
    assert {row[0] for row in rows} == set(tokens)


def test_an_unreachable_database_stops_start_up_with_a_clear_message(
    start_target: StartTarget,
) -> None:
    from sweep.target import TargetError

    with pytest.raises(TargetError, match="cannot use the database at postgresql"):
        start_target(database_url=f"postgresql://nobody@127.0.0.1:1/{uuid.uuid4().hex}")
