"""The golden runs, and one report built from them for every test that reads it (drawing
every figure takes a while)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bgbench.results.model import Run
from bgbench.results.reader import load_run
from reports.build import build_report

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_RUN = GOLDEN / "20250101T000000Z-golden"
SLOWER_RUN = GOLDEN / "20250102T000000Z-golden-slower"
BENCHMARKS = GOLDEN / "benchmarks" / "0001_a755c07_20250101_000000.json"
PROBE_CELL = "017-background-sleep200ms-wna-r250"  # a cell with probe requests


@pytest.fixture(scope="session")
def golden_run() -> Run:
    return load_run(GOLDEN_RUN)


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """index.html of the golden run's report, with the golden pytest-benchmark file."""
    out = tmp_path_factory.mktemp("report")
    return build_report(GOLDEN_RUN, out, [BENCHMARKS])


def rename_probe(cell_dir: Path, name: str) -> None:
    """The cell as if the sweep had named its probe requests `name`."""
    histograms_path, cell_path = cell_dir / "histograms.json", cell_dir / "cell.json"
    histograms, cell = json.loads(histograms_path.read_text()), json.loads(cell_path.read_text())
    histograms["client"][name] = histograms["client"].pop(histograms["probe"])
    histograms["probe"] = cell["client"]["probe"]["name"] = name
    histograms_path.write_text(json.dumps(histograms))
    cell_path.write_text(json.dumps(cell))
