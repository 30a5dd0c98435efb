"""The report as one self-contained HTML page: figures embedded as data URIs, styles inline,
nothing fetched, so it opens from disk with no server and no network."""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from reports.document import FAULTS_NOTE, Document, RenderedFigure, Table
from reports.formatting import anchor

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
nav.contents { background: #f7f7f7; border: 1px solid #e4e4e4; padding: 0.3em 1em;
               display: inline-block; margin-bottom: 1em; }
nav.contents ol { margin: 0.3em 0; padding-left: 1.5em; }
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


def _verdict(document: Document) -> str | None:
    if not document.verdicts:
        return None
    parts = [
        '<p class="small">Per workload and load, every strategy against the <code>none</code> '
        "control at the same load; percentiles of all requests, <i>n.s.</i> where the change "
        "is not significant. The verdict and the choices follow from the numbers by fixed "
        "rules (docs/reports.md).</p>"
    ]
    for section in document.verdicts:
        choose = "".join(f"<li>{escape(line)}</li>" for line in section.choose)
        parts.append(
            f"<h3>{escape(section.where)}</h3>{_table(section.table)}"
            + (f"<ul>{choose}</ul>" if choose else "")
        )
    return "".join(parts)


def _findings(document: Document) -> str:
    intro = (
        '<p class="small">Each with its 95% confidence interval (bootstrap); "not significant" '
        "when the interval includes no difference. Flagged cells are never used.</p>"
    )
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
    html = intro + (f"<ol>{''.join(items)}</ol>" if items else "<p>No finding could be drawn.</p>")
    if skipped:
        html += f"<h3>Findings skipped</h3><ul>{skipped}</ul>"
    return html


def _figures(document: Document) -> str | None:
    return "".join(_figure(f) for f in document.figures) or None


def _faults(document: Document) -> str | None:
    if document.faults is None:
        return None
    return f"<p>{escape(FAULTS_NOTE)}</p>{_table(document.faults)}"


def _flagged(document: Document) -> str:
    # Written even when empty: that nothing was flagged is worth saying.
    return _table(document.flagged) if document.flagged.rows else "<p>None.</p>"


def _cells(document: Document) -> str:
    return _table(document.cells)


# A section: its title (the h2, and its anchor) and what writes its body from the document;
# a body of None leaves the section out of the page and so of the contents.
Section = tuple[str, Callable[[Document], str | None]]
# The page's sections in order. A new one is a line here, and one in render_markdown.SECTIONS.
SECTIONS: tuple[Section, ...] = (
    ("Verdict", _verdict),
    ("Findings", _findings),
    ("Loss under faults", _faults),
    ("Figures", _figures),
    ("Flagged cells", _flagged),
    ("All cells", _cells),
)


def _contents(titles: list[str]) -> str:
    links = "".join(f'<li><a href="#{escape(anchor(t))}">{escape(t)}</a></li>' for t in titles)
    return f'<nav class="contents" aria-label="Contents"><b>Contents</b><ol>{links}</ol></nav>'


def render_html(document: Document) -> str:
    # The contents list exactly the sections written below: both come from this one list.
    sections = [(title, body) for title, write in SECTIONS if (body := write(document)) is not None]
    notices = "".join(f"<p class='notice'>{escape(n)}</p>" for n in document.notices)
    body = "\n".join(
        f'<h2 id="{escape(anchor(title))}">{escape(title)}</h2>\n{html}' for title, html in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{escape(document.title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(document.title)}</h1>
{_contents([title for title, _ in sections])}
{_table(document.about)}
{notices}
{body}
</body>
</html>
"""
