"""The report as Markdown for a repository or a pull request, linking the PNG files written
beside it (and their SVG versions)."""

from __future__ import annotations

from reports.document import Document, Table


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in table.header) + " |",
        "|" + "---|" * len(table.header),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows),
    ]
    return "\n".join(lines)


def render_markdown(document: Document) -> str:
    parts = [f"# {document.title}", _table(document.about)]
    parts.extend(f"> **Note:** {notice}" for notice in document.notices)
    parts.append(
        "## Findings\n\nEach with its 95% confidence interval (bootstrap); *not significant* "
        "when the interval includes no difference. Flagged cells are never used."
    )
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
    parts.append("## Figures")
    parts.extend(
        f"### {figure.title}\n\n![{figure.title}]({figure.png.name})\n\n"
        f"{figure.caption} ([SVG]({figure.svg.name}))"
        for figure in document.figures
    )
    parts.append("## Flagged cells")
    parts.append(_table(document.flagged) if document.flagged.rows else "None.")
    parts.append("## All cells")
    parts.append(_table(document.cells))
    return "\n\n".join(parts) + "\n"
