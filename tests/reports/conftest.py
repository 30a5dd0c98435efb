"""The golden runs, and one report built from them for every test that reads it (drawing
every figure takes a while)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.build import build_report
from reports.load import load_run
from reports.results import Run

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_RUN = GOLDEN / "20250101T000000Z-golden"
SLOWER_RUN = GOLDEN / "20250102T000000Z-golden-slower"
BENCHMARKS = GOLDEN / "benchmarks" / "0001_a755c07_20250101_000000.json"


@pytest.fixture(scope="session")
def golden_run() -> Run:
    return load_run(GOLDEN_RUN)


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """index.html of the golden run's report, with the golden pytest-benchmark file."""
    out = tmp_path_factory.mktemp("report")
    return build_report(GOLDEN_RUN, out, [BENCHMARKS])
