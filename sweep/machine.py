"""What a run was measured on: machine, versions, git state, and the CPU pinning plan."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from sweep import interference

PACKAGES = (
    "bgbench",
    "fastapi",
    "starlette",
    "uvicorn",
    "locust",
    "pydantic",
    "anyio",
    "hdrhistogram",
    "httptools",
    # the queues' libraries and clients
    "celery",
    "kombu",
    "redis",
    "arq",
    "dramatiq",
    "rq",
    "taskiq",
    "procrastinate",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "os": platform.platform(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def git() -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "branch": None}
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "dirty": bool(status),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
    }


@dataclass(frozen=True)
class Pinning:
    available_cpus: list[int]
    server_cpus: list[int]
    loadgen_cpus: list[int]
    pinned: bool
    note: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_pinning() -> Pinning:
    """With two cores or more, the target app (and its pools and workers) gets the first and
    the load generator the rest, so neither steals the other's CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Pinning(cpus, cpus, cpus, False, "one CPU: server and load generator share it")
    return Pinning(
        cpus,
        cpus[:1],
        cpus[1:],
        True,
        f"server on CPU {cpus[0]}, load generator and sweep runner on {cpus[1:]}",
    )


# Thresholds for "quiet": what a cell's numbers can bear without moving.
# - foreign: under 10% of any CPU used by others (a cell on that core then loses at most a
#   tenth of it; the same cell moved 2x between runs when something else ran).
# - steal: under 2%: at USER_HZ 100 a single jiffy in 1 s is already 1%, and this kind of VM
#   shows ~0.5% steal at rest.
# - load average (1 min): at most one runnable task per usable CPU. It sees the last minute,
#   where the 1 s measurement can fall into a gap of someone's bursty work.
QUIET_FOREIGN_PERCENT = 10.0
QUIET_STEAL_PERCENT = 2.0
QUIET_LOAD_PER_CPU = 1.0


def quietness(
    pinning: Pinning,
    seconds: float = 1.0,
    *,
    measure: Callable[
        [Sequence[int], Sequence[int], float], dict[int, tuple[float, float]] | None
    ] = interference.measure_per_cpu,
) -> dict[str, Any]:
    """Is anything else using this machine? Measured over `seconds` before the cells run: the
    load average and, per CPU, the CPU used by processes other than the sweep (and its
    children) and steal. The sweep's own time is spread over the load generator's CPUs,
    where it is pinned (over all CPUs when it is not)."""
    cpus = pinning.available_cpus
    own_cpus = pinning.loadgen_cpus if pinning.pinned else cpus
    load = list(os.getloadavg())
    measured = measure(cpus, own_cpus, seconds)
    reasons: list[str] = []
    if load[0] > QUIET_LOAD_PER_CPU * len(cpus):
        reasons.append(f"load average {load[0]:.1f} on {len(cpus)} CPUs")
    per_cpu: list[dict[str, Any]] = []
    for cpu, (foreign, steal) in sorted((measured or {}).items()):
        role = "server" if cpu in pinning.server_cpus else "loadgen"
        per_cpu.append(
            {
                "cpu": cpu,
                "role": role if pinning.pinned else "shared",
                "foreign_percent": round(foreign, 1),
                "steal_percent": round(steal, 1),
            }
        )
        if foreign >= QUIET_FOREIGN_PERCENT:
            reasons.append(f"{foreign:.0f}% of CPU {cpu} used by other processes")
        if steal >= QUIET_STEAL_PERCENT:
            reasons.append(f"{steal:.0f}% of CPU {cpu} stolen by the hypervisor")
    return {
        "seconds": seconds,
        "load_average": [round(x, 2) for x in load],
        "cpus": per_cpu,
        # None: nothing said it is busy, but /proc/stat could not be read to tell.
        "quiet": False if reasons else (None if measured is None else True),
        "reasons": reasons,
        "thresholds": {
            "foreign_percent": QUIET_FOREIGN_PERCENT,
            "steal_percent": QUIET_STEAL_PERCENT,
            "load_per_cpu": QUIET_LOAD_PER_CPU,
        },
    }
