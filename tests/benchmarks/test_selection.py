"""`pytest benchmarks/ -k <group>`: a group selects its benchmarks, and a `-k` that selects
none is one line, whatever else was asked (`--benchmark-autosave`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pytest_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks/", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_group_name_selects_the_group() -> None:
    done = pytest_benchmarks("-k", "handoff", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    selected = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(selected) == 9
    assert all(line.startswith("benchmarks/test_scheduling.py::") for line in selected)


def test_a_group_chosen_per_parameter_is_declared_too() -> None:
    done = pytest_benchmarks("-k", "background-cpu-1ms-next-request", "--collect-only", "-q")
    selected = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(selected) == 5, done.stdout + done.stderr
    assert all("test_next_request[cpu-" in line for line in selected)


def test_a_keyword_that_selects_nothing_is_one_line(tmp_path: Path) -> None:
    done = pytest_benchmarks(
        "-k", "nosuchgroup", "--benchmark-autosave", f"--benchmark-storage={tmp_path}"
    )
    assert done.returncode == 4  # pytest's usage error
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ERROR: -k 'nosuchgroup' selects no benchmark;")
    assert "handoff" in line
    assert list(tmp_path.iterdir()) == []
