"""The HTML report is self-contained: every image an embedded data URI that decodes to a
valid PNG or SVG, and nothing that would reach for the network or the disk."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import matplotlib.image
import pytest


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.sources.append(values.get("src") or "")
        for name in ("href", "src"):
            if tag != "img" and values.get(name):
                self.links.append(values[name] or "")


@pytest.fixture(scope="module")
def html(built_report: Path) -> str:
    return built_report.read_text(encoding="utf-8")


def test_every_image_is_an_embedded_valid_picture(html: str) -> None:
    parser = _Images()
    parser.feed(html)
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
    assert parser.links == []


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
