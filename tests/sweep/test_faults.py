"""The fault table: each fault done to real processes of a real sweep, and what the run says.

Every row of `FAULTS` is one test below and one row of the README's "Reliability" section
(`test_the_readme_table_is_this_table` checks that they agree). Each test asserts the exact
task counts the cell's accounting gives (completed, failed, not run, lost), that they add up
to what the app enqueued, and that the run left behind loads with `bgbench.results`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from bgbench.queues import QUEUES
from bgbench.results import names
from bgbench.results.reader import load_run
from tests.conftest import require_service, unavailable
from tests.own_brokers import OwnRedis
from tests.sweep.test_sweep_runs import (
    read,
    run_sweep,
    start_sweep,
    the_run,
    under_load,
    wait_for,
)

__all__ = ["start_sweep"]  # the fixture, shared with test_sweep_runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class Fault:
    fault: str
    cell: str  # the cell's status and flags
    tasks: str  # what the accounting says of the tasks
    run: str  # the run's status and exit code


FAULTS = {
    "sigkill_mid_cell": Fault(
        "target app killed (SIGKILL) mid-cell",
        "failed: the target app died",
        "estimated (`source`: windows): the app's last second before the kill is not counted",
        "partial, exit 1; the next cell runs",
    ),
    "sigterm_mid_cell": Fault(
        "target app stopped (SIGTERM) mid-cell",
        "failed: the target app died",
        "its own final count: every task completed, none lost",
        "partial, exit 1; the next cell runs",
    ),
    "queue_worker_sigkill_mid_cell": Fault(
        "a queue worker's main process killed (SIGKILL) mid-cell, for each library",
        "ok, flagged `worker_died` (untrusted): its exit code, when, and what ran",
        "adding up: what completed; the tasks it was running as failed (abandoned at the "
        "drain), the backlog as never run",
        "complete, exit 0; the worker's pool processes stopped",
    ),
    "queue_worker_stalled_mid_cell": Fault(
        "a queue worker hung (SIGSTOP) mid-cell",
        "ok, flagged `worker_stalled` (untrusted): for how long it finished nothing, and what "
        "was in flight",
        "adding up: what completed, the backlog as never run, none lost",
        "complete, exit 0",
    ),
    "broker_restart_mid_cell": Fault(
        "Redis without persistence restarted (SIGKILL) mid-cell, a backlog queued",
        "ok, flagged `broker_lost` (untrusted): how many the broker lost, what it still held",
        "adding up: what completed, what the broker still held (and what the worker started "
        "after the drain) as never run, the rest as `lost_in_broker` (not blamed on the drain)",
        "complete, exit 0",
    ),
    "smtp_down": Fault(
        "SMTP server down (connection refused)",
        "ok",
        "every email task failed, none lost",
        "complete, exit 0",
    ),
    "smtp_silent": Fault(
        "SMTP server silent (accepts, never answers)",
        "ok",
        "every email task failed at the SMTP timeout, none lost",
        "complete, exit 0",
    ),
    "db_down_at_start": Fault(
        "database (`BGBENCH_DATABASE_URL`) down when the cells start",
        "failed: could not start (the app names the database URL and the fix)",
        "none enqueued",
        "partial, exit 1; every cell tried",
    ),
    "ctrl_c_mid_cell": Fault(
        "Ctrl-C mid-cell",
        "failed: interrupted by the user (Ctrl-C)",
        "what the app had counted, adding up",
        "interrupted, exit 130; no process left",
    ),
    "ctrl_c_between_cells": Fault(
        "Ctrl-C as the next cell starts",
        "the finished cells kept",
        "-",
        "interrupted, exit 130; no process left",
    ),
    "out_read_only": Fault(
        "results folder read-only",
        "-",
        "-",
        "nothing runs; one line naming the folder, exit 2",
    ),
    "out_full": Fault(
        "results folder full mid-run",
        "the cells written so far, each ok",
        "-",
        "partial, exit 1, `stopped` says why; no `.partial` file left",
    ),
}

ONE_CELL = """
name = "fault"
[defaults]
duration_s = {duration}
warmup_s = 1
rate = 20
workload = "{workload}"
ms = {ms}
drain_timeout_s = {drain}
workers = {workers}
[[matrix]]
strategy = [{strategies}]
"""


def sweep_file(
    tmp_path: Path,
    *,
    duration: float = 3,
    workload: str = "sleep",
    ms: float = 20,
    drain: float = 10,
    strategies: tuple[str, ...] = ("background",),
    workers: int = 5,
) -> Path:
    path = tmp_path / "fault.toml"
    listed = ", ".join(f'"{s}"' for s in strategies)
    path.write_text(
        ONE_CELL.format(
            duration=duration,
            workload=workload,
            ms=ms,
            drain=drain,
            strategies=listed,
            workers=workers,
        )
    )
    return path


def cells(run_dir: Path) -> list[dict[str, Any]]:
    return [read(path) for path in sorted(run_dir.glob(f"{names.CELLS_DIR}/*/{names.CELL}"))]


def balanced(accounting: dict[str, Any]) -> int:
    """The accounting adds up (lost is what is left); the tasks the app enqueued."""
    parts = ("completed", "failed", "not_run", "lost_in_broker", "lost")
    assert sum(accounting[part] or 0 for part in parts) == accounting["enqueued"], accounting
    enqueued: int = accounting["enqueued"]
    return enqueued


def answered(cell: dict[str, Any]) -> int:
    """Requests the app accepted, warm-up and probe left out: Locust's own total, less the
    failures, counts every accepted one however the cell ended."""
    locust = cell["client"]["locust"]
    accepted: int = locust["requests"] - locust["failures"]
    return accepted


def loads(out: Path) -> Path:
    run_dir = the_run(out)
    load_run(run_dir)  # raises if what is on disk is not a readable run
    return run_dir


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word (no SMTP greeting)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)  # the kernel accepts; nobody ever reads or writes
        port: int = server.getsockname()[1]
        yield port


# -- the table -------------------------------------------------------------------------------


def app_signalled_mid_cell(
    tmp_path: Path, start_sweep: Any, signum: signal.Signals
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A two-cell sweep whose first cell's app gets `signum` under load: both cells."""
    out = tmp_path / "results"
    definition = sweep_file(tmp_path, duration=6, strategies=("background", "none"))
    running = start_sweep(definition, out, "--no-report")
    _, pid = under_load(out)
    psutil.Process(pid).send_signal(signum)
    running.communicate(timeout=180)
    assert running.returncode == 1
    run_dir = loads(out)
    assert read(run_dir / names.MANIFEST)["status"] == "partial"
    dead, after = cells(run_dir)
    assert dead["status"] == "failed"
    assert "the target app died" in dead["reason"]
    assert after["status"] == "ok"
    return dead, after


