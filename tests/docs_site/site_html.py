"""Read a page of the built documentation site as a reader sees it.

``read_page(path)`` parses one HTML file of ``mkdocs build`` with the standard library and
keeps what the checks of ``test_site.py`` need: the visible text of the page's article, each
piece tagged with where it sits (code, a rendered signature, a ``Bases:`` line, a heading),
the tables and the nested blockquotes (what a ``>>>`` example becomes when the renderer
does not understand it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "embed"}


@dataclass
class Piece:
    """A run of visible text and the contexts it sits in."""

    text: str
    code: bool  # inside <code> or <pre>
    signature: bool  # inside a rendered signature (div.doc-signature)
    bases: bool  # inside a "Bases:" line (p.doc-class-bases)
    heading: bool  # inside a heading of an API object (doc-heading)


@dataclass
class Page:
    """The article of one page: its text pieces, tables, headings and nested blockquotes."""

    path: Path
    pieces: list[Piece] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    headings: list[tuple[str, str]] = field(default_factory=list)  # (id, text)
    nested_blockquotes: list[str] = field(default_factory=list)
    anchors: list[tuple[str, int]] = field(default_factory=list)  # (id, offset in text)
    levels: list[int] = field(default_factory=list)  # heading level of each anchor
    toc: list[tuple[str, str]] = field(default_factory=list)  # (target id, text) of the sidebar
    links: list[str] = field(default_factory=list)  # href of each link in the article

    @property
    def text(self) -> str:
        """All visible text of the article, code included."""
        return "".join(p.text for p in self.pieces)

    @property
    def prose(self) -> str:
        """The visible text outside code blocks and inline code."""
        return "".join(p.text if not p.code else " " for p in self.pieces)

    def section(self, anchor: str) -> str:
        """The text from the heading ``anchor`` (an id) to the next heading of its level."""
        text = self.text
        ids = [a for a, _ in self.anchors]
        assert anchor in ids, f"{self.path}: no heading #{anchor}"
        at = ids.index(anchor)
        start, level = self.anchors[at][1], self.levels[at]
        end = len(text)
        for (_, offset), lvl in zip(self.anchors[at + 1 :], self.levels[at + 1 :], strict=True):
            if lvl <= level:
                end = offset
                break
        return text[start:end]

    def text_where(self, kind: str) -> list[str]:
        """The text of each signature / bases line / API heading (``kind`` names the flag)."""
        runs: list[str] = []
        inside = False
        for piece in self.pieces:
            if getattr(piece, kind):
                if not inside:
                    runs.append("")
                runs[-1] += piece.text
                inside = True
            else:
                inside = False
        return runs


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, str, str]] = []  # (tag, classes, id)
        self.depth_article = 0
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.heading: list[str] | None = None
        self.heading_id = ""
        self.quote_text: list[str] | None = None
        self.length = 0
        self.toc_link: tuple[str, list[str]] | None = None

    def _has(self, tag: str | None = None, cls: str | None = None) -> bool:
        return any(
            (tag is None or t == tag) and (cls is None or cls in c.split())
            for t, c, _ in self.stack
        )

    def _quotes(self) -> int:
        return sum(1 for t, _, _ in self.stack if t == "blockquote")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        a = dict(attrs)
        self.stack.append((tag, a.get("class") or "", a.get("id") or ""))
        href = a.get("href") or ""
        if tag == "a" and href and self._has("article"):
            self.page.links.append(href)
        if (
            tag == "a"
            and href.startswith("#")
            and "md-nav__link" in (a.get("class") or "")
            and self._has(cls="md-nav--secondary")
        ):
            self.toc_link = (href[1:], [])
        if tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading, self.heading_id = [], a.get("id") or ""
            if self._has("article") and self.heading_id:
                self.page.anchors.append((self.heading_id, self.length))
                self.page.levels.append(int(tag[1]))
        elif tag == "blockquote" and self.quote_text is None and self._quotes() == 2:
            self.quote_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self.stack:
            open_tag = self.stack.pop()[0]
            self._closed(open_tag)
            if open_tag == tag:
                break

    def _closed(self, tag: str) -> None:
        if tag == "a" and self.toc_link is not None:
            anchor, parts = self.toc_link
            self.page.toc.append((anchor, " ".join("".join(parts).split())))
            self.toc_link = None
        elif tag in ("td", "th") and self.cell is not None and self.table:
            self.table[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.table is not None:
            self.page.tables.append(self.table)
            self.table = None
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.heading is not None:
            text = " ".join("".join(self.heading).replace("¶", "").split())
            self.page.headings.append((self.heading_id, text))
            self.heading = None
        elif tag == "blockquote" and self.quote_text is not None and self._quotes() < 2:
            self.page.nested_blockquotes.append(" ".join("".join(self.quote_text).split()))
            self.quote_text = None

    def handle_data(self, data: str) -> None:
        if self.toc_link is not None:
            self.toc_link[1].append(data)
        if not self._has("article"):
            return
        self.length += len(data)
        self.page.pieces.append(
            Piece(
                data,
                code=self._has("code") or self._has("pre"),
                signature=self._has(cls="doc-signature"),
                bases=self._has(cls="doc-class-bases"),
                heading=self._has(cls="doc-heading"),
            )
        )
        for sink in (self.cell, self.heading, self.quote_text):
            if sink is not None:
                sink.append(data)


def read_page(path: Path) -> Page:
    """Parse one built HTML page."""
    page = Page(path)
    reader = _Reader(page)
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return page
