"""report.md: the same content as the HTML page, with its figures linked beside it and
contents that link every section by GitHub's anchors."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bgbench.queues import Fault
from bgbench.results.model import Run
from reports import render_html
from reports.document import Document, build_document
from reports.findings import Findings
from reports.formatting import anchor
from reports.render_markdown import SECTIONS, render_markdown


def _headings(markdown: str, level: str = "##") -> list[str]:
    return re.findall(rf"^{level} (.+)$", markdown, flags=re.MULTILINE)


def _contents(markdown: str) -> list[tuple[str, str]]:
    """The contents' entries (text, fragment), from the list after **Contents**."""
    block = markdown.split("**Contents**\n\n", maxsplit=1)[1].split("\n\n", maxsplit=1)[0]
    return re.findall(r"^- \[(.+)\]\(#(.+)\)$", block, flags=re.MULTILINE)


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


def test_contents_link_every_section_in_order(built_report: Path) -> None:
    markdown = (built_report.parent / "report.md").read_text(encoding="utf-8")
    sections = _headings(markdown)
    assert sections == [title for title, _ in SECTIONS if title in sections]  # in their order
    assert {"Findings", "Figures", "Flagged cells", "All cells"} <= set(sections)
    assert _contents(markdown) == [(title, anchor(title)) for title in sections]
    # GitHub numbers a repeated anchor (-1, -2) in the order the headings come: no other
    # heading may take a section's, or its link would land there.
    every = [anchor(h) for h in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)]
    assert all(every.count(anchor(title)) == 1 for title in sections)
    assert markdown.index("**Contents**") < markdown.index("| run |")  # at the top


@pytest.fixture(scope="module")
def document(golden_run: Run) -> Document:
    return build_document(golden_run, Findings((), ()), [])


def test_a_section_with_nothing_to_show_is_neither_written_nor_listed(document: Document) -> None:
    markdown = render_markdown(document)  # no figures drawn
    assert "Figures" not in _headings(markdown)
    assert [title for title, _ in _contents(markdown)] == _headings(markdown)


def test_both_formats_write_the_same_sections() -> None:
    assert [title for title, _ in SECTIONS] == [title for title, _ in render_html.SECTIONS]


def test_the_runs_queues_have_their_loss_under_faults(golden_run: Run) -> None:
    # The golden run has Celery over Redis cells (strategy `queue`, its first name) and no
    # other queue: its rows, one per fault, and no other library's.
    markdown = render_markdown(build_document(golden_run, Findings((), ()), []))
    section = markdown.split("## Loss under faults\n\n", maxsplit=1)[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| celery ")]
    assert [row.split(" | ")[1] for row in rows] == ["redis"] * len(Fault)
    assert "| arq " not in section
    assert "| rabbitmq " not in section
    assert "not by this run" in section  # says where the counts come from
    # A run without a queue cell has no such section.
    in_process = replace(
        golden_run, cells=tuple(c for c in golden_run.cells if not c.params.broker)
    )
    assert "Loss under faults" not in render_markdown(
        build_document(in_process, Findings((), ()), [])
    )
