"""SCIM-like ``filter=`` expressions of the PingOne Platform API.

The language: ``eq ne sw ew co gt ge lt le`` with a quoted string, a number, ``true``,
``false`` or ``null``; ``pr`` (present); ``and`` / ``or`` (``and`` binds tighter) and
parentheses; ``not (...)``; ``attr[<expression>]`` on a multi-valued attribute (true when
any of its values matches, e.g. ``memberOfGroups[id eq "…"]``). String comparisons are
case-insensitive (SCIM's default for ``caseExact: false`` attributes).

Each endpoint allows a few attribute paths, and may allow only some operators per attribute
(an attribute mapping to its operators) and no ``not``: PingOne's users endpoint takes
``eq``/``sw`` on most attributes, ``ew``/``co`` on a few, and none of ``ne pr gt ge lt le
not``. Anything else is an ``InvalidFilter`` (PingOne answers ``400`` with detail code
``INVALID_FILTER``). Filters longer than ``MAX_FILTER_LENGTH`` characters or nested
deeper than ``MAX_DEPTH`` are refused too (never a recursion error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = [
    "ALL_OPERATORS",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "InvalidFilter",
    "Predicate",
    "compile_filter",
]

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) | (?P<lbracket>\[) | (?P<rbracket>\]) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<number>-?\d+(?:\.\d+)?(?![\w.])) |
        (?P<word>[A-Za-z_][\w.\-]*)
    )""",
    re.VERBOSE,
)
_COMPARE = {"eq", "ne", "sw", "ew", "co", "gt", "ge", "lt", "le"}
#: Every attribute operator of the language (an endpoint may allow fewer).
ALL_OPERATORS = frozenset({*_COMPARE, "pr"})
#: Longest filter text compiled (PingOne documents no limit; this bounds the work).
MAX_FILTER_LENGTH = 4096
#: Deepest nesting of parentheses, brackets and ``not``.
MAX_DEPTH = 32
_MISSING = object()


