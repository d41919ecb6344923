"""Every emulated Management API operation by every built-in PingOne role, over HTTP.

The table below is the expectation, taken from Ping Identity's role reference, not from the
emulator's code:

- *PingOne Role Permissions* (developer.pingidentity.com/pingone-api/platform/reference/
  roles-and-permissions-in-pingone/pingone-role-permissions.html): what each role may do.
  Environment Admin manages the environment, applications and their secrets, populations,
  policies, resources and role assignments; Identity Data Admin manages users, groups,
  memberships and passwords; Identity Data Read Only and Help Desk Admin read them;
  Client Application Developer manages applications and their secrets; Configuration Read
  Only has Environment Admin's reads without secrets; Organization Admin manages the
  organization and its environments and has no application or identity-data permission.
- *PingOne Permissions by Identifier*: ``orgmgt:read:environment``,
  ``orgmgt:read:organization`` and ``licensing:read:license`` are "essential": every role
  holds them.
- *Built-in Admin Roles* (…/platform/roles/predefined-roles.html), "Can Assign": Organization
  Admin, Environment Admin and Identity Data Admin assign roles; the other roles assign none.
- Ping's Terraform provider guide *Admin Role Management Considerations*: without Identity
  Data Admin an Environment Admin "will not be able to manage user and group data".

A ``Y`` must succeed (the operation's 2xx); a ``.`` must be PingOne's 403 (``ACCESS_FAILED``
with an ``INSUFFICIENT_PERMISSIONS`` detail) and change nothing. Each row runs against the
same seeded state (restored per row), with the role held by the calling worker app at
environment scope (Organization Admin at organization scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from httpx_pingone_worker.emulator import EmulatorSnapshot, PingOneEmulator
from httpx_pingone_worker.emulator._api import ROUTES

ROLES = {
    "ORG": "Organization Admin",
    "ENV": "Environment Admin",
    "IDA": "Identity Data Admin",
    "IDR": "Identity Data Read Only",
    "CAD": "Client Application Developer",
    "CRO": "Configuration Read Only",
    "HD": "Help Desk Admin",
}
_E = "/environments/{env}"

# operation                                                     ORG ENV IDA IDR CAD CRO HD
MATRIX = """
GET    /environments                                             Y   Y   Y   Y   Y   Y   Y
GET    /environments/{env}                                       Y   Y   Y   Y   Y   Y   Y
GET    /environments/{env}/billOfMaterials                       Y   Y   Y   Y   Y   Y   Y
GET    /organizations                                            Y   Y   Y   Y   Y   Y   Y
GET    /organizations/{org}                                      Y   Y   Y   Y   Y   Y   Y
GET    /organizations/{org}/licenses                             Y   Y   Y   Y   Y   Y   Y
GET    /organizations/{org}/licenses/{license}                   Y   Y   Y   Y   Y   Y   Y
GET    /environments/{env}/signOnPolicies                        .   Y   .   .   .   Y   .
GET    /environments/{env}/signOnPolicies/{sop}                  .   Y   .   .   .   Y   .
GET    /environments/{env}/signOnPolicies/{sop}/actions          .   Y   .   .   .   Y   .
GET    /environments/{env}/signOnPolicies/{sop}/actions/{act}    .   Y   .   .   .   Y   .
GET    /environments/{env}/passwordPolicies                      .   Y   .   .   .   Y   .
GET    /environments/{env}/passwordPolicies/{pwp}                .   Y   .   .   .   Y   .
GET    /environments/{env}/resources                             .   Y   .   .   Y   Y   .
GET    /environments/{env}/resources/{res}                       .   Y   .   .   Y   Y   .
GET    /environments/{env}/resources/{res}/scopes                .   Y   .   .   Y   Y   .
GET    /environments/{env}/resources/{res}/scopes/{scope}        .   Y   .   .   Y   Y   .
GET    /roles                                                    Y   Y   Y   Y   Y   Y   Y
GET    /roles/{role}                                             Y   Y   Y   Y   Y   Y   Y
GET    /environments/{env}/applications/{peer}/roleAssignments          Y   Y   Y   .   Y   Y   .
POST   /environments/{env}/applications/{blank}/roleAssignments         Y   Y   Y   .   .   .   .
GET    /environments/{env}/applications/{peer}/roleAssignments/{pra}    Y   Y   Y   .   Y   Y   .
DELETE /environments/{env}/applications/{peer}/roleAssignments/{pra}    Y   Y   Y   .   .   .   .
GET    /environments/{env}/users/{user}/roleAssignments                 Y   Y   Y   Y   .   .   .
POST   /environments/{env}/users/{victim}/roleAssignments               Y   Y   Y   .   .   .   .
GET    /environments/{env}/users/{user}/roleAssignments/{ura}           Y   Y   Y   Y   .   .   .
DELETE /environments/{env}/users/{user}/roleAssignments/{ura}           Y   Y   Y   .   .   .   .
GET    /environments/{env}/applications                          .   Y   .   .   Y   Y   .
GET    /environments/{env}/applications/{peer}                   .   Y   .   .   Y   Y   .
PUT    /environments/{env}/applications/{peer}                   .   Y   .   .   Y   .   .
GET    /environments/{env}/applications/{peer}/secret            .   Y   .   .   Y   .   .
POST   /environments/{env}/applications/{peer}/secret            .   Y   .   .   Y   .   .
GET    /environments/{env}/users                                 .   .   Y   Y   .   .   Y
POST   /environments/{env}/users                                 .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}                          .   .   Y   Y   .   .   Y
PUT    /environments/{env}/users/{user}                          .   .   Y   .   .   .   .
PATCH  /environments/{env}/users/{user}                          .   .   Y   .   .   .   .
DELETE /environments/{env}/users/{victim}                        .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}/enabled                  .   .   Y   Y   .   .   Y
PUT    /environments/{env}/users/{user}/enabled                  .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}/population               .   .   Y   Y   .   .   Y
PUT    /environments/{env}/users/{user}/population               .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}/password                 .   .   Y   Y   .   .   Y
PUT    /environments/{env}/users/{user}/password                 .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}/memberOfGroups           .   .   Y   Y   .   .   Y
POST   /environments/{env}/users/{victim}/memberOfGroups         .   .   Y   .   .   .   .
GET    /environments/{env}/users/{user}/memberOfGroups/{group}   .   .   Y   Y   .   .   Y
DELETE /environments/{env}/users/{user}/memberOfGroups/{group}   .   .   Y   .   .   .   .
GET    /environments/{env}/groups                                .   .   Y   Y   .   .   Y
POST   /environments/{env}/groups                                .   .   Y   .   .   .   .
GET    /environments/{env}/groups/{group}                        .   .   Y   Y   .   .   Y
PUT    /environments/{env}/groups/{group}                        .   .   Y   .   .   .   .
DELETE /environments/{env}/groups/{doomed}                       .   .   Y   .   .   .   .
GET    /environments/{env}/groups/{child}/memberOfGroups         .   .   Y   Y   .   .   Y
POST   /environments/{env}/groups/{group}/memberOfGroups         .   .   Y   .   .   .   .
GET    /environments/{env}/groups/{child}/memberOfGroups/{parent} .  .   Y   Y   .   .   Y
DELETE /environments/{env}/groups/{child}/memberOfGroups/{parent} .  .   Y   .   .   .   .
GET    /environments/{env}/populations                           .   Y   Y   Y   .   Y   Y
POST   /environments/{env}/populations                           .   Y   .   .   .   .   .
GET    /environments/{env}/populations/{pop}                     .   Y   Y   Y   .   Y   Y
PUT    /environments/{env}/populations/{pop}                     .   Y   .   .   .   .   .
DELETE /environments/{env}/populations/{pop}                     .   Y   .   .   .   .   .
"""


def _rows() -> list[tuple[str, str, dict[str, bool]]]:
    rows = []
    for line in MATRIX.strip().splitlines():
        method, path, *marks = line.split()
        assert len(marks) == len(ROLES), line
        rows.append((method, path, {r: m == "Y" for r, m in zip(ROLES, marks, strict=True)}))
    return rows


ROWS = _rows()


@dataclass
class Setup:
    """One role's emulator, its seeded state and the ids the rows use."""

    emu: PingOneEmulator
    client: httpx.Client
    token: str
    ids: dict[str, str]
    role_ids: dict[str, str]
    snapshot: EmulatorSnapshot
    admin: str
    bodies: dict[str, Any] = field(default_factory=dict)


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.is_success, (r.request.method, r.request.url, r.status_code, r.text)
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module", params=list(ROLES))
def setup(request: pytest.FixtureRequest) -> Iterator[Setup]:
    """An emulator whose seeded worker holds only the role under test, plus a setup worker
    (Organization Admin, Environment Admin, Identity Data Admin) that makes the targets:
    a peer app holding the same role, an app with no role, a user in a group holding the
    same role, a user to delete, a group to delete and an empty population."""
    abbr = request.param
    role = ROLES[abbr]
    emu = PingOneEmulator(users=3, roles=(role,))
    with httpx.Client(transport=emu.transport(), base_url=emu.api_base_url) as client:

        def token_of(creds: Any) -> str:
            r = client.post(
                emu.token_endpoint,
                data={"grant_type": "client_credentials"},
                auth=(creds.client_id, creds.client_secret.get_secret_value()),
            )
            return str(_ok(r)["access_token"])

        admin = token_of(
            emu.add_worker_app(
                name="Setup",
                roles=("Organization Admin", "Environment Admin", "Identity Data Admin"),
            )
        )
        h = {"Authorization": f"Bearer {admin}"}
        env = emu.environment_id
        e = f"/environments/{env}"
        peer = emu.add_worker_app(name="Peer", roles=(role,)).client_id
        blank = emu.add_worker_app(name="Blank", roles=()).client_id
        user = emu.add_user(username="matrix.user", email="matrix.user@example.com")["id"]
        victim = emu.add_user(username="matrix.victim", email="matrix.victim@example.com")["id"]
        group = emu.add_group(name="Matrix Group")["id"]
        doomed = emu.add_group(name="Matrix Doomed")["id"]
        parent = emu.add_group(name="Matrix Parent")["id"]
        child = emu.add_group(name="Matrix Child")["id"]
        _ok(client.post(f"{e}/groups/{child}/memberOfGroups", headers=h, json={"id": parent}))
        pop = _ok(client.post(f"{e}/populations", headers=h, json={"name": "Matrix Empty"}))["id"]
        _ok(client.post(f"{e}/users/{user}/memberOfGroups", headers=h, json={"id": group}))
        role_ids = {
            r["name"]: r["id"] for r in _ok(client.get("/roles", headers=h))["_embedded"]["roles"]
        }
        org_scoped = role == "Organization Admin"
        scope = {
            "type": "ORGANIZATION" if org_scoped else "ENVIRONMENT",
            "id": emu.organization_id if org_scoped else env,
        }
        grant = {"role": {"id": role_ids[role]}, "scope": scope}
        ura = _ok(client.post(f"{e}/users/{user}/roleAssignments", headers=h, json=grant))["id"]
        pra = _ok(client.get(f"{e}/applications/{peer}/roleAssignments", headers=h))["_embedded"][
            "roleAssignments"
        ][0]["id"]
        env_json = _ok(client.get(e, headers=h))
        sop = _ok(client.get(f"{e}/signOnPolicies", headers=h))["_embedded"]["signOnPolicies"][0]
        act = _ok(client.get(f"{e}/signOnPolicies/{sop['id']}/actions", headers=h))["_embedded"][
            "actions"
        ][0]["id"]
        pwp = _ok(client.get(f"{e}/passwordPolicies", headers=h))["_embedded"]["passwordPolicies"][
            0
        ]["id"]
        res = _ok(client.get(f"{e}/resources", headers=h))["_embedded"]["resources"][0]["id"]
        res_scope = _ok(client.get(f"{e}/resources/{res}/scopes", headers=h))["_embedded"][
            "scopes"
        ][0]["id"]
        ids = {
            "env": env,
            "org": emu.organization_id,
            "license": env_json["license"]["id"],
            "sop": sop["id"],
            "act": act,
            "pwp": pwp,
            "res": res,
            "scope": res_scope,
            "role": role_ids[role],
            "peer": peer,
            "blank": blank,
            "pra": pra,
            "user": user,
            "victim": victim,
            "ura": ura,
            "group": group,
            "doomed": doomed,
            "parent": parent,
            "child": child,
            "pop": pop,
        }
        token = token_of(emu.credentials)
        bodies = {
            "grant": grant,
            "app": {
                "name": "Peer",
                "enabled": True,
                "type": "WORKER",
                "protocol": "OPENID_CONNECT",
            },
        }
        yield Setup(emu, client, token, ids, role_ids, emu.snapshot(), admin, bodies)


