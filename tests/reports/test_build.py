"""build_report writes every planned figure as PNG and SVG beside index.html and report.md."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from bgbench.results.model import Run
from reports.figure_set import plan
from reports.pytest_benchmark import load_benchmarks
from tests.reports.conftest import BENCHMARKS


def test_every_figure_as_png_and_svg(built_report: Path, golden_run: Run) -> None:
    names = [p.name for p in plan(golden_run, [load_benchmarks(BENCHMARKS)])]
    written = {p.name for p in built_report.parent.iterdir()}
    assert written == {"index.html", "report.md"} | {
        f"{name}.{suffix}" for name in names for suffix in ("png", "svg")
    }
    for name in names:
        assert (built_report.parent / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        root = ElementTree.parse(built_report.parent / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
