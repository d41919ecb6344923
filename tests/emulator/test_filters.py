"""The SCIM-like filter compiler on its own: operators, precedence, errors."""

from __future__ import annotations

import pytest

from httpx_pingone_worker.emulator._filters import InvalidFilter, compile_filter

ITEMS = [
    {"id": "1", "username": "ada", "age": 36, "enabled": True, "name": {"family": "Lovelace"}},
    {"id": "2", "username": "alan", "age": 41, "enabled": False, "name": {"family": "Turing"}},
    {"id": "3", "username": "grace", "age": 85, "enabled": True, "name": {}},
]
ATTRS = ("id", "username", "age", "enabled", "name.family")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ('username eq "ADA"', ["1"]),
        ('username ne "ada"', ["2", "3"]),
        ('username sw "a"', ["1", "2"]),
        ('username ew "ce"', ["3"]),
        ('name.family co "ur"', ["2"]),
        ("name.family pr", ["1", "2"]),
        ("age gt 40", ["2", "3"]),
        ("age ge 41 and age lt 85", ["2"]),
        ("age le 36", ["1"]),
        ('username eq "ada" or username eq "alan" and enabled eq true', ["1"]),
        ('(username eq "ada" or username eq "alan") and enabled eq false', ["2"]),
        ("not (enabled eq true)", ["2"]),
        ('USERNAME EQ "grace" AND name.family eq null', ["3"]),
    ],
)
def test_filter_selects(text: str, ids: list[str]) -> None:
    """Each operator and combination selects exactly the expected items."""
    predicate = compile_filter(text, ATTRS)
    assert [i["id"] for i in ITEMS if predicate(i)] == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('password eq "x"', "cannot be filtered on"),
        ("username like 1", "unknown operator"),
        ("(username pr", "missing|ends"),
        ("username eq", "ends unexpectedly"),
        ('username eq "a" extra', "unexpected"),
        ("username eq ~", "unexpected character"),
        ("   ", "empty"),
    ],
)
def test_filter_errors(text: str, message: str) -> None:
    """Malformed filters raise InvalidFilter with a message saying what is wrong."""
    with pytest.raises(InvalidFilter, match=message):
        compile_filter(text, ATTRS)
