"""Groups, memberships and populations writes, and the role permissions that gate writes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import Harness


def _post(h: Harness, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    r = h.call("POST", f"{h.env_path}{path}", token, json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _details(r: Any, status: int = 400, code: str = "INVALID_DATA") -> list[dict[str, Any]]:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    out: list[dict[str, Any]] = r.json().get("details", [])
    return out


def test_group_crud_and_unique_name(harness: Harness) -> None:
    """Groups are created, replaced, deleted; a taken name names the existing group."""
    token = harness.token()
    group = _post(harness, "/groups", token, {"name": "Auditors", "description": "Read logs"})
    assert group["name"] == "Auditors"
    (detail,) = _details(
        harness.call("POST", f"{harness.env_path}/groups", token, json={"name": "auditors"})
    )
    assert (detail["code"], detail["target"]) == ("UNIQUENESS_VIOLATION", "name")
    assert detail["innerError"]["existingId"] == group["id"]
    path = f"{harness.env_path}/groups/{group['id']}"
    replaced = harness.call("PUT", path, token, json={"name": "Auditors 2"}).json()
    assert replaced["name"] == "Auditors 2"
    assert "description" not in replaced
    assert harness.call("DELETE", path, token).status_code == 204
    assert harness.api(path, token).status_code == 404
    (detail,) = _details(harness.call("POST", f"{harness.env_path}/groups", token, json={}))
    assert (detail["code"], detail["target"]) == ("REQUIRED_VALUE", "name")


def test_memberships_and_member_of_groups_filter(harness: Harness) -> None:
    """Adding, listing, filtering by and removing group memberships."""
    token = harness.token()
    group = _post(harness, "/groups", token, {"name": "Pilots"})
    user = _post(harness, "/users", token, {"username": "amelia", "email": "a@example.com"})
    base = f"/users/{user['id']}/memberOfGroups"
    membership = _post(harness, base, token, {"id": group["id"]})
    assert membership["id"] == group["id"]
    assert membership["type"] == "DIRECT"
    again = harness.call("POST", f"{harness.env_path}{base}", token, json={"id": group["id"]})
    assert _details(again)[0]["code"] == "UNIQUENESS_VIOLATION"
    unknown = harness.call("POST", f"{harness.env_path}{base}", token, json={"id": "nope"})
    assert _details(unknown)[0]["target"] == "id"
    listed = harness.api(f"{harness.env_path}{base}", token).json()
    assert [m["id"] for m in listed["_embedded"]["groupMemberships"]] == [group["id"]]
    flt = f'memberOfGroups[id eq "{group["id"]}"]'
    users = harness.api(f"{harness.env_path}/users", token, params={"filter": flt}).json()
    assert [u["username"] for u in users["_embedded"]["users"]] == ["amelia"]
    included = harness.api(
        f"{harness.env_path}/users/{user['id']}", token, params={"include": "memberOfGroupIDs"}
    ).json()
    assert included["memberOfGroupIDs"] == [group["id"]]
    one = f"{harness.env_path}{base}/{group['id']}"
    assert harness.api(one, token).status_code == 200
    assert harness.call("DELETE", one, token).status_code == 204
    assert harness.call("DELETE", one, token).status_code == 404
    users = harness.api(f"{harness.env_path}/users", token, params={"filter": flt}).json()
    assert users["_embedded"]["users"] == []


def test_deleting_a_group_removes_memberships(harness: Harness) -> None:
    """A deleted group no longer appears in any user's memberships."""
    token = harness.token()
    group = _post(harness, "/groups", token, {"name": "Temp"})
    user = _post(harness, "/users", token, {"username": "t", "email": "t@example.com"})
    _post(harness, f"/users/{user['id']}/memberOfGroups", token, {"id": group["id"]})
    harness.call("DELETE", f"{harness.env_path}/groups/{group['id']}", token)
    listed = harness.api(f"{harness.env_path}/users/{user['id']}/memberOfGroups", token).json()
    assert listed["_embedded"]["groupMemberships"] == []


