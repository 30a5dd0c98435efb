"""pytest-benchmark JSON: read by group, rejected with a hint when it is something else, and
the newest one found when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bgbench.results.errors import ReportInputError
from reports.pytest_benchmark import load_benchmarks, newest_benchmark_file
from tests.reports.conftest import BENCHMARKS

ROOT = Path(__file__).parents[2]


def test_groups_and_stats() -> None:
    loaded = load_benchmarks(BENCHMARKS)
    assert [g.name for g in loaded.groups] == ["handoff", "ledger"]
    add_task = loaded.groups[0].stats[0]
    assert (add_task.name, add_task.median_s, add_task.q1_s, add_task.q3_s) == (
        "test_add_task",
        2.2e-06,
        2.1e-06,
        2.3e-06,
    )


def test_the_golden_file_names_benchmarks_that_exist() -> None:
    # Hand-written, it must still read like a real run of benchmarks/: every fullname is a
    # test that pytest collects there today (a renamed benchmark makes this fail).
    collect = ["--collect-only", "-q", "-p", "no:cacheprovider", "benchmarks/"]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", *collect],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    written = [entry["fullname"] for entry in json.loads(BENCHMARKS.read_text())["benchmarks"]]
    assert [name for name in written if name not in collected] == []


def test_a_benchmark_without_stats(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"benchmarks": [{"name": "x", "stats": {"median": 1}}]}))
    with pytest.raises(ReportInputError, match="a benchmark lacks 'q1'"):
        load_benchmarks(path)


def test_newest(tmp_path: Path) -> None:
    folder = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True)
    old, new = folder / "0001_a.json", folder / "0002_b.json"
    old.write_text("{}")
    new.write_text("{}")
    os.utime(old, (1_000_000, 1_000_000))
    assert newest_benchmark_file(tmp_path) == new


def test_none_saved(tmp_path: Path) -> None:
    with pytest.raises(ReportInputError, match="--benchmark-autosave"):
        newest_benchmark_file(tmp_path)
