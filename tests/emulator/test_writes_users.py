"""Users: create, read, replace, update, delete, enabled, population, password, and every
PingOne error body the writes can produce (over the transport and the HTTPS server)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import Harness


def _error(r: Any, status: int, code: str) -> list[dict[str, Any]]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert body["id"] == r.headers["Correlation-Id"]
    assert body["message"]
    details: list[dict[str, Any]] = body.get("details", [])
    return details


def _new_user(h: Harness, token: str, **extra: Any) -> dict[str, Any]:
    body = {"username": "new.user", "email": "new.user@example.com", **extra}
    r = h.call("POST", f"{h.env_path}/users", token, json=body)
    assert r.status_code == 201, r.text
    user: dict[str, Any] = r.json()
    return user


def test_create_then_read_back(harness: Harness) -> None:
    """POST creates a user in the default population; GET and the list return it."""
    token = harness.token()
    user = _new_user(harness, token, name={"given": "New", "family": "User"})
    assert user["username"] == "new.user"
    assert user["enabled"] is True
    assert user["environment"]["id"] == harness.emu.environment_id
    pops = harness.api(f"{harness.env_path}/populations", token).json()["_embedded"]
    default = next(p for p in pops["populations"] if p["default"])
    assert user["population"]["id"] == default["id"]
    self_href = user["_links"]["self"]["href"]
    assert self_href == f"{harness.api_base}{harness.env_path}/users/{user['id']}"
    got = harness.api(self_href, token).json()
    assert got["name"] == {"given": "New", "family": "User"}
    flt = {"filter": 'username eq "new.user"'}
    listed = harness.api(f"{harness.env_path}/users", token, params=flt).json()
    assert [u["id"] for u in listed["_embedded"]["users"]] == [user["id"]]


def test_import_content_type_and_password_never_returned(harness: Harness) -> None:
    """The user-import media type is accepted; the password value appears nowhere after."""
    token = harness.token()
    secret = "Canary-Passw0rd-" + uuid.uuid4().hex
    r = harness.call(
        "POST",
        f"{harness.env_path}/users",
        token,
        content=(
            '{"username": "imported", "email": "i@example.com", '
            f'"password": {{"value": "{secret}", "forceChange": true}}}}'
        ),
        headers={"Content-Type": "application/vnd.pingidentity.user.import+json"},
    )
    assert r.status_code == 201, r.text
    assert secret not in r.text
    uid = r.json()["id"]
    state = harness.api(f"{harness.env_path}/users/{uid}/password", token)
    assert state.json()["status"] == "MUST_CHANGE_PASSWORD"
    assert secret not in state.text
    dump = repr(harness.emu.snapshot()) + repr(harness.emu.requests)
    assert secret not in dump
    assert secret.encode() not in harness.emu.snapshot()._blob


def test_required_and_invalid_values(harness: Harness) -> None:
    """Missing username is REQUIRED_VALUE (email is optional: PingOne's "Create User"
    requires only username); a bad email, type or attribute INVALID_VALUE."""
    token = harness.token()
    details = _error(
        harness.call("POST", f"{harness.env_path}/users", token, json={}), 400, "INVALID_DATA"
    )
    assert {(d["code"], d["target"]) for d in details} == {("REQUIRED_VALUE", "username")}
    r = harness.call(
        "POST",
        f"{harness.env_path}/users",
        token,
        json={"username": 7, "email": "not-an-email", "shoeSize": 44, "enabled": "yes"},
    )
    details = _error(r, 400, "INVALID_DATA")
    assert {(d["code"], d["target"]) for d in details} == {
        ("INVALID_VALUE", "username"),
        ("INVALID_VALUE", "email"),
        ("INVALID_VALUE", "shoeSize"),
        ("INVALID_VALUE", "enabled"),
    }
    r = harness.call(
        "POST",
        f"{harness.env_path}/users",
        token,
        json={"username": "p", "email": "p@example.com", "population": {"id": str(uuid.uuid4())}},
    )
    assert _error(r, 400, "INVALID_DATA")[0]["target"] == "population.id"


def test_username_unique_case_insensitive_with_existing_id(harness: Harness) -> None:
    """A taken username (any case) is UNIQUENESS_VIOLATION naming the existing user's id."""
    token = harness.token()
    first = _new_user(harness, token)
    r = harness.call(
        "POST",
        f"{harness.env_path}/users",
        token,
        json={"username": "NEW.USER", "email": "other@example.com"},
    )
    (detail,) = _error(r, 400, "INVALID_DATA")
    assert detail["code"] == "UNIQUENESS_VIOLATION"
    assert detail["target"] == "username"
    assert detail["innerError"] == {"existingId": first["id"]}
    other = _new_user(harness, token, username="other")
    r = harness.call(
        "PATCH", f"{harness.env_path}/users/{other['id']}", token, json={"username": "new.user"}
    )
    assert _error(r, 400, "INVALID_DATA")[0]["innerError"]["existingId"] == first["id"]