def _request(s: Setup, method: str, path: str) -> httpx.Response:
    url = path.format(**s.ids)
    headers = {"Authorization": f"Bearer {s.token}"}
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH"):
        template = re.sub(r"\{\w+\}", "{}", path)
        bodies: dict[str, Any] = {
            "POST /environments/{}/applications/{}/roleAssignments": s.bodies["grant"],
            "POST /environments/{}/users/{}/roleAssignments": s.bodies["grant"],
            "PUT /environments/{}/applications/{}": s.bodies["app"],
            "POST /environments/{}/applications/{}/secret": {},
            "POST /environments/{}/users": {
                "username": "matrix.new",
                "email": "matrix.new@example.com",
                "name": {"given": "Matrix", "family": "New"},
            },
            "PUT /environments/{}/users/{}": {
                "username": "matrix.user",
                "email": "matrix.user@example.com",
                "name": {"given": "Matrix", "family": "Replaced"},
            },
            "PATCH /environments/{}/users/{}": {"name": {"family": "Patched"}},
            "PUT /environments/{}/users/{}/enabled": {"enabled": False},
            "PUT /environments/{}/users/{}/population": {"id": s.ids["pop"]},
            "PUT /environments/{}/users/{}/password": {
                "value": "Matrix-Passw0rd!2026",
                "forceChange": False,
            },
            "POST /environments/{}/users/{}/memberOfGroups": {"id": s.ids["group"]},
            "POST /environments/{}/groups": {"name": "Matrix New Group"},
            "POST /environments/{}/groups/{}/memberOfGroups": {"id": s.ids["parent"]},
            "PUT /environments/{}/groups/{}": {"name": "Matrix Renamed"},
            "POST /environments/{}/populations": {"name": "Matrix New Population"},
            "PUT /environments/{}/populations/{}": {"name": "Matrix Renamed Population"},
        }
        kwargs["json"] = bodies[f"{method} {template}"]
        if template.endswith("/password"):
            headers["Content-Type"] = "application/vnd.pingidentity.password.set+json"
    return s.client.request(method, url, headers=headers, **kwargs)


