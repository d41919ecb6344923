"""PingOne's rules that depend on who holds which role where: assigning roles, duplicate and
mismatched assignments, and the secret of a more privileged worker app. Over HTTP.

Sources: Ping's *Built-in Admin Roles* (developer.pingidentity.com/pingone-api/platform/
roles/predefined-roles.html, the "Can Assign" column), the admin guide's *Group roles* page
("You can assign only roles that are assigned to you, or that are assignable by those
roles"), and Ping's Terraform provider guide *Admin Role Management Considerations*
(docs/guides/admin-role-management.md: duplicate assignments, worker secrets).
"""

from __future__ import annotations

from typing import Any

import httpx

from httpx_pingone_worker.credentials._credentials import ClientCredentials

from .conftest import Harness

SECRET_DENIED = "Actor does not have permissions to access worker application client secrets"


def _roles(h: Harness) -> dict[str, str]:
    body = h.api("/roles", h.token()).json()
    return {r["name"]: r["id"] for r in body["_embedded"]["roles"]}


def _grant(h: Harness, role: str, scope: str) -> dict[str, Any]:
    scope_id = h.emu.organization_id if scope == "ORGANIZATION" else h.emu.environment_id
    return {"role": {"id": _roles(h)[role]}, "scope": {"type": scope, "id": scope_id}}


def _assign(
    h: Harness, actor: str, target: str, role: str, scope: str = "ENVIRONMENT"
) -> httpx.Response:
    url = f"{h.env_path}/applications/{target}/roleAssignments"
    return h.call("POST", url, actor, json=_grant(h, role, scope))


def _forbidden(r: httpx.Response) -> str:
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["code"] == "ACCESS_FAILED"
    (detail,) = body["details"]
    assert detail["code"] == "INSUFFICIENT_PERMISSIONS"
    return str(detail["message"])


def _blank(h: Harness) -> str:
    return h.emu.add_worker_app(name="Target", roles=()).client_id


def test_environment_admin_cannot_grant_organization_admin_or_widen_its_scope(
    harness: Harness,
) -> None:
    """An environment-scoped Environment Admin can assign every role except Organization
    Admin (Can Assign), and only at its scope or a narrower one: Organization Admin, and
    Environment Admin at organization scope, are 403 and not stored."""
    h = harness
    actor = h.token(h.emu.add_worker_app(roles=["Environment Admin"]))
    target = _blank(h)
    _forbidden(_assign(h, actor, target, "Organization Admin", "ORGANIZATION"))
    _forbidden(_assign(h, actor, target, "Environment Admin", "ORGANIZATION"))
    _forbidden(_assign(h, actor, target, "Configuration Read Only", "ORGANIZATION"))
    listed = h.api(f"{h.env_path}/applications/{target}/roleAssignments", actor).json()
    assert listed["_embedded"]["roleAssignments"] == []
    for role in ("Environment Admin", "Identity Data Admin", "Client Application Developer"):
        assert _assign(h, actor, target, role).status_code == 201, role


def test_identity_data_admin_assigns_its_three_roles_and_no_other(harness: Harness) -> None:
    """Identity Data Admin can assign Identity Data Admin, Identity Data Read Only and Help
    Desk Admin (Can Assign), to apps and to users; Environment Admin, Client Application
    Developer and Configuration Read Only are 403."""
    h = harness
    actor = h.token(h.emu.add_worker_app(roles=["Identity Data Admin"]))
    target = _blank(h)
    for role in ("Identity Data Admin", "Identity Data Read Only", "Help Desk Admin"):
        assert _assign(h, actor, target, role).status_code == 201, role
    for role in ("Environment Admin", "Client Application Developer", "Configuration Read Only"):
        assert "may not assign the role" in _forbidden(_assign(h, actor, target, role))
    user = h.emu.add_user(username="helpdesk.candidate", email="hd@example.com")["id"]
    url = f"{h.env_path}/users/{user}/roleAssignments"
    r = h.call("POST", url, actor, json=_grant(h, "Help Desk Admin", "ENVIRONMENT"))
    assert r.status_code == 201, r.text
    _forbidden(h.call("POST", url, actor, json=_grant(h, "Environment Admin", "ENVIRONMENT")))


def test_a_narrower_scope_is_allowed(harness: Harness) -> None:
    """A role held at environment scope can be assigned at a population of that environment
    (the same or a narrower scope)."""
    h = harness
    actor = h.token(h.emu.add_worker_app(roles=["Identity Data Admin"]))
    pop = h.api(f"{h.env_path}/populations", h.token()).json()["_embedded"]["populations"][0]
    body = _grant(h, "Identity Data Read Only", "ENVIRONMENT")
    body["scope"] = {"type": "POPULATION", "id": pop["id"]}
    r = h.call("POST", f"{h.env_path}/applications/{_blank(h)}/roleAssignments", actor, json=body)
    assert r.status_code == 201, r.text