def test_put_replaces_patch_merges(harness: Harness) -> None:
    """PUT drops attributes it does not send; PATCH keeps them and merges ``name``."""
    token = harness.token()
    user = _new_user(harness, token, title="Engineer", name={"given": "A", "family": "B"})
    path = f"{harness.env_path}/users/{user['id']}"
    patched = harness.call("PATCH", path, token, json={"name": {"given": "Z"}}).json()
    assert patched["name"] == {"given": "Z", "family": "B"}
    assert patched["title"] == "Engineer"
    replaced = harness.call(
        "PUT", path, token, json={"username": "renamed", "email": "r@example.com"}
    ).json()
    assert replaced["username"] == "renamed"
    assert "title" not in replaced
    assert "name" not in replaced
    assert replaced["id"] == user["id"]
    assert replaced["population"] == user["population"]
    r = harness.call("PUT", path, token, json={"email": "r@example.com"})
    assert _error(r, 400, "INVALID_DATA")[0] == {
        "code": "REQUIRED_VALUE",
        "target": "username",
        "message": "username is required and cannot be empty.",
    }


def test_delete_then_404(harness: Harness) -> None:
    """DELETE answers 204; the user is gone (GET, DELETE again: 404 NOT_FOUND)."""
    token = harness.token()
    user = _new_user(harness, token)
    path = f"{harness.env_path}/users/{user['id']}"
    r = harness.call("DELETE", path, token)
    assert r.status_code == 204
    assert r.content == b""
    _error(harness.api(path, token), 404, "NOT_FOUND")
    _error(harness.call("DELETE", path, token), 404, "NOT_FOUND")
    _error(harness.call("PATCH", path, token, json={}), 404, "NOT_FOUND")


def test_enabled_and_population_subresources(harness: Harness) -> None:
    """PUT …/enabled disables a user; PUT …/population moves it and updates userCount."""
    token = harness.token()
    user = _new_user(harness, token)
    base = f"{harness.env_path}/users/{user['id']}"
    r = harness.call("PUT", f"{base}/enabled", token, json={"enabled": False})
    assert r.status_code == 200
    assert r.json()["enabled"] is False
    assert harness.api(base, token).json()["enabled"] is False
    _error(harness.call("PUT", f"{base}/enabled", token, json={}), 400, "INVALID_DATA")
    pops = harness.api(f"{harness.env_path}/populations", token).json()["_embedded"]
    other = next(p for p in pops["populations"] if not p["default"])
    r = harness.call("PUT", f"{base}/population", token, json={"id": other["id"]})
    assert r.json()["id"] == other["id"]
    after = harness.api(f"{harness.env_path}/populations/{other['id']}", token).json()
    assert after["userCount"] == other["userCount"] + 1
    r = harness.call("PUT", f"{base}/population", token, json={"id": str(uuid.uuid4())})
    assert _error(r, 400, "INVALID_DATA")[0]["target"] == "id"


def test_password_set_needs_its_media_type(harness: Harness) -> None:
    """PUT …/password takes PingOne's password-set media type; JSON is 415; status follows."""
    token = harness.token()
    user = _new_user(harness, token)
    url = f"{harness.env_path}/users/{user['id']}/password"
    assert harness.api(url, token).json()["status"] == "NO_PASSWORD"
    body = '{"value": "S3cret-value!", "forceChange": false}'
    r = harness.call("PUT", url, token, content=body, headers={"Content-Type": "application/json"})
    _error(r, 415, "INVALID_REQUEST")
    r = harness.call(
        "PUT",
        url,
        token,
        content=body,
        headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "OK"
    assert "S3cret" not in r.text


@pytest.mark.parametrize(
    ("content", "ctype", "status", "code"),
    [
        (b"{not json", "application/json", 400, "INVALID_REQUEST"),
        (b"\xff\xfe", "application/json", 400, "INVALID_REQUEST"),
        (b"", "application/json", 400, "INVALID_REQUEST"),
        (b"[1, 2]", "application/json", 400, "INVALID_DATA"),
        (b'{"username": "x"}', "text/plain", 415, "INVALID_REQUEST"),
        (b'{"username": "x"}', "", 415, "INVALID_REQUEST"),
    ],
)
def test_malformed_bodies_never_crash(
    harness: Harness, content: bytes, ctype: str, status: int, code: str
) -> None:
    """Bad JSON, non-objects and wrong media types get PingOne error bodies, not a 500."""
    headers = {"Content-Type": ctype} if ctype else {}
    r = harness.call(
        "POST", f"{harness.env_path}/users", harness.token(), content=content, headers=headers
    )
    _error(r, status, code)


def test_write_without_token_is_401(harness: Harness) -> None:
    """Writes need a bearer token like reads."""
    r = harness.call("POST", f"{harness.env_path}/users", None, json={"username": "x"})
    assert _error(r, 401, "ACCESS_FAILED")[0]["code"] == "INVALID_TOKEN"