def _state(s: Setup) -> list[Any]:
    """What a refused write must leave unchanged, read by the setup worker."""
    e = "/environments/{env}".format(**s.ids)
    paths = [
        f"{e}/users?limit=1000",
        f"{e}/groups",
        f"{e}/populations",
        f"{e}/applications",
        f"{e}/applications/{s.ids['peer']}/secret",
        *(f"{e}/applications/{s.ids[a]}/roleAssignments" for a in ("peer", "blank")),
        *(f"{e}/users/{s.ids[u]}/roleAssignments" for u in ("user", "victim")),
        *(f"{e}/users/{s.ids[u]}/memberOfGroups" for u in ("user", "victim")),
        *(f"{e}/groups/{s.ids[g]}/memberOfGroups" for g in ("group", "child")),
        f"{e}/users/{s.ids['user']}/password",
    ]
    headers = {"Authorization": f"Bearer {s.admin}"}
    return [s.client.get(p, headers=headers).json() for p in paths]


@pytest.mark.parametrize(("method", "path", "allowed"), ROWS, ids=[f"{m} {p}" for m, p, _ in ROWS])
def test_role_matrix(setup: Setup, method: str, path: str, allowed: dict[str, bool]) -> None:
    """Each role may call exactly the operations Ping's role reference gives it (see the
    module docstring for the sources); everything else is PingOne's 403."""
    s = setup
    s.emu.restore(s.snapshot)
    role = next(r for r, name in ROLES.items() if name == s.emu.roles[0])
    before = _state(s) if method != "GET" else None
    r = _request(s, method, path)
    if allowed[role]:
        assert r.is_success, (role, method, path, r.status_code, r.text)
        return
    assert r.status_code == 403, (role, method, path, r.status_code, r.text)
    body = r.json()
    assert body["code"] == "ACCESS_FAILED"
    assert body["message"] == (
        "The request could not be completed. You do not have access to this resource."
    )
    assert [d["code"] for d in body["details"]] == ["INSUFFICIENT_PERMISSIONS"]
    assert body["id"] == r.headers["Correlation-Id"]
    if before is not None:
        assert _state(s) == before, "a refused write changed the emulator's state"


