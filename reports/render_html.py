"""The report as one self-contained HTML page: figures embedded as data URIs, styles inline,
nothing fetched, so it opens from disk with no server and no network."""

from __future__ import annotations

import base64
from html import escape

from reports.document import Document, RenderedFigure, Table

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.notice { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.3em 0.8em; }
.small { color: #666; font-size: 0.85em; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9em; }
"""


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    # A key-value table has no header worth a row.
    thead = f"<thead><tr>{head}</tr></thead>" if any(table.header) else ""
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>"
        for row in table.rows
    )
    return f"<table>{thead}<tbody>{rows}</tbody></table>"


def _figure(figure: RenderedFigure) -> str:
    encoded = base64.b64encode(figure.png.read_bytes()).decode("ascii")
    return (
        f'<figure id="{escape(figure.name)}"><h3>{escape(figure.title)}</h3>'
        f'<img alt="{escape(figure.title)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{escape(figure.caption)} <span class='small'>Files beside this page: "
        f"{escape(figure.png.name)}, {escape(figure.svg.name)}.</span></figcaption></figure>"
    )


def _findings(document: Document) -> str:
    items = []
    for finding in document.findings.found:
        extra = f"<br><span class='small'>cells: {escape(', '.join(finding.cells))}</span>"
        if finding.not_counted:
            extra += (
                f"<br><span class='small'>not counted (flagged): "
                f"{escape('; '.join(finding.not_counted))}</span>"
            )
        items.append(f"<li>{escape(finding.text)}{extra}</li>")
    skipped = "".join(
        f"<li><b>{escape(s.title)}</b>: skipped, {escape(s.reason)}.</li>"
        for s in document.findings.skipped
    )
    html = f"<ol>{''.join(items)}</ol>" if items else "<p>No finding could be drawn.</p>"
    if skipped:
        html += f"<h3>Findings skipped</h3><ul>{skipped}</ul>"
    return html


def render_html(document: Document) -> str:
    notices = "".join(f"<p class='notice'>{escape(n)}</p>" for n in document.notices)
    figures = "".join(_figure(f) for f in document.figures)
    flagged = _table(document.flagged) if document.flagged.rows else "<p>None.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{escape(document.title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(document.title)}</h1>
{_table(document.about)}
{notices}
<h2>Findings</h2>
<p class="small">Each with its 95% confidence interval (bootstrap); "not significant" when the
interval includes no difference. Flagged cells are never used.</p>
{_findings(document)}
<h2>Figures</h2>
{figures}
<h2>Flagged cells</h2>
{flagged}
<h2>All cells</h2>
{_table(document.cells)}
</body>
</html>
"""
