"""`bgbench sweep` as a user runs it: a real sweep, a target killed mid-cell, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from bgbench import hdr
from bgbench.queues import QUEUES
from bgbench.results import names
from tests.conftest import require_service

# Each test runs a real sweep: more than the suite's 120 s default on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TINY = """
name = "tiny"
[defaults]
duration_s = {duration}
warmup_s = 1
rate = 20
ms = 20
probe_rate = 2
drain_timeout_s = 5
[[matrix]]
strategy = ["none", "executor"]
workers = 1
"""


def write_sweep(tmp_path: Path, duration: float) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(duration=duration))
    return path


StartSweep = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start_sweep() -> Iterator[StartSweep]:
    """Start `bgbench sweep` processes; any still running at the end (a failed test) is
    interrupted as a user would, so it stops its own target apps and Locust."""
    started: list[subprocess.Popen[str]] = []

    def start(
        sweep: Path,
        out: Path,
        *options: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "bgbench", "sweep", str(sweep), "--out", str(out), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd or out.parent,  # where the report goes: reports/out/<run_id>/
            env={**os.environ, **env} if env else None,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


NO_BROKER = "redis://127.0.0.1:1/0"


def run_sweep(
    sweep: Path, out: Path, broker: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`bgbench sweep` to the end, for the cases that stop early or run briefly; `env` adds
    to the environment (what the sweep passes on to its apps)."""
    added = {**(env or {}), **({"BGBENCH_BROKER_URL": broker} if broker else {})}
    return subprocess.run(
        [sys.executable, "-m", "bgbench", "sweep", str(sweep), "--out", str(out), "--no-report"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **added} if added else None,
    )


