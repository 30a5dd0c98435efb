"""A cell whose harness breaks still stops what it started and says what happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psutil
import pytest

from bgbench.results import names
from sweep import cell_runner
from sweep.cell_runner import CellRun
from sweep.definition import CellSpec
from sweep.locust_process import LocustProcess
from sweep.machine import Pinning

NO_PINNING = Pinning([0], [0], [0], False, "test")


def test_a_bug_in_the_harness_fails_the_cell_and_stops_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_start(self: LocustProcess) -> None:
        raise RuntimeError("a bug")  # the target app is running by now

    monkeypatch.setattr(LocustProcess, "start", broken_start)
    spec = CellSpec(strategy="background", duration_s=1, warmup_s=0, drain_timeout_s=2)
    cell_dir = tmp_path / "cells" / "000-x"

    cell = CellRun(spec, 0, cell_dir, NO_PINNING, "redis://127.0.0.1:1/0").run()

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
