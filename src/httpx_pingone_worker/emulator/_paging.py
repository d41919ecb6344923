"""HAL collections: ``_links`` (self/next/prev), ``_embedded``, ``count``/``size``, cursor
paging with ``limit`` and SCIM-like ``filter``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from ._filters import InvalidFilter, Predicate, compile_filter
from ._http import HAL, Ctx, EmulatorResponse, api_error, json_body

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "USER_FILTER",
    "collection",
    "compile_collection_filter",
    "item",
    "paged",
    "with_links",
]

DEFAULT_LIMIT = 100
#: PingOne's documented maximum page size (``limit`` 1..1000).
MAX_LIMIT = 1000

#: User attributes PingOne filters with ``sw`` and ``eq`` ("SCIM filter language",
#: docs.pingidentity.com/pingone/directory/p1_scim_filter_language.html).
_USER_STRINGS = (
    "accountId",
    "address.streetAddress",
    "address.locality",
    "address.region",
    "address.postalCode",
    "address.countryCode",
    "email",
    "enabled",
    "externalId",
    "locale",
    "mobilePhone",
    "name.formatted",
    "name.given",
    "name.middle",
    "name.family",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "nickname",
    "photo.href",
    "preferredLanguage",
    "primaryPhone",
    "timezone",
    "title",
    "type",
    "username",
)
#: PingOne's users filter: ``eq``/``sw`` on the attributes above, ``ew`` on email and the
#: given/family names, ``co`` on the names; ``eq`` on ids and the lifecycle status. PingOne
#: does not support ``ne pr gt ge lt le`` nor ``not`` on users (same page).
USER_FILTER: dict[str, frozenset[str]] = {
    **{a: frozenset({"eq", "sw"}) for a in _USER_STRINGS},
    "email": frozenset({"eq", "sw", "ew"}),
    "name.given": frozenset({"eq", "sw", "ew", "co"}),
    "name.family": frozenset({"eq", "sw", "ew", "co"}),
    "id": frozenset({"eq"}),
    "population.id": frozenset({"eq"}),
    "lifecycle.status": frozenset({"eq"}),
}
#: Attributes each collection can be filtered on (users: with their operators); other
#: collections take every operator on their listed attributes (a simplification).
FILTER_ATTRIBUTES: dict[str, tuple[str, ...] | dict[str, frozenset[str]]] = {
    "users": USER_FILTER,
    "groups": ("id", "name", "description", "externalId", "population.id"),
    "populations": ("id", "name", "default"),
    "groupMemberships": ("id", "name"),
}
MULTI_VALUED: dict[str, dict[str, dict[str, frozenset[str]]]] = {
    "users": {"memberOfGroups": {"id": frozenset({"eq"})}},
}
#: Collections whose filter refuses the logical ``not`` (PingOne documents none for users).
NO_NOT = frozenset({"users"})


def compile_collection_filter(name: str, text: str) -> Predicate:
    """The predicate of ``filter=text`` on collection ``name``; raises InvalidFilter."""
    return compile_filter(
        text,
        FILTER_ATTRIBUTES.get(name, ("id",)),
        MULTI_VALUED.get(name),
        allow_not=name not in NO_NOT,
    )


def with_links(ctx: Ctx, body: dict[str, Any], self_path: str) -> dict[str, Any]:
    """``body`` with ``_links.self`` on the host the request came in on."""
    body["_links"] = {"self": {"href": ctx.url(self_path)}}
    return body


def item(ctx: Ctx, body: dict[str, Any], self_path: str, status: int = 200) -> EmulatorResponse:
    """One resource as a HAL answer (a copy of ``body`` with its self link)."""
    return json_body(status, with_links(ctx, dict(body), self_path), ctx, content_type=HAL)


def collection(
    ctx: Ctx,
    name: str,
    items: list[dict[str, Any]],
    *,
    total: int | None = None,
    next_href: str | None = None,
    prev_href: str | None = None,
) -> EmulatorResponse:
    """A HAL collection answer."""
    self_href = ctx.url(ctx.path) + (f"?{ctx.raw_query}" if ctx.raw_query else "")
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    if prev_href:
        links["prev"] = {"href": prev_href}
    body = {
        "_links": links,
        "_embedded": {name: items},
        "count": len(items) if total is None else total,
        "size": len(items),
    }
    return json_body(200, body, ctx, content_type=HAL)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, num = raw.partition(":")
    if prefix != "emu" or not _plain_digits(num, 12):
        return None
    return int(num)


def _plain_digits(text: str, most: int) -> bool:
    """ASCII digits only, at most ``most`` of them ('²'.isdigit() is true; int('²') fails)."""
    return text.isascii() and text.isdigit() and len(text) <= most


def _bad(
    ctx: Ctx, detail: str, target: str, message: str, inner: Mapping[str, Any] | None = None
) -> EmulatorResponse:
    return api_error(
        ctx,
        400,
        "INVALID_DATA",
        "The request could not be completed.",
        detail=detail,
        target=target,
        detail_message=message,
        inner=inner or None,
    )


def paged(
    ctx: Ctx,
    name: str,
    data: Iterable[dict[str, Any]],
    item_path: Callable[[dict[str, Any]], str],
    *,
    filter_view: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    cap: int | None = None,
) -> EmulatorResponse:
    """One page of ``data`` per ``limit``/``cursor``/``filter``, with next/prev links.

    ``filter_view`` gives the record a filter sees (e.g. a user plus its memberships).
    ``cap`` is the most items a page holds whatever ``limit`` asks: a page may then be
    shorter than ``limit`` while a ``next`` link follows, as on PingOne.
    """
    limit_raw = ctx.param("limit")
    limit = DEFAULT_LIMIT
    if limit_raw is not None:
        # Checked and converted from the same stripped text: str.strip() removes characters
        # int() does not (e.g. "\x1f"), which made "0\x1f" a 500.
        limit_raw = limit_raw.strip()
        if not _plain_digits(limit_raw, 6) or not 1 <= int(limit_raw) <= MAX_LIMIT:
            return _bad(
                ctx, "OUT_OF_RANGE", "limit", f"limit must be an integer from 1 to {MAX_LIMIT}"
            )
        limit = int(limit_raw)
    offset = 0
    cursor = ctx.param("cursor")
    if cursor is not None:
        decoded = _decode_cursor(cursor)
        if decoded is None:
            return _bad(
                ctx, "INVALID_VALUE", "cursor", "cursor is not a cursor this server returned"
            )
        offset = decoded
    items = list(data)
    flt = ctx.param("filter")
    if flt is not None:
        try:
            predicate = compile_collection_filter(name, flt)
        except InvalidFilter as exc:
            return _bad(ctx, "INVALID_FILTER", "filter", f"Invalid filter: {exc}", exc.inner)
        view = filter_view or (lambda i: i)
        items = [i for i in items if predicate(view(i))]
    size = limit if cap is None else max(1, min(limit, cap))
    page = [with_links(ctx, dict(i), item_path(i)) for i in items[offset : offset + size]]

    def href(at: int) -> str:
        query: dict[str, str] = {"limit": str(limit)}
        if flt is not None:
            query["filter"] = flt
        if at:
            query["cursor"] = _encode_cursor(at)
        return f"{ctx.url(ctx.path)}?{urlencode(query)}"

    next_href = href(offset + size) if offset + size < len(items) else None
    prev_href = href(max(0, offset - limit)) if offset > 0 else None
    return collection(ctx, name, page, total=len(items), next_href=next_href, prev_href=prev_href)
