"""report.md: the same content as the HTML page, with its figures linked beside it."""

from __future__ import annotations

import re
from pathlib import Path


def test_links_point_at_files_beside_it(built_report: Path) -> None:
    markdown = (built_report.parent / "report.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    vectors = re.findall(r"\[SVG\]\(([^)]+)\)", markdown)
    assert len(images) == len(vectors) >= 20
    for name in [*images, *vectors]:
        assert "/" not in name
        assert (built_report.parent / name).stat().st_size > 1000


def test_same_findings_as_the_html(built_report: Path) -> None:
    markdown = (built_report.parent / "report.md").read_text(encoding="utf-8")
    html = built_report.read_text(encoding="utf-8")
    findings = re.findall(r"^\d+\. (At [^\n]+?)  $", markdown, flags=re.MULTILINE)
    assert len(findings) >= 15
    for finding in findings:
        assert finding.replace('"', "&quot;").replace("'", "&#x27;") in html


def test_tables_are_well_formed(built_report: Path) -> None:
    markdown = (built_report.parent / "report.md").read_text(encoding="utf-8")
    table = markdown.split("## All cells")[1].strip().splitlines()
    widths = {line.count(" | ") for line in table if line.startswith("| ")}
    assert len(widths) == 1
    assert len(table) == 2 + 42
