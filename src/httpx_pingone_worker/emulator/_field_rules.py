"""Field rules of PingOne's user resource, as its OpenAPI spec declares them.

``USER_FIELDS`` is derived from the Go SDK spec's ``User`` schema
(``components.schemas.User``: ``minLength``, ``maxLength``, ``pattern`` of each string
attribute and sub-attribute); ``tests/contract/test_field_rules.py`` recomputes it from the
vendored spec and fails when the two differ, printing the table to paste here. The patterns
are the spec's own text. Python's ``re`` has no ``\\p{…}`` classes, so ``matcher``
turns the spec's ``^[…]*$`` character classes into Unicode general-category checks (the
same test compares it with the ``regex`` module on random text), and compiles any other
pattern with ``re`` in ASCII mode (ECMA-262's ``\\w`` is ASCII).

One deliberate difference: the spec's ``address.countryCode`` pattern ``[A-Z]{2}`` is not
anchored (``"USA"`` would pass a search), while its description says the value *is* an ISO
3166-1 alpha-2 code of two upper-case letters: the emulator matches the whole value.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["USER_FIELDS", "FieldRule", "check_string", "matcher"]


class FieldRule(NamedTuple):
    """``minLength``, ``maxLength`` and ``pattern`` of one string attribute (None: none)."""

    min_len: int | None
    max_len: int | None
    pattern: str | None


_TEXT = "^[\\p{L}\\p{M}\\p{Zs}\\p{S}\\p{N}\\p{P}]*$"
_NAME = "^[\\p{L}\\p{M}\\p{N}' .-]*$"
_STREET = "^[\\p{L}\\p{M}\\p{N}\\p{Zs}\\p{P}\\n\\r]*$"

#: Every string attribute path of the spec's ``User`` that a client may send.
USER_FIELDS: dict[str, FieldRule] = {
    "address.countryCode": FieldRule(None, None, "[A-Z]{2}"),
    "address.locality": FieldRule(1, 256, _TEXT),
    "address.postalCode": FieldRule(1, 40, _TEXT),
    "address.region": FieldRule(1, 256, _TEXT),
    "address.streetAddress": FieldRule(1, 256, _STREET),
    "email": FieldRule(None, None, None),
    "externalId": FieldRule(1, 1024, None),
    "locale": FieldRule(1, 256, _TEXT),
    "mobilePhone": FieldRule(None, 32, None),
    "name.family": FieldRule(1, 256, _NAME),
    "name.formatted": FieldRule(1, 256, _NAME),
    "name.given": FieldRule(1, 256, _TEXT),
    "name.honorificPrefix": FieldRule(None, None, None),
    "name.honorificSuffix": FieldRule(None, None, None),
    "name.middle": FieldRule(1, 256, _TEXT),
    "nickname": FieldRule(1, 256, _TEXT),
    "photo.href": FieldRule(None, None, None),
    "preferredLanguage": FieldRule(None, None, None),
    "primaryPhone": FieldRule(1, 32, None),
    "timezone": FieldRule(None, None, "^\\w+\\/\\w+$"),
    "title": FieldRule(1, 256, _TEXT),
    "type": FieldRule(1, 256, _TEXT),
    "username": FieldRule(1, 128, _TEXT),
}
#: Fields whose pattern must match the whole value although the spec leaves it unanchored.
_WHOLE_VALUE = {"[A-Z]{2}": "^[A-Z]{2}$"}
_CLASS = re.compile(r"^\^\[((?:\\p\{[A-Za-z]+\}|\\[nrt]|[^\]\\])*)\]\*\$$")
_ITEM = re.compile(r"\\p\{([A-Za-z]+)\}|\\([nrt])|([^\\])")


@functools.cache
def matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate: does a value match the spec's ``pattern`` (ECMA-262 semantics)?"""
    pattern = _WHOLE_VALUE.get(pattern, pattern)
    m = _CLASS.match(pattern)
    if m is None:
        if pattern.endswith("$") and not pattern.endswith("\\$"):
            pattern = pattern[:-1] + "\\Z"  # ECMA's $ does not match before a final newline
        compiled = re.compile(pattern, re.ASCII)
        return lambda value: compiled.search(value) is not None
    categories: set[str] = set()
    chars: set[str] = set()
    for cat, escape, char in _ITEM.findall(m.group(1)):
        if cat:
            categories.add(cat)
        elif escape:
            chars.add({"n": "\n", "r": "\r", "t": "\t"}[escape])
        else:
            chars.add(char)

    def allowed(ch: str) -> bool:
        if ch in chars:
            return True
        cat = unicodedata.category(ch)
        return cat in categories or cat[0] in categories

    return lambda value: all(allowed(ch) for ch in value)


def check_string(path: str, value: str) -> tuple[str, str, dict[str, object]] | None:
    """``None`` when ``value`` obeys the rule of ``path``; else the detail's code, message
    and inner error (the message never quotes the value)."""
    rule = USER_FIELDS.get(path)
    if rule is None:
        return None
    if rule.min_len is not None and len(value) < rule.min_len:
        return "EMPTY_VALUE", f"{path} cannot be empty (omit it, or send null to clear it).", {}
    if rule.max_len is not None and len(value) > rule.max_len:
        return (
            "SIZE_LIMIT_EXCEEDED",
            f"{path} must be at most {rule.max_len} characters.",
            {"maximumValue": rule.max_len},
        )
    if rule.pattern is not None and not matcher(rule.pattern)(value):
        return (
            "INVALID_VALUE",
            f"{path} has characters or a format the attribute does not allow "
            "(see innerError.allowedPattern).",
            {"allowedPattern": rule.pattern},
        )
    return None
