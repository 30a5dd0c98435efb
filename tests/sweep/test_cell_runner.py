"""A cell whose harness breaks still stops what it started and says what happened."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from bgbench import trust
from bgbench.results import names
from sweep import cell_runner
from sweep.cell_runner import CellRun
from sweep.definition import CellSpec
from sweep.locust_process import LocustProcess
from sweep.machine import Pinning
from sweep.target import TargetProcess

NO_PINNING = Pinning([0], [0], [0], False, "test")


def test_a_bug_in_the_harness_fails_the_cell_and_stops_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_start(self: LocustProcess) -> None:
        raise RuntimeError("a bug")  # the target app is running by now

    monkeypatch.setattr(LocustProcess, "start", broken_start)
    spec = CellSpec(strategy="background", duration_s=1, warmup_s=0, drain_timeout_s=2)
    cell_dir = tmp_path / "cells" / "000-x"

    cell = CellRun(spec, 0, cell_dir, NO_PINNING).run()

    assert cell.status == "failed"
    assert cell.reason == "the sweep failed: RuntimeError: a bug (see harness.log)"
    assert "RuntimeError: a bug" in (cell_dir / cell_runner.HARNESS_LOG).read_text()
    assert json.loads((cell_dir / names.CELL).read_text())["status"] == "failed"
    server_log = (cell_dir / names.SERVER_LOG).read_text()
    found = re.search(r"Started server process \[(\d+)\]", server_log)
    assert found is not None
    pid = int(found.group(1))
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert "Application shutdown complete" in server_log  # stopped politely, by SIGTERM


def _timed(monkeypatch: pytest.MonkeyPatch, method: str) -> list[float]:
    """How long each call of a CellRun method took, in seconds."""
    took: list[float] = []
    real: Callable[..., None] = getattr(CellRun, method)

    def timed(self: CellRun, *args: Any) -> None:
        started = time.monotonic()
        try:
            real(self, *args)
        finally:
            took.append(time.monotonic() - started)

    monkeypatch.setattr(CellRun, method, timed)
    return took


def test_a_backlog_past_the_drain_timeout_is_flagged_within_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drain_s = 1.0
    waited, stopped = _timed(monkeypatch, "_wait_for_drain"), _timed(monkeypatch, "_stop")
    # One worker, 500 ms tasks at 20 req/s for 1 s: ~20 queued, 10 s of work, 1 s to drain.
    spec = CellSpec(
        strategy="executor",
        workers=1,
        ms=500,
        rate=20,
        duration_s=1,
        warmup_s=0,
        drain_timeout_s=drain_s,
    )
    cell_dir = tmp_path / "cells" / "000-x"
    cell = CellRun(spec, 0, cell_dir, NO_PINNING).run()

    assert cell.status == "ok", cell.reason  # a result of the system under test
    assert "drain_timeout" in cell.flags
    assert cell.accounting is not None
    assert cell.accounting.source == "final"
    assert cell.accounting.balanced  # what the drain left was recorded as not run
    assert cell.accounting.not_run > 0
    shutdown = json.loads((cell_dir / names.SERVER_FINAL).read_text())["shutdown"]
    assert shutdown["drained"] is False
    # The app's drain and the sweep's wait for it each end at the deadline, not after.
    assert drain_s <= shutdown["drain_time_s"] < drain_s + 1.0
    (wait_s,) = waited
    assert drain_s <= wait_s < drain_s + 1.5
    # The stop: uvicorn's graceful shutdown and the lifespan's drain, each bounded by the
    # drain timeout; far from the 30 s the sweep would give it before a SIGKILL.
    (stop_s,) = stopped
    assert stop_s < 2 * drain_s + 5


def test_an_app_killed_at_its_stop_is_accounted_for_from_its_last_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed_at_stop(self: TargetProcess, timeout_s: float = 60.0) -> int | None:
        self.kill()  # as when it outlives its stop timeout: no final report is written
        return None

    monkeypatch.setattr(TargetProcess, "stop", killed_at_stop)
    spec = CellSpec(strategy="background", ms=10, rate=20, duration_s=1, warmup_s=0)
    cell_dir = tmp_path / "cells" / "000-x"
    cell = CellRun(spec, 0, cell_dir, NO_PINNING).run()

    assert not (cell_dir / names.SERVER_FINAL).exists()
    snapshot = json.loads((cell_dir / cell_runner.SERVER_METRICS).read_text())
    assert cell.accounting is not None
    assert cell.accounting.source == "last_snapshot"
    # Taken after the drain: every task of the load done, and the books say so.
    assert cell.accounting.enqueued == snapshot["totals"]["enqueued"] > 0
    assert cell.accounting.completed == cell.accounting.enqueued
    assert cell.accounting.balanced


def test_a_rate_no_load_generator_can_send_flags_the_cell_saturated(tmp_path: Path) -> None:
    # 20,000 req/s offered to /baseline: one Locust process manages a few thousand at most.
    spec = CellSpec(strategy="none", rate=20_000, duration_s=2, warmup_s=0)
    cell = CellRun(spec, 0, tmp_path / "cells" / "000-x", NO_PINNING).run()

    assert cell.status == "ok", cell.reason
    assert "saturated" in cell.flags, cell.flag_reasons
    assert cell.client is not None
    # What it really managed: short of the offered rate (a bound the engine's speed-ups
    # must not move: 11,600 req/s was measured in one run, 5,000-8,000 in others).
    assert cell.client.achieved_rps < 0.95 * 20_000
    # Judged on what was answered of what the schedule sent, which neither the sweep's
    # clock nor the schedule's own start and end can move by more than a few per cent.
    assert "req/s answered of" in cell.flag_reasons["saturated"]
    assert "under 95%" in cell.flag_reasons["saturated"]
    # Judged once, read by the reports: no finding and no comparison will use it.
    assert trust.problems(cell)
    assert trust.measurement_only(cell)