def test_sigkill_mid_cell(tmp_path: Path, start_sweep: Any) -> None:
    dead, _ = app_signalled_mid_cell(tmp_path, start_sweep, signal.SIGKILL)
    accounting = dead["accounting"]
    assert accounting["source"] in {"windows", "last_snapshot"}
    # An estimate from the once-a-second windows: the tasks of the last second before the
    # kill are in no window, so it counts at most what Locust saw accepted (measured: 19 of
    # 32), and never a negative loss.
    assert 0 < balanced(accounting) <= answered(dead)
    assert accounting["lost"] >= 0


def test_sigterm_mid_cell(tmp_path: Path, start_sweep: Any) -> None:
    dead, _ = app_signalled_mid_cell(tmp_path, start_sweep, signal.SIGTERM)
    accounting = dead["accounting"]
    # A graceful stop: uvicorn lets the running background tasks finish and the app writes
    # its own final count, so nothing is estimated and nothing is lost.
    assert accounting["source"] == "final"
    assert balanced(accounting) == answered(dead) == accounting["completed"] > 0
    assert (accounting["failed"], accounting["not_run"], accounting["lost"]) == (0, 0, 0)


# How each library's worker is started (`python -m <module> ...`): its main process is the
# sweep's own child with that command.
WORKER_MODULE = {
    "celery": "celery",
    "arq": "arq",
    "dramatiq": "dramatiq",
    "rq": "rq.cli",
    "taskiq": "taskiq",
    "procrastinate": "procrastinate",
}


