"""The report as Markdown for a repository or a pull request, linking the PNG files written
beside it (and their SVG versions)."""

from __future__ import annotations

from collections.abc import Callable

from reports.document import FAULTS_NOTE, Document, Table
from reports.formatting import anchor


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in table.header) + " |",
        "|" + "---|" * len(table.header),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows),
    ]
    return "\n".join(lines)


def _verdict(document: Document) -> str | None:
    if not document.verdicts:
        return None
    parts = [
        "Per workload and load, every strategy against the `none` control at the same load; "
        "percentiles of all requests, *n.s.* where the change is not significant. The verdict "
        "and the choices follow from the numbers by fixed rules (docs/reports.md)."
    ]
    for section in document.verdicts:
        part = f"### {section.where}\n\n{_table(section.table)}"
        if section.choose:
            part += "\n\n" + "\n".join(f"- {line}" for line in section.choose)
        parts.append(part)
    return "\n\n".join(parts)


def _findings(document: Document) -> str:
    parts = [
        "Each with its 95% confidence interval (bootstrap); *not significant* when the "
        "interval includes no difference. Flagged cells are never used."
    ]
    findings = document.findings
    for number, finding in enumerate(findings.found, start=1):
        text = f"{number}. {finding.text}  \n   <sub>cells: {', '.join(finding.cells)}</sub>"
        if finding.not_counted:
            text += f"  \n   <sub>not counted (flagged): {'; '.join(finding.not_counted)}</sub>"
        parts.append(text)
    if not findings.found:
        parts.append("No finding could be drawn.")
    if findings.skipped:
        parts.append(
            "### Findings skipped\n\n"
            + "\n".join(f"- **{s.title}**: skipped, {s.reason}." for s in findings.skipped)
        )
    return "\n\n".join(parts)


def _faults(document: Document) -> str | None:
    if document.faults is None:
        return None
    return f"{FAULTS_NOTE}\n\n{_table(document.faults)}"


def _figures(document: Document) -> str | None:
    return (
        "\n\n".join(
            f"### {figure.title}\n\n![{figure.title}]({figure.png.name})\n\n"
            f"{figure.caption} ([SVG]({figure.svg.name}))"
            for figure in document.figures
        )
        or None
    )


def _flagged(document: Document) -> str:
    # Written even when empty: that nothing was flagged is worth saying.
    return _table(document.flagged) if document.flagged.rows else "None."


def _cells(document: Document) -> str:
    return _table(document.cells)


# A section: its title (the `##` heading, and its anchor) and what writes its body from the
# document; a body of None leaves the section out of the file and so of the contents.
Section = tuple[str, Callable[[Document], str | None]]
# The file's sections in order. A new one is a line here, and one in render_html.SECTIONS.
SECTIONS: tuple[Section, ...] = (
    ("Verdict", _verdict),
    ("Findings", _findings),
    ("Loss under faults", _faults),
    ("Figures", _figures),
    ("Flagged cells", _flagged),
    ("All cells", _cells),
)


def _contents(titles: list[str]) -> str:
    return "**Contents**\n\n" + "\n".join(f"- [{t}](#{anchor(t)})" for t in titles)


def render_markdown(document: Document) -> str:
    # The contents list exactly the sections written below: both come from this one list.
    sections = [(title, body) for title, write in SECTIONS if (body := write(document)) is not None]
    parts = [f"# {document.title}", _contents([title for title, _ in sections])]
    parts.append(_table(document.about))
    parts.extend(f"> **Note:** {notice}" for notice in document.notices)
    parts.extend(f"## {title}\n\n{body}" for title, body in sections)
    return "\n\n".join(parts) + "\n"