def test_removing_an_assignment_takes_the_right_to_assign_it(harness: Harness) -> None:
    """An Identity Data Admin cannot remove another app's Environment Admin (it could not
    assign it); an Environment Admin can."""
    h = harness
    target = h.emu.add_worker_app(name="Privileged", roles=["Environment Admin"]).client_id
    url = f"{h.env_path}/applications/{target}/roleAssignments"
    ra = h.api(url, h.token()).json()["_embedded"]["roleAssignments"][0]["id"]
    ida = h.token(h.emu.add_worker_app(roles=["Identity Data Admin"]))
    _forbidden(h.call("DELETE", f"{url}/{ra}", ida))
    assert h.api(f"{url}/{ra}", h.token()).status_code == 200
    assert h.call("DELETE", f"{url}/{ra}", h.token()).status_code == 204


def test_duplicate_assignment_at_the_same_or_a_broader_scope(harness: Harness) -> None:
    """A role the holder already has at the same or a greater scope is 400 INVALID_DATA /
    UNIQUENESS_VIOLATION "May not assign duplicate Role", target ``role`` (Terraform guide,
    "Role Assignment Scope Conflicts"); a narrower existing scope is no duplicate."""
    h = harness
    org_admin = h.token(h.emu.add_worker_app(roles=["Organization Admin"]))
    target = _blank(h)
    first = _assign(h, org_admin, target, "Environment Admin", "ORGANIZATION")
    assert first.status_code == 201, first.text
    for scope in ("ORGANIZATION", "ENVIRONMENT"):
        r = _assign(h, h.token(), target, "Environment Admin", scope)
        if scope == "ORGANIZATION":  # the env-scoped default worker may not; org admin may
            r = _assign(h, org_admin, target, "Environment Admin", scope)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["code"] == "INVALID_DATA"
        (detail,) = body["details"]
        assert (detail["code"], detail["target"]) == ("UNIQUENESS_VIOLATION", "role")
        assert detail["message"] == "May not assign duplicate Role"
        assert detail["innerError"]["existingId"] == first.json()["id"]
    other = _blank(h)
    assert _assign(h, h.token(), other, "Environment Admin").status_code == 201
    assert _assign(h, org_admin, other, "Environment Admin", "ORGANIZATION").status_code == 201


def test_a_role_at_a_scope_it_cannot_have_names_the_scope(harness: Harness) -> None:
    """Organization Admin at environment scope is INVALID_VALUE with target ``scope`` (the
    role's ``applicableTo`` lists only ORGANIZATION)."""
    h = harness
    r = _assign(h, h.token(), _blank(h), "Organization Admin", "ENVIRONMENT")
    assert r.status_code == 400, r.text
    (detail,) = r.json()["details"]
    assert (detail["code"], detail["target"]) == ("INVALID_VALUE", "scope")
    assert detail["innerError"]["allowedValues"] == ["ORGANIZATION"]


def _secret_url(h: Harness, creds: ClientCredentials) -> str:
    return f"{h.env_path}/applications/{creds.client_id}/secret"


def test_a_less_privileged_actor_cannot_read_or_rotate_a_workers_secret(
    harness: Harness,
) -> None:
    """A Client Application Developer (or an Environment Admin without Identity Data Admin)
    asking for the secret of the Environment Admin + Identity Data Admin worker gets 403
    "Actor does not have permissions to access worker application client secrets"; the
    secret is neither shown nor rotated (Terraform guide, "When Admins Cannot View or Manage
    a Worker Application Secret")."""
    h = harness
    privileged = h.emu.credentials
    assert privileged.client_secret is not None
    secret = privileged.client_secret.get_secret_value()
    for roles in (["Client Application Developer"], ["Environment Admin"]):
        actor = h.token(h.emu.add_worker_app(roles=roles))
        for method in ("GET", "POST"):
            r = h.call(method, _secret_url(h, privileged), actor, json={})
            assert _forbidden(r) == SECRET_DENIED
            assert secret not in r.text
    assert h.token_response(privileged).status_code == 200  # not rotated


def test_an_actor_whose_roles_cover_the_workers_reads_its_secret(harness: Harness) -> None:
    """The default worker (Environment Admin + Identity Data Admin) reads and rotates a
    Client Application Developer's secret; a worker reads a peer holding the same role; an
    environment-scoped Environment Admin cannot read a worker holding it at organization
    scope."""
    h = harness
    dev = h.emu.add_worker_app(name="Developer", roles=["Client Application Developer"])
    r = h.api(_secret_url(h, dev), h.token())
    assert r.status_code == 200, r.text
    assert dev.client_secret is not None
    assert r.json()["secret"] == dev.client_secret.get_secret_value()
    peer = h.emu.add_worker_app(name="Peer", roles=["Client Application Developer"])
    assert h.api(_secret_url(h, peer), h.token(dev)).status_code == 200
    assert h.call("POST", _secret_url(h, dev), h.token(), json={}).status_code == 200
    org_admin = h.token(h.emu.add_worker_app(roles=["Organization Admin"]))
    wide = _blank(h)
    assert _assign(h, org_admin, wide, "Environment Admin", "ORGANIZATION").status_code == 201
    url = f"{h.env_path}/applications/{wide}/secret"
    assert _forbidden(h.api(url, h.token())) == SECRET_DENIED
