"""The golden runs, and one report built from them for every test that reads it (drawing
every figure takes a while)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from bgbench.results.model import Run
from bgbench.results.reader import load_run
from reports.build import build_report

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_RUN = GOLDEN / "20250101T000000Z-golden"
SLOWER_RUN = GOLDEN / "20250102T000000Z-golden-slower"
BENCHMARKS = GOLDEN / "benchmarks" / "0001_a755c07_20250101_000000.json"
# What results gained after schema version 1 first shipped: the probe per second, the
# thread-pool token peak and the probe's request name.
NEWER_COLUMNS = ("threadpool_tokens_in_use_max", "probe_requests", "probe_p99_us")
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


def _drop_newer_columns(path: Path) -> None:
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        columns = [c for c in reader.fieldnames or () if c not in NEWER_COLUMNS]
        rows = list(reader)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_older_results(run_dir: Path) -> None:
    """The run without the per-second columns and the gauge the findings can do without
    (NEWER_COLUMNS, the token peak)."""
    for cell in (run_dir / "cells").iterdir():
        data = json.loads((cell / "cell.json").read_text())
        if data["server"] is None:
            continue  # a failed cell: nothing but cell.json
        data["server"]["gauges_max"].pop("threadpool_tokens_in_use_max")
        (cell / "cell.json").write_text(json.dumps(data))
        _drop_newer_columns(cell / "timeseries.csv")


@pytest.fixture(scope="session")
def older_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The golden run without the newer fields: what the findings fall back on."""
    run_dir = Path(shutil.copytree(GOLDEN_RUN, tmp_path_factory.mktemp("older") / "run"))
    write_older_results(run_dir)
    return load_run(run_dir)
