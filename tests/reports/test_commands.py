"""`bgbench report` as the CLI runs it: bad input gives one clear line and a non-zero exit;
a partial run still gets a report that names its missing cells."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from reports.commands import add_report_arguments, run_report
from tests.reports.conftest import BENCHMARKS, GOLDEN_RUN

# Enough cells for a report of every kind of figure but few enough to draw quickly.
KEEP = (
    "000-none-none-wna-r100",
    "002-background-sleep200ms-wna-r100",
    "004-background_async-sleep200ms-wna-r100",
    "005-background_blocking-sleep200ms-wna-r100",
)


def _report(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    return run_report(parser.parse_args(list(argv)))


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("bgbench report: error: ")
    assert captured.err.count("\n") == 1
    return captured.err


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    """A copy of the golden run cut short: as if interrupted after a few cells."""
    run = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "results" / GOLDEN_RUN.name))
    for cell in (run / "cells").iterdir():
        if cell.name not in KEEP:
            shutil.rmtree(cell)
    (run / "cells" / KEEP[0] / "timeseries.csv").unlink()
    return run


def test_corrupt_json(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small_run / "manifest.json").write_text('{"schema_version": 1, "run_id": ')
    assert _report(str(small_run), "--out", str(small_run.parent / "out")) == 2
    assert "manifest.json: not valid JSON" in _one_line_error(capsys)


def test_missing_manifest(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small_run / "manifest.json").unlink()
    assert _report(str(small_run)) == 2
    assert "not a bgbench run (no manifest.json)" in _one_line_error(capsys)


def test_unknown_schema_version(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = small_run / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "schema_version": 9}))
    assert _report(str(small_run)) == 2
    assert "schema version 9" in _one_line_error(capsys)


def test_foreign_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "package.json").write_text("{}")
    assert _report(str(tmp_path)) == 2
    assert "not a bgbench run" in _one_line_error(capsys)


def test_not_pytest_benchmark_json(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = small_run.parent / "other.json"
    other.write_text(json.dumps({"results": []}))
    assert _report(str(small_run), "--benchmarks", str(other), "--out", str(small_run.parent)) == 2
    assert "not pytest-benchmark JSON" in _one_line_error(capsys)


def test_refuses_to_write_into_the_run(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _report(str(small_run), "--out", str(small_run / "report")) == 2
    assert "inside the run's raw results" in _one_line_error(capsys)
    assert not (small_run / "report").exists()


def test_unknown_timeseries_cell(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = small_run.parent / "out"
    assert _report(str(small_run), "--out", str(out), "--timeseries", "999-nope") == 2
    assert "no such cell" in _one_line_error(capsys)


def test_partial_run_reports_what_it_has(
    small_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    saved.mkdir(parents=True)
    shutil.copy(BENCHMARKS, saved / BENCHMARKS.name)
    monkeypatch.chdir(tmp_path)
    assert _report(str(small_run), "--latest-benchmarks") == 0
    out = tmp_path / "reports" / "out" / GOLDEN_RUN.name  # the default, under the cwd
    markdown = (out / "report.md").read_text()
    assert (
        "Cell 039-background-sleep200ms-wna-closed10 is missing: listed in the manifest" in markdown
    )
    assert "This run is partial" in markdown
    assert "pytest-benchmark" in markdown
    assert (out / "index.html").exists()
    # The raw results are never written to.
    assert sorted(p.name for p in small_run.iterdir()) == ["cells", "manifest.json"]


def test_a_run_where_every_cell_failed(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for cell_json in (small_run / "cells").glob("*/cell.json"):
        data = json.loads(cell_json.read_text())
        data.update(status="failed", reason="the target app did not start", client=None)
        data.update(server=None, loadgen=None)
        cell_json.write_text(json.dumps(data))
    out = small_run.parent / "out"
    assert _report(str(small_run), "--out", str(out)) == 0
    markdown = (out / "report.md").read_text()
    assert "No finding could be drawn." in markdown
    assert "the target app did not start" in markdown
    assert "report written" in capsys.readouterr().out
