"""HAL collection paging: ``Page`` (one page) and the pager state both clients share.

Pure: the pager says which URL to GET next and stops on a repeated next link or cursor.
"""

from __future__ import annotations

from collections.abc import (
    Mapping,
)
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from httpx_pingone_worker._core._errors import ConfigurationError, ManagementApiError
from httpx_pingone_worker._core._logging import get_logger

from ._models import _expect_object, _raw_field, _s

__all__ = [
    "MAX_PAGES",
    "Page",
]

_log = get_logger("management")


@dataclass(frozen=True, slots=True)
class Page:
    """One HAL collection page: its items, the next link and PingOne's counters."""

    items: tuple[Mapping[str, Any], ...]
    next_url: str | None
    count: int | None
    size: int | None
    key: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any, key: str | None = None, *, path: str = "") -> Page:
        """Parse a collection: items from ``_embedded[key]`` (or its only list)."""
        d = _expect_object(body, "collection")
        embedded = d.get("_embedded")
        items: list[Any] = []
        chosen: str | None = key
        if isinstance(embedded, Mapping):
            if key is None:
                lists = [k for k, v in embedded.items() if isinstance(v, list)]
                if len(lists) == 1:
                    chosen = lists[0]
                else:
                    last = path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
                    chosen = last if last in lists else None
            if chosen is not None and isinstance(embedded.get(chosen), list):
                items = embedded[chosen]
        links = d.get("_links")
        nxt = links.get("next") if isinstance(links, Mapping) else None
        href = _s(nxt.get("href")) if isinstance(nxt, Mapping) else None
        count, size = d.get("count"), d.get("size")
        return cls(
            items=tuple(i for i in items if isinstance(i, Mapping)),
            next_url=href or None,
            count=count if isinstance(count, int) else None,
            size=size if isinstance(size, int) else None,
            key=chosen,
            raw=MappingProxyType(dict(d)),
        )


def _cursor_of(url: str) -> str | None:
    try:
        values = parse_qs(urlsplit(url).query).get("cursor")
    except ValueError:  # a next link urllib cannot split: _SansIO.url_for explains it
        return None
    return values[0] if values else None


def _url_key(url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
    """A comparable form of ``url`` (+ ``params``): scheme and host case-folded, no trailing
    slash, query parameters sorted. ``None`` when it cannot be split."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return None
    for name, value in (params or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            text = ("true" if v else "false") if isinstance(v, bool) else str(v)
            query.append((str(name), text))
    return (
        parts.scheme.lower(),
        parts.netloc.lower(),
        parts.path.rstrip("/"),
        tuple(sorted(query)),
    )


#: Pages ``PingOneClient.pages`` follows before it stops with ManagementApiError (10,000
#: pages of PingOne's 1,000-item maximum is ten million items).
MAX_PAGES = 10_000


@dataclass(slots=True)
class _Pager:
    """Paging state: which URL comes next, and which pages were already fetched.

    Stops (with a logged warning) on a next link or cursor seen before, including one that
    points back at the first page; raises ``ManagementApiError`` after ``max_pages``
    pages, so a server whose next link changes forever cannot page forever.
    """

    path: str
    params: Mapping[str, Any] | None
    key: str | None
    first_url: str | None = None
    max_pages: int = MAX_PAGES
    seen_urls: set[Any] = field(default_factory=set)
    seen_cursors: set[str] = field(default_factory=set)
    next_url: str | None = None
    first: bool = True
    done: bool = False
    pages: int = 0

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_pages, bool)
            or not isinstance(self.max_pages, int)
            or self.max_pages < 1
        ):
            raise ConfigurationError(
                f"max_pages must be an int >= 1, not {self.max_pages!r}",
                hint="it bounds how many pages one paging call follows",
            )
        if self.first_url is not None:
            first = _url_key(self.first_url, self.params)
            if first is not None:
                self.seen_urls.add(first)
            cursor = _cursor_of(self.first_url)
            if cursor is not None:
                self.seen_cursors.add(cursor)
        if self.params and isinstance(self.params.get("cursor"), str):
            self.seen_cursors.add(self.params["cursor"])

    def request(self) -> tuple[str, Mapping[str, Any] | None] | None:
        if self.done:
            return None
        if self.first:
            self.first = False
            return self.path, self.params
        assert self.next_url is not None  # noqa: S101 - invariant of feed()
        if self.pages >= self.max_pages:
            self.done = True
            raise ManagementApiError(
                f"paging {_plain_path(self.path)} stopped after {self.pages} pages: the server "
                "kept sending new next links",
                hint="pass max_pages= to follow more pages, or narrow the collection with a "
                "filter; a server that never stops paging is misbehaving",
            )
        return self.next_url, None

    def feed(self, body: Any) -> Page:
        page = Page.from_json(body, self.key, path=self.path)
        self.pages += 1
        if self.key is None:
            self.key = page.key
        nxt = page.next_url
        if not nxt:
            self.done = True
            return page
        cursor = _cursor_of(nxt)
        url_key = _url_key(nxt)
        if (url_key is not None and url_key in self.seen_urls) or (
            cursor is not None and cursor in self.seen_cursors
        ):
            _log.warning(
                "paginate %s: PingOne returned a next link seen before after %d page(s); "
                "stopping to avoid an endless loop",
                _plain_path(self.path),
                self.pages,
            )
            self.done = True
            return page
        if url_key is not None:
            self.seen_urls.add(url_key)
        if cursor is not None:
            self.seen_cursors.add(cursor)
        self.next_url = nxt
        return page


def _plain_path(path: str) -> str:
    try:
        return urlsplit(path).path
    except ValueError:
        return "(unparseable path)"
