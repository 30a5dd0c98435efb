"""Locust as a child process: headless, bounded in time, pinned, its files in the cell."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import loadtests
from bgbench.results import names
from sweep.catalog import STRATEGIES, scenario_and_route
from sweep.child import Child
from sweep.definition import CellSpec

SCENARIO_DIR = Path(loadtests.__file__).resolve().parent
# Beyond --run-time: Locust's start-up, its --stop-timeout and writing its files.
_GRACE_S = 60.0
STOP_TIMEOUT_S = 5
# How long a master waits for its remote workers to connect before it gives up (and exits
# non-zero: the cell fails saying so). The user starts them; this bounds the wait.
EXPECT_WORKERS_WAIT_S = 120


def scenario_file(spec: CellSpec) -> Path:
    scenario, _ = scenario_and_route(STRATEGIES[spec.strategy], spec.workload)
    return SCENARIO_DIR / f"{scenario}.py"


def _distribution(spec: CellSpec) -> list[str]:
    """Locust's arguments for the cell's processes: one, N local ones (--processes), or a
    master that binds the named address and waits for the remote workers."""
    if spec.remote_load_workers:
        return [
            "--master",
            "--master-bind-host",
            spec.load_master_bind,
            "--master-bind-port",
            str(spec.load_master_port),
            "--expect-workers",
            str(spec.remote_load_workers),
            "--expect-workers-max-wait",
            str(EXPECT_WORKERS_WAIT_S),
        ]
    if spec.load_workers > 1:
        return ["--processes", str(spec.load_workers)]
    return []


def load_processes(spec: CellSpec) -> int:
    """The processes that generate the load: the users are split over them."""
    return spec.remote_load_workers or spec.load_workers


def command(spec: CellSpec, host: str, cell_dir: Path) -> list[str]:
    run_time_s = math.ceil(spec.warmup_s + spec.duration_s)
    users = spec.users if spec.model == "closed" and spec.users else load_processes(spec)
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(scenario_file(spec)),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{run_time_s}s",
        "--stop-timeout",
        # A headless master waits only 0.5 s for its workers' last reports: with workers
        # (local or remote), requests still out at the end are counted as unfinished instead.
        str(STOP_TIMEOUT_S if not _distribution(spec) else 0),
        "--csv",
        str(cell_dir / names.LOCUST_CSV_PREFIX),
        "--csv-full-history",
        "--json-file",
        str(cell_dir / names.LOCUST_CSV_PREFIX),
        "--only-summary",
        "--bgbench-out",
        str(cell_dir),
        "--warmup-s",
        f"{spec.warmup_s:g}",
        "--max-in-flight",
        str(spec.max_in_flight),
        "--arrival",
        spec.arrival,
        "--rate",
        f"{spec.rate:g}" if spec.model == "open" and spec.rate else "0",
        "--probe-rate",
        f"{spec.probe_rate:g}",
    ]
    if spec.workload in ("sleep", "cpu", "db", "http"):
        args += ["--workload", spec.workload, "--ms", f"{spec.ms:g}"]
    if spec.strategy in ("chained", "failing", "failing_guarded"):
        args += ["--tasks", str(spec.tasks), "--fail-at", str(spec.fail_at)]
    if spec.strategy == "executor":
        args += ["--priority", spec.priority]
    if spec.workload == "upload":
        args += ["--upload-bytes", str(spec.upload_bytes)]
    args += _distribution(spec)
    args += list(STRATEGIES[spec.strategy].locust_args)
    return args


class LocustProcess:
    """Started from the sweep, whose own CPU affinity (the load generator's cores) it inherits."""

    def __init__(self, spec: CellSpec, host: str, cell_dir: Path) -> None:
        self.args = command(spec, host, cell_dir)
        self.cell_dir = cell_dir
        self.timeout_s = math.ceil(spec.warmup_s + spec.duration_s) + _GRACE_S
        if spec.remote_load_workers:
            self.timeout_s += EXPECT_WORKERS_WAIT_S
        self.child = Child(cell_dir / names.LOCUST_LOG)

    @property
    def pid(self) -> int | None:
        return self.child.pid

    def start(self) -> None:
        self.child.spawn(self.args, cwd=self.cell_dir)

    def poll(self) -> int | None:
        return self.child.exit_code

    def stop(self) -> None:
        """SIGTERM (Locust stops its users and writes its files), SIGKILL if it lingers."""
        self.child.stop(STOP_TIMEOUT_S + 10)


def _percentile(times: dict[float, int], total: int, fraction: float) -> float | None:
    """Locust's way: the smallest recorded (rounded) time with `fraction` of requests at or
    below it."""
    if total == 0:
        return None
    seen = 0
    for value in sorted(times):
        seen += times[value]
        if seen >= fraction * total:
            return value
    return max(times)


def read_stats(cell_dir: Path) -> dict[str, Any] | None:
    """Locust's own final numbers (warm-up and probe included), for cross-checking ours.

    From its --json-file, written once at the very end: the stats CSV is only rewritten once
    a second, so it can miss the last requests."""
    try:
        entries = json.loads((cell_dir / f"{names.LOCUST_CSV_PREFIX}.json").read_text())
    except (OSError, ValueError):
        return None
    times: dict[float, int] = {}
    for entry in entries:
        for value, count in entry["response_times"].items():
            times[float(value)] = times.get(float(value), 0) + count
    requests = sum(int(entry["num_requests"]) for entry in entries)
    first = min((entry["start_time"] for entry in entries), default=0.0)
    last = max((entry["last_request_timestamp"] or 0.0 for entry in entries), default=0.0)
    return {
        "requests": requests,
        "failures": sum(int(entry["num_failures"]) for entry in entries),
        "rps": round(requests / (last - first), 2) if last > first else None,
        "median_ms": _percentile(times, requests, 0.5),
        "p99_ms": _percentile(times, requests, 0.99),
    }