def test_the_matrix_lists_every_emulated_operation() -> None:
    """A new emulated operation needs a row (and so an expectation for every role)."""
    served = {
        f"{m} {re.sub(r'{[^}]+}', '{}', '/v1' + r.template)[3:]}" for r in ROUTES for m in r.methods
    }
    listed = {f"{m} {re.sub(r'{[^}]+}', '{}', p)}" for m, p, _ in ROWS}
    assert served == listed


def test_an_operation_without_a_permission_entry_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A route added without a line in the permission table is never served unguarded: even
    the default worker gets the 403, and the handler does not run."""
    from httpx_pingone_worker.emulator import EmulatorResponse, _api
    from httpx_pingone_worker.emulator._routes import Call, route

    ran: list[Call] = []

    def handler(call: Call) -> EmulatorResponse:
        ran.append(call)
        raise AssertionError("an unlisted operation reached its handler")

    extra = route("/environments/{env}/unlisted", "environments", GET=handler)
    monkeypatch.setattr(_api, "ROUTES", [*_api.ROUTES, extra])
    emu = PingOneEmulator(users=1)
    with httpx.Client(transport=emu.transport()) as client:
        r = client.get(
            f"{emu.api_base_url}/environments/{emu.environment_id}/unlisted",
            headers={"Authorization": f"Bearer {emu.issue_token().get_secret_value()}"},
        )
    assert r.status_code == 403, r.text
    assert r.json()["details"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert ran == []
