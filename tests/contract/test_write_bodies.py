"""Every emulated write, request and response, against the spec; and spec-invalid input.

For each write operation the table below names the spec schema of its request body (SDK
spec, `components.schemas`), a valid body and the attributes the emulator takes. The tests
check that the valid body validates against that schema and declares no unknown field, that
the emulator accepts it and answers a body valid against the response schema; then, for every
attribute, invalid values *derived from the schema* (wrong type, `maxLength + 1`, a value
outside `pattern` or `enum`, a malformed `date-time`) are each refused with PingOne's
`400 INVALID_DATA` body (the official spec's `ApiErrorResponse.400`), the detail targets the
attribute, the value is not echoed, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import Api, assert_pingone_error, user_errors
from .spec_support import SDK, errors, schema, unknown_fields


@dataclass(frozen=True)
class Write:
    method: str
    path: str  # {user} {group} {other} {pop} {app} {role} {env} placeholders
    request: str  # request schema
    response: str | None  # response schema (None: 204 / no body)
    body: Callable[[dict[str, str]], dict[str, Any]]
    attributes: tuple[str, ...]  # dotted paths the emulator takes (and checks)
    read_back: str  # what must not change when the write is refused


_USER_ATTRS = (
    "username",
    "email",
    "nickname",
    "title",
    "locale",
    "timezone",
    "mobilePhone",
    "primaryPhone",
    "externalId",
    "type",
    "preferredLanguage",
    "mfaEnabled",
    "name",
    "name.given",
    "name.family",
    "name.middle",
    "name.formatted",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "address",
    "address.streetAddress",
    "address.locality",
    "address.region",
    "address.postalCode",
    "address.countryCode",
    "photo",
    "photo.href",
    "population",
)


def _user(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "username": "w.user",
        "email": "w.user@example.com",
        "name": {"given": "W", "family": "User", "formatted": "W User"},
        "address": {"locality": "Denver", "countryCode": "US", "postalCode": "80202"},
        "nickname": "Dub",
        "timezone": "America/Denver",
        "mobilePhone": "+15550100",
        "photo": {"href": "https://img.example.com/w.png"},
        "population": {"id": ids["pop"]},
    }


def _expires(ids: dict[str, str]) -> str:
    return dt.datetime.fromtimestamp(float(ids["now"]) + 3600, dt.timezone.utc).isoformat()


WRITES: list[Write] = [
    Write("POST", "/users", "User", "User", _user, (*_USER_ATTRS, "enabled"), "/users"),
    Write(
        "PUT",
        "/users/{user}",
        "User",
        "User",
        lambda ids: {**_user(ids), "username": "target", "population": {"id": ids["home"]}},
        _USER_ATTRS,
        "/users/{user}",
    ),
    Write(
        "PATCH",
        "/users/{user}",
        "User",
        "User",
        lambda _ids: {"title": "Dr", "name": {"middle": "Q"}},
        _USER_ATTRS,
        "/users/{user}",
    ),
    Write(
        "PUT",
        "/users/{user}/enabled",
        "UserEnabled",
        "UserEnabled",
        lambda _ids: {"enabled": False},
        ("enabled",),
        "/users/{user}",
    ),
    Write(
        "PUT",
        "/users/{user}/population",
        "UserPopulation",
        "UserPopulation",
        lambda ids: {"id": ids["pop"]},
        ("id",),
        "/users/{user}",
    ),
    Write(
        "POST",
        "/users/{user}/memberOfGroups",
        "GroupMembership",
        "GroupMembership",
        lambda ids: {"id": ids["group"]},
        ("id",),
        "/users/{user}/memberOfGroups",
    ),
    Write(
        "POST",
        "/groups",
        "Group",
        "Group",
        lambda ids: {
            "name": "W group",
            "description": "d",
            "externalId": "ext",
            "customData": {"owner": "x"},
            "userFilter": 'title eq "Manager"',
            "population": {"id": ids["pop"]},
        },
        ("name", "description", "externalId", "customData", "userFilter", "population"),
        "/groups",
    ),
    Write(
        "PUT",
        "/groups/{group}",
        "Group",
        "Group",
        lambda _ids: {"name": "Renamed", "description": "d", "userFilter": 'title sw "M"'},
        ("name", "description", "externalId", "customData", "userFilter"),
        "/groups/{group}",
    ),
    Write(
        "POST",
        "/groups/{group}/memberOfGroups",
        "GroupNesting",
        "GroupNesting",
        lambda ids: {"id": ids["other"]},
        ("id",),
        "/groups/{group}/memberOfGroups",
    ),
    Write(
        "POST",
        "/populations",
        "Population",
        "Population",
        lambda _ids: {
            "name": "W pop",
            "description": "d",
            "preferredLanguage": "fr",
            "alternativeIdentifiers": ["wp"],
        },
        ("name", "description", "default", "preferredLanguage", "alternativeIdentifiers"),
        "/populations",
    ),
    Write(
        "PUT",
        "/populations/{pop}",
        "Population",
        "Population",
        lambda _ids: {"name": "W pop 2", "description": "d2"},
        ("name", "description", "default", "preferredLanguage", "alternativeIdentifiers"),
        "/populations/{pop}",
    ),
    Write(
        "PUT",
        "/applications/{app}",
        "ApplicationOIDC",
        "ApplicationOIDC",
        lambda _ids: {
            "name": "W app",
            "description": "d",
            "enabled": True,
            "type": "WORKER",
            "protocol": "OPENID_CONNECT",
            "tokenEndpointAuthMethod": "CLIENT_SECRET_POST",
        },
        ("name", "description", "enabled", "type", "protocol", "tokenEndpointAuthMethod"),
        "/applications/{app}",
    ),
    Write(
        "POST",
        "/users/{user}/roleAssignments",
        "RoleAssignment",
        "RoleAssignment",
        lambda ids: {
            "role": {"id": ids["role"]},
            "scope": {"id": ids["env"], "type": "ENVIRONMENT"},
        },
        ("role", "role.id", "scope", "scope.id", "scope.type"),
        "/users/{user}/roleAssignments",
    ),
    Write(
        "POST",
        "/applications/{app}/roleAssignments",
        "RoleAssignment",
        "RoleAssignment",
        lambda ids: {
            "role": {"id": ids["role"]},
            "scope": {"id": ids["env"], "type": "ENVIRONMENT"},
        },
        ("role", "role.id", "scope", "scope.id", "scope.type"),
        "/applications/{app}/roleAssignments",
    ),
    Write(
        "POST",
        "/applications/{app}/secret",
        "ApplicationSecret",
        "ApplicationSecret",
        lambda ids: {"previous": {"expiresAt": _expires(ids)}},
        ("previous", "previous.expiresAt"),
        "/applications/{app}/secret",
    ),
]
_IDS = [f"{w.method} {w.path}" for w in WRITES]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema(SDK, node["$ref"].rsplit("/", 1)[-1])
    return node


def _property(schema_name: str, path: str) -> dict[str, Any]:
    """The spec node of a dotted attribute path (through allOf)."""
    node = _resolve(schema(SDK, schema_name))
    for part in path.split("."):
        props: dict[str, Any] = {}
        for sub in [node, *node.get("allOf", [])]:
            props.update(_resolve(sub).get("properties", {}))
        node = _resolve(props[part])
    return node


_PATTERN_BREAKERS = {
    "^[\\p{L}\\p{M}\\p{Zs}\\p{S}\\p{N}\\p{P}]*$": "bell\x07",
    "^[\\p{L}\\p{M}\\p{N}' .-]*$": "Ann!e",
    "^[\\p{L}\\p{M}\\p{N}\\p{Zs}\\p{P}\\n\\r]*$": "St \u2603",
    "^\\w+\\/\\w+$": "Paris",
    "[A-Z]{2}": "usa",
}


def invalid_values(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Values the spec node does not allow: wrong type, too long, off-pattern, off-enum."""
    kind = node.get("type")
    yield (
        "type",
        {"string": 12345, "boolean": "yes", "object": "x", "array": "x"}.get(str(kind), {"x": 1}),
    )
    if "maxLength" in node:
        yield "maxLength", "Z" * (node["maxLength"] + 1)
    if "pattern" in node:
        yield "pattern", _PATTERN_BREAKERS[node["pattern"]]
    if "enum" in node:
        yield "enum", "NOT_A_VALUE"
    if node.get("format") == "date-time":
        yield "format", "tomorrow"


