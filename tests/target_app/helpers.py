"""Talking to a running target app from tests."""

from __future__ import annotations

import time
from typing import Any

import httpx

FINAL = {"done", "failed", "not_run"}


def wait_for_task(client: httpx.Client, task_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """Poll /tasks/{id} until the task has ended; fail the test if it never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        task: dict[str, Any] = client.get(f"/tasks/{task_id}").raise_for_status().json()
        if task["status"] in FINAL:
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {task['status']} after {timeout_s} s")
        time.sleep(0.02)


def wait_for_status(
    client: httpx.Client, task_id: str, status: str, timeout_s: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        task: dict[str, Any] = client.get(f"/tasks/{task_id}").raise_for_status().json()
        if task["status"] == status:
            return task
        if task["status"] in FINAL or time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} is {task['status']}, never {status}")
        time.sleep(0.01)


def max_overlap(tasks: list[dict[str, Any]]) -> int:
    """The most tasks that were running at the same moment, from their own timestamps."""
    events = [(t["started_at"], 1) for t in tasks] + [(t["finished_at"], -1) for t in tasks]
    running = peak = 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):
        running += change
        peak = max(peak, running)
    return peak