class InvalidFilter(ValueError):
    """The filter cannot be parsed or names an attribute the endpoint does not filter on.

    ``inner`` holds what PingOne's error body puts in ``innerError`` when it helps the fix:
    ``supportedAttributes`` or ``supportedOperators``.
    """

    def __init__(self, message: str, **inner: list[str]) -> None:
        super().__init__(message)
        self.inner = inner


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidFilter(f"unexpected character {text[pos : pos + 1]!r} at position {pos}")
        kind = m.lastgroup
        assert kind is not None  # noqa: S101 - every alternative is a named group
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _lookup(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if actual is _MISSING:
        return op == "ne" or (op == "eq" and expected is None)
    a, e = _norm(actual), _norm(expected)
    if op == "eq":
        return bool(a == e)
    if op == "ne":
        return bool(a != e)
    if op in {"sw", "ew", "co"}:
        if not isinstance(a, str) or not isinstance(e, str):
            return False
        return a.startswith(e) if op == "sw" else a.endswith(e) if op == "ew" else e in a
    if type(a) is not type(e) and not (isinstance(a, (int, float)) and isinstance(e, (int, float))):
        return False
    try:
        if op == "gt":
            return bool(a > e)
        if op == "ge":
            return bool(a >= e)
        if op == "lt":
            return bool(a < e)
        return bool(a <= e)
    except TypeError:
        return False


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda item: left(item) or right(item)


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda item: left(item) and right(item)


class _Parser:
    def __init__(
        self,
        tokens: list[tuple[str, str]],
        attributes: Collection[str] | Mapping[str, Collection[str]],
        multi: Mapping[str, Collection[str] | Mapping[str, Collection[str]]],
        *,
        allow_not: bool = True,
        depth: int = 0,
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        ops = attributes if isinstance(attributes, Mapping) else dict.fromkeys(attributes)
        self.attributes: dict[str, tuple[str, frozenset[str]]] = {
            a.lower(): (a, ALL_OPERATORS if allowed is None else frozenset(allowed))
            for a, allowed in ops.items()
        }
        self.multi = {k.lower(): (k, v) for k, v in multi.items()}
        self.allow_not = allow_not
        self.depth = depth

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter(f"filter is nested more than {MAX_DEPTH} levels deep")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise InvalidFilter("filter ends unexpectedly")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == word:
            self.pos += 1
            return True
        return False

    def expr(self) -> Predicate:
        left = self.term()
        while self.keyword("or"):
            right = self.term()
            left = _or(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.keyword("and"):
            right = self.factor()
            left = _and(left, right)
        return left

    def factor(self) -> Predicate:
        if self.keyword("not"):
            if not self.allow_not:
                raise InvalidFilter(
                    "the logical operator 'not' is not supported here (use and, or)",
                    supportedOperators=["and", "or"],
                )
            self.deeper()
            inner = self.factor()
            self.depth -= 1
            return lambda item: not inner(item)
        kind, text = self.take()
        if kind == "lparen":
            self.deeper()
            inner = self.expr()
            self.depth -= 1
            if self.take()[0] != "rparen":
                raise InvalidFilter("missing ')'")
            return inner
        if kind != "word":
            raise InvalidFilter(f"expected an attribute name, got {_shown(text)}")
        multi = self.multi.get(text.lower())
        if multi is not None:
            return self.multi_valued(*multi)
        known = self.attributes.get(text.lower())
        if known is None:
            names = sorted(
                [a for a, _ in self.attributes.values()] + [n for n, _ in self.multi.values()]
            )
            raise InvalidFilter(
                f"attribute {_shown(text)} cannot be filtered on here (use {', '.join(names)})",
                supportedAttributes=names,
            )
        path, operators = known
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word" or op not in ALL_OPERATORS:
            raise InvalidFilter(f"unknown operator {_shown(op)} after {path!r}")
        if op not in operators:
            raise InvalidFilter(
                f"operator {op!r} is not supported on {path!r} here "
                f"(supported: {', '.join(sorted(operators))})",
                supportedOperators=sorted(operators),
            )
        if op == "pr":
            return lambda item: _lookup(item, path) not in (_MISSING, None, "")
        value = self.value()
        return lambda item: _compare(op, _lookup(item, path), value)

    def multi_valued(
        self, name: str, sub_attributes: Collection[str] | Mapping[str, Collection[str]]
    ) -> Predicate:
        if self.take()[0] != "lbracket":
            raise InvalidFilter(f'{name} takes a bracketed expression: {name}[id eq "..."]')
        inner = _Parser(
            self.tokens, sub_attributes, {}, allow_not=self.allow_not, depth=self.depth + 1
        )
        if inner.depth > MAX_DEPTH:
            raise InvalidFilter(f"filter is nested more than {MAX_DEPTH} levels deep")
        inner.pos = self.pos
        predicate = inner.expr()
        self.pos = inner.pos
        if self.take()[0] != "rbracket":
            raise InvalidFilter(f"missing ']' after {name}[...")

        def matches(item: Mapping[str, Any]) -> bool:
            values = item.get(name)
            return isinstance(values, list) and any(
                isinstance(v, Mapping) and predicate(v) for v in values
            )

        return matches

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            try:
                return json.loads(text)
            except ValueError:
                raise InvalidFilter(
                    'a quoted value is not a valid JSON string (escape \\ and " only)'
                ) from None
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in {"true", "false", "null"}:
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise InvalidFilter(
            f"expected a value (quoted string, number, true/false/null), got {_shown(text)}"
        )


def _shown(text: str) -> str:
    """A token for an error message: quoted, and cut short (a filter is user input)."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def compile_filter(
    text: str,
    attributes: Collection[str] | Mapping[str, Collection[str]],
    multi_valued: Mapping[str, Collection[str] | Mapping[str, Collection[str]]] | None = None,
    *,
    allow_not: bool = True,
) -> Predicate:
    """Compile ``text`` into a predicate over JSON items; raises ``InvalidFilter``.

    ``attributes`` lists the filterable paths (every operator allowed) or maps each to the
    operators it takes. ``multi_valued`` maps a list-of-objects attribute to the
    sub-attributes its bracketed expression may name (same forms). ``allow_not=False``
    refuses the logical ``not``.
    """
    if not text.strip():
        raise InvalidFilter("filter is empty")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"filter is longer than {MAX_FILTER_LENGTH} characters")
    parser = _Parser(_tokenize(text), attributes, multi_valued or {}, allow_not=allow_not)
    predicate = parser.expr()
    if parser.peek() is not None:
        raise InvalidFilter(f"unexpected {_shown(parser.peek()[1])} after a complete expression")  # type: ignore[index]
    return predicate
