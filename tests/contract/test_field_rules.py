"""Field rules of users and of secret rotation, through HTTP against the emulator.

Sources: the Go SDK spec's `User` schema (`components.schemas.User`: `minLength`,
`maxLength`, `pattern` of every string attribute, vendored in `specs/`) and its
`ApplicationSecret.previous.expiresAt` ("Supported time range is 1 minute to 30 days").
The emulator's table (`emulator/_field_rules.py`) is checked against the spec here, so it is
derived from the spec, not hand-copied.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Any

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpx_pingone_worker.emulator._field_rules import USER_FIELDS, FieldRule, matcher

from .conftest import Api, assert_pingone_error, user_errors
from .spec_support import SDK, schema

#: Properties of `User` that are not client-writable strings (objects, flags, read-only).
_NOT_STRINGS = {"address", "name", "photo", "password", "lifecycle", "population"}


def _spec_rules() -> dict[str, FieldRule]:
    """The string attributes of the spec's `User` and their rules, recomputed."""
    out: dict[str, FieldRule] = {}

    def add(path: str, node: dict[str, Any]) -> None:
        if node.get("type") == "string" and not node.get("readOnly"):
            out[path] = FieldRule(node.get("minLength"), node.get("maxLength"), node.get("pattern"))

    for key, node in schema(SDK, "User")["properties"].items():
        if key in {"address", "name", "photo"}:
            for sub, sub_node in node["properties"].items():
                add(f"{key}.{sub}", sub_node)
        elif key not in _NOT_STRINGS:
            add(key, node)
    return out


def test_table_is_the_specs() -> None:
    """`USER_FIELDS` equals what the spec's `User` schema declares (paste the printed table
    into `_field_rules.py` after a spec update)."""
    expected = _spec_rules()
    assert expected == USER_FIELDS, json.dumps({k: list(v) for k, v in expected.items()})


_ASSIGNED = st.characters().filter(
    lambda c: unicodedata.category(c) != "Cn" and regex.match(r"\p{Cn}", c) is None
)
_PATTERNS = sorted({r.pattern for r in USER_FIELDS.values() if r.pattern} - {"[A-Z]{2}"})


@pytest.mark.parametrize("pattern", _PATTERNS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(_ASSIGNED, max_size=12))
def test_pattern_matcher_agrees_with_ecma_regex(pattern: str, text: str) -> None:
    """The emulator's matcher of a spec pattern agrees with the `regex` module (which has
    ECMA-262's `\\p{…}` classes) on any text (of characters both Unicode databases know:
    Python's `unicodedata` and `regex` may be of different Unicode versions)."""
    ecma = regex.search(pattern.replace("\\w", "[A-Za-z0-9_]").replace("$", "\\Z"), text)
    assert matcher(pattern)(text) is (ecma is not None)


def test_country_code_is_the_whole_value() -> None:
    """The spec's `[A-Z]{2}` is unanchored; its description says two upper-case letters: the
    emulator matches the whole value (DECISIONS.md)."""
    check = matcher("[A-Z]{2}")
    assert check("US")
    assert not check("USA")
    assert not check("us")


def _body_for(path: str, value: str) -> dict[str, Any]:
    if "." in path:
        top, sub = path.split(".")
        return {top: {sub: value} if top != "photo" else {"href": value}}
    return {path: value}


_BAD_PATTERN = {
    "^[\\p{L}\\p{M}\\p{Zs}\\p{S}\\p{N}\\p{P}]*$": "bell\x07char",
    "^[\\p{L}\\p{M}\\p{N}' .-]*$": "Ann!e",
    "^[\\p{L}\\p{M}\\p{N}\\p{Zs}\\p{P}\\n\\r]*$": "1 Main St \u2603",
    "^\\w+\\/\\w+$": "Paris",
    "[A-Z]{2}": "usa",
}
_LONG = [(p, r.max_len) for p, r in sorted(USER_FIELDS.items()) if r.max_len and p != "username"]
_PATTERNED = [(p, r.pattern) for p, r in sorted(USER_FIELDS.items()) if r.pattern]


