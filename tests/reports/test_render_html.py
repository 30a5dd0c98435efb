"""The HTML report is self-contained: every image an embedded data URI that decodes to a
valid PNG or SVG, nothing that would reach for the network or the disk, and contents that
link every section on the page."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import matplotlib.image
import pytest

from bgbench.results.model import Run
from reports.document import Document, build_document
from reports.findings import Findings
from reports.render_html import SECTIONS, render_html


class _Page(HTMLParser):
    """The page's images, links and ids, its h2 headings (id, text) and the contents' links
    (href, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.contents: list[tuple[str, str]] = []
        self._open: list[str] = []  # the h2 or contents link being read, and its text so far
        self._in_contents = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.sources.append(values.get("src") or "")
        for name in ("href", "src"):
            if tag != "img" and values.get(name):
                self.links.append(values[name] or "")
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "nav":
            self._in_contents = True
        if tag == "h2" or (tag == "a" and self._in_contents):
            self._open = [values.get("id") or values.get("href") or "", ""]

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_contents = False
        if tag in {"h2", "a"} and self._open:
            (self.headings if tag == "h2" else self.contents).append((self._open[0], self._open[1]))
            self._open = []


def _page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def html(built_report: Path) -> str:
    return built_report.read_text(encoding="utf-8")


def test_every_image_is_an_embedded_valid_picture(html: str) -> None:
    parser = _page(html)
    assert len(parser.sources) >= 20
    for source in parser.sources:
        match = re.fullmatch(r"data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=]+)", source)
        assert match, source[:80]
        data = base64.b64decode(match.group(2), validate=True)
        if match.group(1) == "png":
            pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
            assert pixels.shape[0] > 100
            assert pixels.shape[1] > 100
        else:
            assert ElementTree.fromstring(data).tag.endswith("svg")
    # The only links go somewhere on the page itself.
    assert all(link.startswith("#") for link in parser.links)
    assert {link[1:] for link in parser.links} <= set(parser.ids)


def test_no_external_reference(html: str) -> None:
    assert not re.search(r"https?://", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?file""", html)
    assert "<link" not in html
    assert "<script" not in html


def test_content(html: str) -> None:
    assert "<title>bgbench report: 20250101T000000Z-golden</title>" in html
    assert "background_async keeps p99 response latency lowest" in html
    assert "Findings skipped" not in html  # the golden run has the cells for every finding
    assert "037-queue-cpu5ms-w4-r50" in html  # in the flagged table
    assert "&lt;" not in html.split("<body>", maxsplit=1)[0]  # nothing escaped twice in the head


def test_contents_link_every_section_in_order(html: str) -> None:
    page = _page(html)
    written = [text for _, text in page.headings]
    assert written == [title for title, _ in SECTIONS if title in written]  # in their order
    assert {"Findings", "Figures", "Flagged cells", "All cells"} <= set(written)
    assert page.contents == [(f"#{anchor}", text) for anchor, text in page.headings]
    assert len(page.ids) == len(set(page.ids))  # no section's id is a figure's too
    # At the top: before the first table.
    assert html.index("<nav") < html.index("<table")


@pytest.fixture(scope="module")
def document(golden_run: Run) -> Document:
    return build_document(golden_run, Findings((), ()), [])


def test_a_section_with_nothing_to_show_is_neither_written_nor_listed(document: Document) -> None:
    page = _page(render_html(document))  # no figures drawn
    assert "Figures" not in [text for _, text in page.headings]
    assert page.contents == [(f"#{anchor}", text) for anchor, text in page.headings]
    assert "Findings" in [text for _, text in page.headings]  # "No finding could be drawn."


def test_a_new_section_joins_the_contents(
    document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "reports.render_html.SECTIONS",
        (("New section", lambda d: f"<p>{len(d.cells.rows)} cells</p>"), *SECTIONS),
    )
    page = _page(render_html(document))
    assert page.headings[0] == ("new-section", "New section")
    assert page.contents == [(f"#{anchor}", text) for anchor, text in page.headings]
