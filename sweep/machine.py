"""What a run was measured on: machine, versions, git state, and the CPU pinning plan."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

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
    "celery",
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