def test_population_crud_default_and_delete_rule(harness: Harness) -> None:
    """New default moves the flag; a population with users or the default cannot be deleted."""
    token = harness.token()
    pop = _post(harness, "/populations", token, {"name": "Partners", "default": True})
    assert pop["default"] is True
    assert pop["userCount"] == 0
    pops = harness.api(f"{harness.env_path}/populations", token).json()["_embedded"]
    assert [p["id"] for p in pops["populations"] if p["default"]] == [pop["id"]]
    user = _post(harness, "/users", token, {"username": "p1", "email": "p1@example.com"})
    assert user["population"]["id"] == pop["id"]
    path = f"{harness.env_path}/populations/{pop['id']}"
    (detail,) = _details(harness.call("DELETE", path, token))
    assert detail["code"] == "CONSTRAINT_VIOLATION"
    other = next(p for p in pops["populations"] if p["name"] == "Contractors")
    harness.call("PUT", f"{harness.env_path}/populations/{other['id']}", token,
                 json={"name": "Contractors", "default": True})  # fmt: skip
    (detail,) = _details(harness.call("DELETE", path, token))
    assert "holds 1 user" in detail["message"]
    harness.call("DELETE", f"{harness.env_path}/users/{user['id']}", token)
    assert harness.call("DELETE", path, token).status_code == 204
    clash = harness.call(
        "POST", f"{harness.env_path}/populations", token, json={"name": "CONTRACTORS"}
    )
    assert _details(clash)[0]["innerError"]["existingId"] == other["id"]


@pytest.mark.parametrize(
    ("roles", "writable"),
    [
        (["Identity Data Read Only"], set()),
        (["Identity Data Admin"], {"/users", "/groups"}),
        (["Environment Admin"], {"/populations"}),
        (["Environment Admin", "Identity Data Admin"], {"/users", "/groups", "/populations"}),
        (["Organization Admin"], set()),
        (["Client Application Developer"], set()),
        (["Configuration Read Only"], set()),
        (["Help Desk Admin"], set()),
    ],
)
def test_write_permissions_follow_roles(
    harness: Harness, roles: list[str], writable: set[str]
) -> None:
    """Users and groups are written by Identity Data Admin, populations by Environment Admin
    (PingOne Role Permissions; Ping's Terraform guide "Admin Role Management
    Considerations": without Identity Data Admin an actor "will not be able to manage user
    and group data"); every other role gets 403."""
    token = harness.token(harness.emu.add_worker_app(roles=roles))
    for path, body in (
        ("/users", {"username": f"u{uuid.uuid4().hex[:6]}", "email": "u@example.com"}),
        ("/groups", {"name": f"g{uuid.uuid4().hex[:6]}"}),
        ("/populations", {"name": f"p{uuid.uuid4().hex[:6]}"}),
    ):
        r = harness.call("POST", f"{harness.env_path}{path}", token, json=body)
        if path in writable:
            assert r.status_code == 201, (path, r.text)
        else:
            (detail,) = _details(r, 403, "ACCESS_FAILED")
            assert detail["code"] == "INSUFFICIENT_PERMISSIONS"
            assert ":create:" in detail["message"]


def test_read_only_role_reads_but_cannot_delete(harness: Harness) -> None:
    """Identity Data Read Only lists users and gets 403 on DELETE; the user survives."""
    emu = harness.emu
    reader = harness.token(emu.add_worker_app(roles=["Identity Data Read Only"]))
    users = harness.api(f"{harness.env_path}/users", reader).json()["_embedded"]["users"]
    victim = users[0]["id"]
    r = harness.call("DELETE", f"{harness.env_path}/users/{victim}", reader)
    assert _details(r, 403, "ACCESS_FAILED")[0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert harness.api(f"{harness.env_path}/users/{victim}", reader).status_code == 200