def the_run(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def wait_for(condition: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the sweep never got there")


def server_pid(cell_dir: Path) -> int | None:
    try:
        found = re.search(
            r"Started server process \[(\d+)\]", (cell_dir / "server.log").read_text()
        )
    except OSError:
        return None
    return int(found.group(1)) if found else None


def under_load(out: Path) -> tuple[Path, int]:
    """Wait until the sweep's first cell has its target app up and Locust loading it; the
    cell's directory and the app's pid."""
    first_cell: Path = wait_for(lambda: next((out.glob("*/cells/000-*")), None))
    pid: int = wait_for(lambda: server_pid(first_cell))
    wait_for((first_cell / names.LOCUST_LOG).exists)
    time.sleep(2)  # past Locust's start-up: requests are flowing
    return first_cell, pid


def test_a_sweep_runs_end_to_end(tmp_path: Path, start_sweep: StartSweep) -> None:
    # A relative --out, as a user types it: every process must still find its files.
    sweep = start_sweep(write_sweep(tmp_path, 2), Path("results"), cwd=tmp_path)
    stdout, stderr = sweep.communicate(timeout=180)
    assert sweep.returncode == 0, stderr
    run_dir = the_run(tmp_path / "results")
    assert f"results: {run_dir}" in stdout
    report = tmp_path / "reports" / "out" / run_dir.name / "index.html"
    assert f"report: {report}" in stdout
    assert report.stat().st_size > 0

    manifest = read(run_dir / names.MANIFEST)
    assert manifest["schema_version"] == names.SCHEMA_VERSION
    assert manifest["status"] == "complete"
    assert manifest["run_id"] == run_dir.name
    assert manifest["sweep"]["name"] == "tiny"
    assert manifest["versions"]["fastapi"]
    assert manifest["machine"]["cores"] >= 1
    assert [c["status"] for c in manifest["cells"]] == ["ok", "ok"]

    for entry in manifest["cells"]:
        cell_dir = run_dir / names.CELLS_DIR / entry["cell_id"]
        cell = read(cell_dir / names.CELL)
        assert cell["status"] == "ok"
        assert cell["accounting"]["balanced"] is True
        assert cell["accounting"]["source"] == "final"
        assert cell["client"]["requests"] > 0
        assert cell["client"]["probe"]["requests"] > 0
        assert cell["loadgen"]["cpu_percent"] is not None
        # Both clocks and the generator's own health, on the same requests: the client's
        # latency includes the server's, and the send lag and the machine were recorded.
        client, server = cell["client"], cell["server"]
        assert client["send_lag_us"]["count"] == client["requests"]
        assert server["latency_us"]["count"] > 0
        assert client["latency_us"]["p50"] >= server["latency_us"]["p50"]
        assert (
            cell["harness"]["p50_us"] == client["latency_us"]["p50"] - server["latency_us"]["p50"]
        )
        assert cell["interference"]["seconds"] > 0
        assert set(cell["flag_reasons"]) == set(cell["flags"])
        histograms = read(cell_dir / names.HISTOGRAMS)
        for tally in histograms["client"].values():
            assert hdr.decode(tally["uncorrected"]).get_total_count() > 0
        rows = (cell_dir / names.TIMESERIES).read_text().splitlines()
        assert rows[0].split(",") == list(names.TIMESERIES_COLUMNS)
        assert len(rows) >= 2
        for name in (names.SERVER_LOG, names.LOCUST_LOG, "locust_stats.csv"):
            assert (cell_dir / name).stat().st_size > 0

    # The second app did the first app's calibrated amount of cpu work, not its own.
    second_dir = run_dir / names.CELLS_DIR / manifest["cells"][1]["cell_id"]
    second_app = read(second_dir / names.SERVER_FINAL)["process"]
    assert manifest["cpu_iterations_per_ms"] > 0
    assert second_app["cpu_iterations_per_ms"] == pytest.approx(
        manifest["cpu_iterations_per_ms"], rel=1e-3
    )

    executor = read(run_dir / names.CELLS_DIR / manifest["cells"][1]["cell_id"] / names.CELL)
    tasks = executor["server"]["tasks"]["executor/sleep"]
    assert tasks["completed"] > 0
    assert tasks["run_time_us"]["p50"] >= 19_000  # 20 ms of work, in microseconds
    assert executor["accounting"]["enqueued"] == executor["accounting"]["completed"]


def test_someone_elses_work_on_the_servers_core_flags_every_cell(tmp_path: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs 2 CPUs: on one, the server and the load generator share it anyway")
    # Someone else's CPU-bound process on the core the sweep gives the server (the first).
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(burner.pid, {cpus[0]})
        result = run_sweep(write_sweep(tmp_path, 3), tmp_path / "results")
    finally:
        burner.kill()
        burner.wait()
    assert result.returncode == 0, result.stderr
    assert "the machine is not quiet" in result.stderr  # the progress console's stream
    run_dir = the_run(tmp_path / "results")
    manifest = read(run_dir / names.MANIFEST)
    assert manifest["machine_before"]["quiet"] is False
    for entry in manifest["cells"]:
        cell = read(run_dir / names.CELLS_DIR / entry["cell_id"] / names.CELL)
        assert "interference" in cell["flags"], cell["flag_reasons"]
        # The burner takes whatever the app leaves of its core: 85-95% of it, measured.
        assert cell["interference"]["server_foreign_percent"] > 30
        assert "server cores:" in cell["flag_reasons"]["interference"]


# One executor worker for 200 ms tasks at 20 req/s: the backlog grows by 15 tasks a second,
# so whenever the app is killed, work is queued in it.
BACKLOG = """
name = "backlog"
[defaults]
duration_s = 6
warmup_s = 1
rate = 20
ms = 200
drain_timeout_s = 5
[[matrix]]
strategy = ["executor", "none"]
workers = 1
"""


def test_a_target_that_dies_fails_its_cell_and_the_sweep_goes_on(
    tmp_path: Path, start_sweep: StartSweep
) -> None:
    sweep_file = tmp_path / "backlog.toml"
    sweep_file.write_text(BACKLOG)
    out = tmp_path / "results"
    sweep = start_sweep(sweep_file, out, "--no-report")
    first_cell, pid = under_load(out)
    psutil.Process(pid).kill()
    _, stderr = sweep.communicate(timeout=180)

    assert sweep.returncode == 1, stderr
    manifest = read(the_run(out) / names.MANIFEST)
    assert manifest["status"] == "partial"
    assert [c["status"] for c in manifest["cells"]] == ["failed", "ok"]
    dead = read(first_cell / names.CELL)
    assert dead["status"] == "failed"  # the death is the reason, not the books
    assert "the target app died" in dead["reason"]
    assert dead["client"] is not None  # what Locust measured before the death is kept
    # No last words (killed) and no snapshot (the sweep takes one only after a drain): the
    # books come from the windows sampled before the death, and the backlog queued in the
    # app when it died is lost, and said to be, not balanced away.
    books = dead["accounting"]
    assert books["source"] == "windows"
    assert books["lost"] == (
        books["enqueued"] - books["completed"] - books["failed"] - books["not_run"]
    )
    assert books["lost"] > 0
    assert books["balanced"] is False


POOL = """
name = "pool"
[defaults]
duration_s = 8
warmup_s = 1
rate = 20
ms = 5
workload = "cpu"
drain_timeout_s = 5
[[matrix]]
strategy = "process_pool"
workers = 2
"""


def test_a_target_killed_with_sigkill_leaves_no_pool_process_behind(
    tmp_path: Path, start_sweep: StartSweep
) -> None:
    # kill -9 of the app leaves its pool workers (and multiprocessing's resource tracker)
    # running under PID 1: the sweep must stop them too, by the app's process group.
    sweep_file = tmp_path / "pool.toml"
    sweep_file.write_text(POOL)
    out = tmp_path / "results"
    sweep = start_sweep(sweep_file, out, "--no-report")
    first_cell, pid = under_load(out)
    app = psutil.Process(pid)
    children = wait_for(lambda: app.children(recursive=True))
    app.kill()
    _, stderr = sweep.communicate(timeout=180)
    assert sweep.returncode == 1, stderr
    survivors = [c.pid for c in children if c.is_running() and c.status() != "zombie"]
    assert survivors == [], f"pool processes of the killed app still running: {survivors}"
    dead = read(first_cell / names.CELL)
    assert dead["status"] == "failed"
    assert "the target app died" in dead["reason"]


def test_ctrl_c_leaves_an_interrupted_run_and_no_process_behind(
    tmp_path: Path, start_sweep: StartSweep
) -> None:
    out = tmp_path / "results"
    sweep = start_sweep(write_sweep(tmp_path, 20), out, "--no-report")
    first_cell, _ = under_load(out)
    children = psutil.Process(sweep.pid).children(recursive=True)
    assert len(children) >= 2  # the target app and Locust
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=120)

    assert sweep.returncode == 130
    assert "interrupted" in stderr
    run_dir = the_run(out)
    manifest = read(run_dir / names.MANIFEST)
    assert manifest["status"] == "interrupted"
    assert manifest["finished_at"] is not None
    assert manifest["cells"] == [
        {
            "cell_id": first_cell.name,
            "status": "failed",
            "reason": "interrupted by the user (Ctrl-C)",
        }
    ]
    cell = read(first_cell / names.CELL)
    assert cell["status"] == "failed"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.pid for p in alive]
    assert not list(run_dir.rglob("*.partial"))


def test_a_bad_sweep_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[[matrix]]\nstrategy = "teleport"\n')
    result = run_sweep(bad, tmp_path / "r")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "strategy = 'teleport' must be one of" in result.stderr
    assert not (tmp_path / "r").exists()


QUEUE = """
name = "queue"
[defaults]
duration_s = 2
warmup_s = 1
rate = 30
ms = 20
drain_timeout_s = 10
[[matrix]]
strategy = "queue"
workers = [1, 2, 5]
[[matrix]]
strategy = "arq"
workers = [1, 4]
"""
# Every library over every broker it runs over (the other pairs are skipped by the file).
EVERY_QUEUE = (
    QUEUE
    + """
[[matrix]]
strategy = ["celery", "dramatiq", "rq", "taskiq", "procrastinate"]
broker = ["redis", "rabbitmq", "postgres"]
workers = 2
"""
)


@pytest.mark.timeout(480)
def test_a_sweep_of_every_queue_balances_its_accounting_in_every_cell(
    tmp_path: Path, start_sweep: StartSweep
) -> None:
    for service in ("redis", "rabbitmq", "postgres"):
        require_service(service)
    sweep_file = tmp_path / "queue.toml"
    sweep_file.write_text(EVERY_QUEUE)
    sweep = start_sweep(sweep_file, tmp_path / "results", "--no-report")
    _, stderr = sweep.communicate(timeout=420)
    assert sweep.returncode == 0, stderr
    run_dir = the_run(tmp_path / "results")
    for entry in read(run_dir / names.MANIFEST)["cells"]:
        cell = read(run_dir / names.CELLS_DIR / entry["cell_id"] / names.CELL)
        assert cell["status"] == "ok", cell["reason"]
        assert cell["accounting"]["balanced"] is True
        assert cell["accounting"]["lost_in_broker"] == 0, cell["flag_reasons"]
        queue = cell["server"]["tasks"]["queue/sleep"]
        assert queue["completed"] > 0
        assert queue["run_time_us"]["p50"] >= 19_000
        worker = cell["server"]["queue_worker"]
        library = {"queue": "celery"}.get(cell["params"]["strategy"], cell["params"]["strategy"])
        assert (worker["library"], worker["broker"]) == (library, cell["params"]["broker"])
        assert worker["concurrency"] == cell["params"]["workers"]
        assert worker["exit_code"] is None
        # Its own memory: the main process, and a pool where its library forks one.
        assert worker["rss_mib"] > 10
        pool = worker["concurrency"] if QUEUES[library].slots == "processes" else 0
        assert worker["processes"] >= 1 + pool


def test_without_a_broker_the_queue_cells_are_skipped_and_said(tmp_path: Path) -> None:
    sweep_file = tmp_path / "mixed.toml"
    sweep_file.write_text(QUEUE.replace('strategy = "queue"', 'strategy = ["none", "queue"]'))
    result = run_sweep(sweep_file, tmp_path / "r", broker=NO_BROKER)
    assert result.returncode == 0, result.stderr
    manifest = read(the_run(tmp_path / "r") / names.MANIFEST)
    assert [c["cell_id"] for c in manifest["cells"]] == ["000-none-none-wna-r30"]
    assert [s["strategy"] for s in manifest["skipped"]] == ["queue over redis", "arq over redis"]
    for skipped, count in zip(manifest["skipped"], (3, 2), strict=True):
        assert skipped["reason"].startswith(f"{count} cells skipped: no redis at {NO_BROKER}")
    assert "skipped queue over redis" in result.stderr


def test_a_queue_only_sweep_without_a_broker_is_a_one_line_error(tmp_path: Path) -> None:
    sweep_file = tmp_path / "queue.toml"
    sweep_file.write_text(QUEUE)
    result = run_sweep(sweep_file, tmp_path / "r", broker=NO_BROKER)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"nothing to run: 3 cells skipped: no redis at {NO_BROKER}" in result.stderr