@pytest.mark.parametrize(("path", "max_len"), _LONG)
def test_too_long_values_are_refused(api: Api, path: str, max_len: int) -> None:
    """A value over the spec's `maxLength` is 400 INVALID_DATA / SIZE_LIMIT_EXCEEDED with
    `maximumValue`, on create and update; the value is not echoed; `maxLength` itself is
    accepted."""
    marker = "Q" * (max_len + 1)
    r = api.call("POST", "/users", json={"username": "long", **_body_for(path, marker)})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "SIZE_LIMIT_EXCEEDED")
    assert detail["target"] == path
    assert detail["innerError"]["maximumValue"] == max_len
    assert marker not in r.text
    ok = "Q" * max_len if path != "timezone" else "Europe/Paris"
    user = api.create_user("long", **_body_for(path, ok))
    assert not user_errors(user)
    r = api.call("PATCH", f"/users/{user['id']}", json=_body_for(path, marker))
    assert_pingone_error(r, 400, "INVALID_DATA", "SIZE_LIMIT_EXCEEDED")


def test_mobile_phone_at_most_32(api: Api) -> None:
    """`mobilePhone` ≤ 32 (the issue's example)."""
    r = api.call("POST", "/users", json={"username": "m", "mobilePhone": "+1" + "5" * 31})
    assert_pingone_error(r, 400, "INVALID_DATA", "SIZE_LIMIT_EXCEEDED")
    assert api.create_user("m", mobilePhone="+1" + "5" * 30)["mobilePhone"].startswith("+1")


@pytest.mark.parametrize(("path", "pattern"), _PATTERNED)
def test_values_breaking_the_pattern_are_refused(api: Api, path: str, pattern: str) -> None:
    """A value outside the spec's `pattern` is 400 INVALID_VALUE with `allowedPattern`
    (the spec's pattern); the value is not echoed."""
    bad = _BAD_PATTERN[pattern]
    r = api.call("POST", "/users", json={"username": "pat", **_body_for(path, bad)})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert (detail["target"], detail["innerError"]["allowedPattern"]) == (path, pattern)
    assert bad not in r.text


def test_empty_string_where_min_length_is_one(api: Api) -> None:
    """`minLength: 1` (e.g. `nickname`): `""` is refused; `null` clears instead."""
    r = api.call("POST", "/users", json={"username": "e", "nickname": ""})
    assert_pingone_error(r, 400, "INVALID_DATA", "EMPTY_VALUE")


_GARBAGE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "username",
        "email",
        "name",
        "address",
        "photo",
        "mobilePhone",
        "timezone",
        "locale",
        "nickname",
        "lifecycle",
        "mfaEnabled",
        "population",
        "title",
        "enabled",
        "x",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(_KEYS, _GARBAGE, max_size=6),
    method=st.sampled_from(["POST", "PATCH", "PUT"]),
)
def test_garbage_user_bodies_never_500(shared_api: Api, body: dict[str, Any], method: str) -> None:
    """Any JSON object as a user body: a success whose body validates against the spec's
    `User`, or PingOne's 400 error body; never a 500. A refused body leaves no user."""
    canary = "CANARY-7f3a"
    if isinstance(body.get("title"), str):
        body["title"] = canary + "\x00"
    before = shared_api.ok("GET", "/users", params={"limit": "1"})["count"]
    if method == "POST":
        r = shared_api.call("POST", "/users", json=body)
    else:
        uid = shared_api.all("/users", "users")[0]["id"]
        r = shared_api.call(method, f"/users/{uid}", json=body)
    if r.is_success:
        assert not user_errors(r.json()), r.text
        if method == "POST":
            shared_api.call("DELETE", f"/users/{r.json()['id']}")
    else:
        assert_pingone_error(r, 400, "INVALID_DATA")
        assert canary not in r.text
        assert shared_api.ok("GET", "/users", params={"limit": "1"})["count"] == before


def _at(api: Api, seconds: float) -> str:
    return dt.datetime.fromtimestamp(api.emu.clock.now() + seconds, dt.timezone.utc).isoformat()


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [
        (30, False),
        (-60, False),
        (60.5, True),
        (3600, True),
        (30 * 86_400 - 5, True),
        (31 * 86_400, False),
    ],
)
def test_previous_secret_expiry_range(api: Api, seconds: float, ok: bool) -> None:
    """`previous.expiresAt` must be 1 minute to 30 days after the rotation; outside it is
    400 INVALID_DATA / OUT_OF_RANGE and the secret does not change."""
    app = api.emu.client_id
    before = api.ok("GET", f"/applications/{app}/secret")["secret"]
    r = api.call(
        "POST", f"/applications/{app}/secret", json={"previous": {"expiresAt": _at(api, seconds)}}
    )
    if ok:
        assert r.status_code == 200, r.text
        assert r.json()["previous"]["secret"] == before
    else:
        assert_pingone_error(r, 400, "INVALID_DATA", "OUT_OF_RANGE")
        assert api.ok("GET", f"/applications/{app}/secret")["secret"] == before