def worker_main(sweep_pid: int, library: str) -> psutil.Process:
    """The cell's queue worker's main process (the parent of any pool processes it has)."""

    def main() -> psutil.Process | None:
        for child in psutil.Process(sweep_pid).children():
            try:
                if child.cmdline()[1:3] == ["-m", WORKER_MODULE[library]]:
                    return child
            except psutil.NoSuchProcess:  # a short-lived helper process, gone already
                continue
        return None

    found: psutil.Process = wait_for(main)
    return found


def test_every_library_has_its_worker_module() -> None:
    assert set(WORKER_MODULE) == set(QUEUES)


@pytest.mark.parametrize("library", list(QUEUES))
def test_queue_worker_sigkill_mid_cell(tmp_path: Path, start_sweep: Any, library: str) -> None:
    facts = QUEUES[library]
    require_service(facts.default_broker.value)
    out = tmp_path / "results"
    # One slot, 200 ms tasks at 20 req/s: a backlog grows from the first second, so the kill
    # leaves work queued that no one will run.
    definition = sweep_file(tmp_path, duration=6, ms=200, drain=5, strategies=(library,), workers=1)
    running = start_sweep(definition, out, "--no-report")
    under_load(out)
    worker = worker_main(running.pid, library)
    pool = worker.children(recursive=True)
    worker.send_signal(signal.SIGKILL)  # the main process only, as `kill -9 <pid>` does
    running.communicate(timeout=180)
    assert running.returncode == 0  # the cell is flagged, not failed: the run completes
    [cell] = cells(loads(out))
    assert cell["status"] == "ok", cell["reason"]
    assert "worker_died" in cell["flags"]
    record = cell["server"]["queue_worker"]
    assert (record["library"], record["exit_code"]) == (library, -signal.SIGKILL)
    assert 0 < record["died_at_s"] < 6 + 5
    accounting = cell["accounting"]
    enqueued = balanced(accounting)
    assert enqueued == answered(cell) > 0  # one task per accepted request
    assert accounting["not_run"] > 0  # the backlog the kill left
    assert accounting["lost_in_broker"] == 0  # still in the broker, every one of them
    assert accounting["completed"] > 0  # what ran before it
    # The tasks it was running: abandoned at the app's drain, which counts them failed.
    assert accounting["failed"] == cell["server"]["shutdown"]["unfinished_at_shutdown"]
    reason = cell["flag_reasons"]["worker_died"]
    assert f"{accounting['not_run']} never ran" in reason
    assert f"{accounting['completed']} completed" in reason
    # Whatever the dead main process left running is stopped with its process group.
    assert not [p for p in pool if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_queue_worker_stalled_mid_cell(tmp_path: Path, start_sweep: Any) -> None:
    require_service("redis")
    out = tmp_path / "results"
    # arq: one process, whose jobs are asyncio tasks. SIGSTOPped, it is alive and does nothing,
    # as a worker hung on a lock or cut off from its broker would be.
    definition = sweep_file(tmp_path, duration=8, ms=200, drain=3, strategies=("arq",), workers=1)
    running = start_sweep(definition, out, "--no-report")
    first_cell, _ = under_load(out)
    worker = worker_main(running.pid, "arq")
    worker.suspend()
    try:
        # Hung through the load and the drain, until the app has stopped: then woken, so
        # that it hears the sweep's SIGTERM instead of costing the cell 30 s more of waiting.
        wait_for((first_cell / names.SERVER_FINAL).exists, timeout_s=60)
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.resume()
    running.communicate(timeout=180)
    assert running.returncode == 0
    [cell] = cells(loads(out))
    assert cell["status"] == "ok", cell["reason"]
    assert "worker_stalled" in cell["flags"]
    assert "worker_died" not in cell["flags"]  # it never exited by itself
    assert (
        "the arq worker was alive but finished no task for"
        in (cell["flag_reasons"]["worker_stalled"])
    )
    accounting = cell["accounting"]
    assert balanced(accounting) == answered(cell) > 0
    assert accounting["not_run"] > 0  # the backlog it left
    assert accounting["lost_in_broker"] == 0  # still in Redis, every one


def test_broker_restart_mid_cell(tmp_path: Path, start_sweep: Any) -> None:
    require_service("redis")  # the events' Redis; the broker is the test's own
    redis = OwnRedis(tmp_path / "redis", durable=False).start()
    out = tmp_path / "results"
    # As in the worker's kill: one slot, 200 ms tasks at 20 req/s, so a backlog waits in
    # Redis when it restarts empty; the worker reconnects and runs what comes after.
    definition = sweep_file(
        tmp_path, duration=6, ms=200, drain=5, strategies=("celery",), workers=1
    )
    try:
        running = start_sweep(definition, out, "--no-report", env={"BGBENCH_BROKER_URL": redis.url})
        under_load(out)
        redis.crash_and_start()
        running.communicate(timeout=180)
    finally:
        redis.stop()
    assert running.returncode == 0  # the cell is flagged, not failed: the run completes
    [cell] = cells(loads(out))
    assert cell["status"] == "ok", cell["reason"]
    assert "broker_lost" in cell["flags"]
    accounting = cell["accounting"]
    assert (balanced(accounting), accounting["lost"]) == (answered(cell), 0)
    assert accounting["lost_in_broker"] > 0  # the backlog the restart took
    assert accounting["completed"] > 0  # before it, and after it
    # What is left as never run is what Redis still held at the end and what the worker,
    # running on after the app's drain, started then: nothing more.
    worker = cell["server"]["queue_worker"]
    assert accounting["not_run"] == worker["held_at_stop"] + worker["started_after_drain"]
    reason = cell["flag_reasons"]["broker_lost"]
    assert f"{accounting['lost_in_broker']} of the {accounting['enqueued']} tasks" in reason
    assert "gone from the redis broker" in reason


def email_sweep(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    definition = sweep_file(tmp_path, workload="email", drain=15)
    env = {
        "BGBENCH_SMTP_HOST": "127.0.0.1",
        "BGBENCH_SMTP_PORT": str(port),
        "BGBENCH_SMTP_TIMEOUT_S": "1",
    }
    return run_sweep(definition, tmp_path / "results", env=env)


def all_failed(tmp_path: Path, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    run_dir = loads(tmp_path / "results")
    assert read(run_dir / names.MANIFEST)["status"] == "complete"
    [cell] = cells(run_dir)
    assert cell["status"] == "ok", cell["reason"]
    accounting = cell["accounting"]
    assert accounting["source"] == "final"
    enqueued = balanced(accounting)
    assert enqueued == answered(cell) > 0  # one task per accepted request
    assert (accounting["failed"], accounting["completed"]) == (enqueued, 0)
    assert (accounting["not_run"], accounting["lost"]) == (0, 0)


def test_smtp_down(tmp_path: Path, closed_port: int) -> None:
    all_failed(tmp_path, email_sweep(tmp_path, closed_port))


def test_smtp_silent(tmp_path: Path, silent_smtp: int) -> None:
    all_failed(tmp_path, email_sweep(tmp_path, silent_smtp))


def test_db_down_at_start(tmp_path: Path, closed_port: int) -> None:
    definition = sweep_file(tmp_path, workload="db", ms=5, strategies=("background", "none"))
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/test"
    done = run_sweep(definition, tmp_path / "results", env={"BGBENCH_DATABASE_URL": url})
    assert done.returncode == 1, done.stderr
    run_dir = loads(tmp_path / "results")
    assert read(run_dir / names.MANIFEST)["status"] == "partial"
    tried = cells(run_dir)
    assert len(tried) == 2  # the app opens its database at start, whatever the workload
    for cell in tried:
        assert cell["status"] == "failed"
        assert cell["reason"].startswith("could not start")
        assert f"cannot use the database at {url}" in cell["reason"]
        assert "check BGBENCH_DATABASE_URL" in cell["reason"]
        assert cell["accounting"]["enqueued"] == 0


def test_ctrl_c_mid_cell(tmp_path: Path, start_sweep: Any) -> None:
    out = tmp_path / "results"
    running = start_sweep(sweep_file(tmp_path, duration=20), out, "--no-report")
    under_load(out)
    children = psutil.Process(running.pid).children(recursive=True)
    running.send_signal(signal.SIGINT)
    running.communicate(timeout=120)
    assert running.returncode == 130
    run_dir = loads(out)
    assert read(run_dir / names.MANIFEST)["status"] == "interrupted"
    [cell] = cells(run_dir)
    assert cell["reason"] == "interrupted by the user (Ctrl-C)"
    if cell["accounting"] is not None:
        balanced(cell["accounting"])
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.pid for p in alive]


def test_ctrl_c_between_cells(tmp_path: Path, start_sweep: Any) -> None:
    out = tmp_path / "results"
    definition = sweep_file(tmp_path, duration=2, strategies=("background", "none"))
    running = start_sweep(definition, out, "--no-report")
    # The first cell written, the second on its way up: that is when to interrupt.
    wait_for(lambda: next(out.glob(f"*/{names.CELLS_DIR}/000-*/{names.CELL}"), None))
    children = psutil.Process(running.pid).children(recursive=True)
    running.send_signal(signal.SIGINT)
    running.communicate(timeout=120)
    assert running.returncode == 130
    run_dir = loads(out)
    manifest = read(run_dir / names.MANIFEST)
    assert manifest["status"] == "interrupted"
    assert manifest["finished_at"] is not None
    assert manifest["cells"][0]["status"] == "ok"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.pid for p in alive]


def mounted(tmp_path: Path, options: str) -> Iterator[Path]:
    """A tmpfs of the test's own, mounted with `options` (root only: CI runs as root)."""
    if os.geteuid() != 0:
        unavailable("needs root to mount a tmpfs (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    yield from mounted(tmp_path, "ro,size=1m")


def test_out_read_only(tmp_path: Path, read_only_disk: Path) -> None:
    out = read_only_disk / "results"
    done = run_sweep(sweep_file(tmp_path), out)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert f"{out}: cannot write results (Read-only file system)" in done.stderr
    assert not out.exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """160 KiB: room for the run's start (the manifest and its 64 KiB reserve) and for two or
    three cells (25-30 KiB each), not for five."""
    yield from mounted(tmp_path, "size=160k")


def test_out_full(tmp_path: Path, small_disk: Path) -> None:
    strategies = ("background", "none", "inline", "background_async", "executor")
    definition = sweep_file(tmp_path, duration=3, strategies=strategies)
    done = run_sweep(definition, small_disk / "results")
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr
    run_dir = the_run(small_disk / "results")
    manifest = read(run_dir / names.MANIFEST)
    assert manifest["status"] == "partial"
    assert "No space left on device" in manifest["stopped"]
    assert manifest["finished_at"] is not None
    assert not list(run_dir.rglob("*.partial"))
    assert not (run_dir / ".bgbench-reserve").exists()  # spent on the last words
    run = load_run(run_dir)
    assert 1 <= len(run.cells) < len(strategies)
    assert all(cell.status == "ok" for cell in run.cells)


# -- the README ------------------------------------------------------------------------------


def readme_rows() -> list[tuple[str, ...]]:
    text = README.read_text()
    section = text.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]  # no |---|
    return [tuple(cell.strip() for cell in row.strip("|").split("|")) for row in rows[1:]]


def test_the_readme_table_is_this_table() -> None:
    expected = [(f.fault, f.cell, f.tasks, f.run) for f in FAULTS.values()]
    assert readme_rows() == expected


def test_every_row_has_its_test() -> None:
    tests = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(FAULTS) <= tests, set(FAULTS) - tests