def _nest(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


CASES = [
    (w, attr, label, value)
    for w in WRITES
    for attr in w.attributes
    for label, value in invalid_values(_property(w.request, attr))
]


@pytest.fixture
def ids(api: Api) -> dict[str, str]:
    pop = api.ok("POST", "/populations", json={"name": "W target pop"})["id"]
    user = api.create_user("target")
    group = api.ok("POST", "/groups", json={"name": "W target"})["id"]
    other = api.ok("POST", "/groups", json={"name": "W other"})["id"]
    app = api.emu.add_worker_app(name="W app", roles=[]).client_id
    roles = api.ok("GET", f"{api.emu.api_base_url}/roles")["_embedded"]["roles"]
    return {
        "role": next(r["id"] for r in roles if r["name"] == "Identity Data Read Only"),
        "env": api.emu.environment_id,
        "pop": pop,
        "user": user["id"],
        "home": user["population"]["id"],
        "group": group,
        "other": other,
        "app": app,
        "now": str(api.emu.clock.now()),
    }


@pytest.mark.parametrize("write", WRITES, ids=_IDS)
def test_valid_request_and_response_match_the_spec(
    api: Api, ids: dict[str, str], write: Write
) -> None:
    """The valid body validates against the request schema with no unknown field; the
    emulator accepts it and its answer validates against the response schema."""
    body = write.body(ids)
    problems = user_errors(body) if write.request == "User" else errors(SDK, write.request, body)
    if write.method == "PATCH":  # a partial body: the schema's required attributes do not apply
        problems = [p for p in problems if "is a required property" not in p]
    assert problems == [], problems
    assert unknown_fields(SDK, write.request, body) == []
    r = api.call(write.method, write.path.format(**ids), json=body)
    assert r.is_success, r.text
    if write.response is not None:
        answer = r.json()
        check = (
            user_errors(answer) if write.response == "User" else errors(SDK, write.response, answer)
        )
        assert check == [], check
        assert unknown_fields(SDK, write.response, answer) == []


def test_every_attribute_has_invalid_cases() -> None:
    """The derivation produces cases for every listed attribute (the table can fail)."""
    covered = {(w.method, w.path, attr) for w, attr, _, _ in CASES}
    assert covered == {(w.method, w.path, a) for w in WRITES for a in w.attributes}
    assert len(CASES) > 100


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{w.method} {w.path} {a} {label}" for w, a, label, _ in CASES]
)
def test_spec_invalid_input_is_refused(
    api: Api, ids: dict[str, str], case: tuple[Write, str, str, Any]
) -> None:
    """A value the spec does not allow for the attribute: 400 INVALID_DATA naming it, the
    value not echoed, nothing changed."""
    write, attr, _, value = case
    body = _merge(write.body(ids), _nest(attr, value))
    read = write.read_back.format(**ids)
    before = api.ok("GET", read)
    r = api.call(write.method, write.path.format(**ids), json=body)
    details = assert_pingone_error(r, 400, "INVALID_DATA")
    top = attr.split(".", maxsplit=1)[0]
    assert any(str(d.get("target", "")).split(".", maxsplit=1)[0] == top for d in details), (
        attr,
        details,
    )
    if isinstance(value, str) and len(value) > 3:
        assert value not in r.text
    after = api.ok("GET", read)
    for snapshot in (before, after):
        snapshot.pop("_links", None)
        if "_embedded" in snapshot:
            snapshot["_embedded"] = {
                k: [{i: v for i, v in x.items() if i != "_links"} for x in items]
                for k, items in snapshot["_embedded"].items()
            }
    assert after == before
