"""HAL collection paging: :class:`Page` (one page) and the pager state both clients share.

Pure: the pager says which URL to GET next and stops on a repeated next link or cursor.
"""

from __future__ import annotations

from collections.abc import (
    Mapping,
)
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from httpx_pingone_worker._core._logging import get_logger

if TYPE_CHECKING:  # pragma: no cover
    pass


from ._models import _expect_object, _raw_field, _s

__all__ = [
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
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


@dataclass(slots=True)
class _Pager:
    """Paging state: which URL comes next, and which next-links were already seen."""

    path: str
    params: Mapping[str, Any] | None
    key: str | None
    seen_urls: set[str] = field(default_factory=set)
    seen_cursors: set[str] = field(default_factory=set)
    next_url: str | None = None
    first: bool = True
    done: bool = False
    pages: int = 0

    def request(self) -> tuple[str, Mapping[str, Any] | None] | None:
        if self.done:
            return None
        if self.first:
            self.first = False
            return self.path, self.params
        assert self.next_url is not None  # noqa: S101 - invariant of feed()
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
        if nxt in self.seen_urls or (cursor is not None and cursor in self.seen_cursors):
            _log.warning(
                "paginate %s: PingOne returned a next link seen before after %d page(s); "
                "stopping to avoid an endless loop",
                urlsplit(self.path).path,
                self.pages,
            )
            self.done = True
            return page
        self.seen_urls.add(nxt)
        if cursor is not None:
            self.seen_cursors.add(cursor)
        self.next_url = nxt
        return page
