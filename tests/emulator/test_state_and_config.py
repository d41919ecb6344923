"""Seed files, snapshots and resets, role assignments, app secret rotation and enable/disable,
and the read-only configuration (policies, resources, organization, licenses, BOM)."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import uuid
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import pytest

from httpx_pingone_worker import EmulatorError
from httpx_pingone_worker.emulator import EmulatorSnapshot, PingOneEmulator

from .conftest import Harness

SEED = {
    "populations": [{"name": "Staff", "description": "Employees"}],
    "groups": [{"name": "Ops"}],
    "users": [
        {"username": "olga", "email": "olga@example.com", "population": "Staff", "groups": ["Ops"]},
        {"username": "omar", "name": {"given": "Omar", "family": "K"}, "enabled": False},
    ],
}


def _seed_file(tmp_path: Path, data: Any = SEED) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data))
    return path


def _users(emu: PingOneEmulator, token: str, **params: str) -> list[dict[str, Any]]:
    with httpx.Client(transport=emu.transport()) as client:
        r = client.get(
            f"{emu.api_base_url}/environments/{emu.environment_id}/users",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
    out: list[dict[str, Any]] = r.json()["_embedded"]["users"]
    return out


def test_seed_file_adds_users_groups_populations(tmp_path: Path) -> None:
    """A seed file's users land in its populations and groups."""
    emu = PingOneEmulator(users=0, seed_file=_seed_file(tmp_path))
    token = emu.issue_token().get_secret_value()
    users = {u["username"]: u for u in _users(emu, token)}
    assert set(users) == {"olga", "omar"}
    assert users["omar"]["enabled"] is False
    assert users["omar"]["name"]["given"] == "Omar"
    groups = _users(emu, token, include="memberOfGroupIDs")
    assert sorted(len(u.get("memberOfGroupIDs", [])) for u in groups) == [0, 0]
    ops = next(u for u in _users(emu, token) if u["username"] == "olga")
    assert ops["population"]["id"] != users["omar"]["population"]["id"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"people": []}', "unknown keys"),
        ('{"users": [{"email": "x@example.com"}]}', "needs a username"),
        ('{"users": [{"username": "a", "population": "Nope"}]}', "no population named 'Nope'"),
        ('{"users": [{"username": "a"}, {"username": "A"}]}', "not unique"),
    ],
)
def test_bad_seed_files_say_what_is_wrong(tmp_path: Path, content: str, fragment: str) -> None:
    """Each malformed seed file is an EmulatorError naming the problem."""
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(EmulatorError, match=fragment):
        PingOneEmulator(users=0, seed_file=path)
    with pytest.raises(EmulatorError, match="cannot read seed file"):
        PingOneEmulator(seed_file=tmp_path / "missing.json")


def test_runner_state_option(tmp_path: Path) -> None:
    """``--state FILE`` seeds the server; a bad file exits 2 with the reason."""
    from httpx_pingone_worker.emulator.__main__ import main

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["--state", str(bad)]) == 2
    assert "not valid JSON" in err.getvalue()
    stop = threading.Event()
    stop.set()  # serve, print, and stop at once
    env_file = tmp_path / "env"
    out = io.StringIO()
    with redirect_stderr(io.StringIO()), redirect_stdout(out):
        assert main(["--users", "0", "--state", str(_seed_file(tmp_path)),
                     "--env-file", str(env_file)], stop=stop) == 0  # fmt: skip
    assert f"env file      : {env_file}" in out.getvalue()
    assert not env_file.exists()  # removed with the server at stop


def contextlib_stdout() -> Any:
    from contextlib import redirect_stdout

    return redirect_stdout(io.StringIO())


def test_snapshot_restore_and_reset(harness: Harness) -> None:
    """restore() returns to a snapshot; reset() to the seeded state; both drop later writes."""
    emu = harness.emu
    token = harness.token()
    snap = emu.snapshot()
    assert isinstance(snap, EmulatorSnapshot)
    users = f"{harness.env_path}/users"
    body = {"username": "snap", "email": "s@example.com"}
    assert harness.call("POST", users, token, json=body).status_code == 201
    emu.restore(snap)
    flt = {"filter": 'username eq "snap"'}
    assert harness.api(users, token, params=flt).json()["count"] == 0
    assert harness.call("POST", users, token, json=body).status_code == 201
    emu.reset()
    assert emu.requests == []
    assert harness.api(users, token).status_code == 401  # tokens are forgotten too
    fresh = harness.token()
    assert harness.api(users, fresh, params=flt).json()["count"] == 0
    with pytest.raises(EmulatorError, match="EmulatorSnapshot"):
        emu.restore("nope")  # type: ignore[arg-type]


def test_instances_are_isolated() -> None:
    """Two emulators with the same settings share nothing (the baseline cache is copied)."""
    a, b = PingOneEmulator(users=3), PingOneEmulator(users=3)
    a.add_user(username="only.in.a")
    token = b.issue_token().get_secret_value()
    assert "only.in.a" not in [u["username"] for u in _users(b, token)]
    assert a.client_id == b.client_id  # same seed: same ids


def test_control_snapshot_restore_over_https() -> None:
    """POST /_emulator/snapshot and /restore work for non-Python clients."""
    emu = PingOneEmulator(users=1)
    with emu.serve() as server, httpx.Client(verify=server.ssl_context) as client:
        assert (
            client.post(f"{server.url}/_emulator/snapshot", json={"name": "s"}).status_code == 200
        )
        emu.add_user(username="late")
        assert client.post(f"{server.url}/_emulator/restore", json={"name": "s"}).status_code == 200
        r = client.post(f"{server.url}/_emulator/restore", json={"name": "other"})
        assert r.status_code == 400
    token = emu.issue_token().get_secret_value()
    assert [u["username"] for u in _users(emu, token)] == ["ada.lovelace0000"]


def test_role_assignments_create_list_delete(harness: Harness) -> None:
    """Assigning Identity Data Admin lets a read-only app write; deleting it takes it away."""
    emu = harness.emu
    admin = harness.token()
    reader = emu.add_worker_app(roles=["Identity Data Read Only"])
    rtoken = harness.token(reader)
    users = f"{harness.env_path}/users"
    new_user = {"username": "ra.user", "email": "ra@example.com"}
    assert harness.call("POST", users, rtoken, json=new_user).status_code == 403
    roles = {r["name"]: r["id"] for r in harness.api("/roles", admin).json()["_embedded"]["roles"]}
    base = f"{harness.env_path}/applications/{reader.client_id}/roleAssignments"
    body = {"role": {"id": roles["Identity Data Admin"]},
            "scope": {"type": "ENVIRONMENT", "id": emu.environment_id}}  # fmt: skip
    r = harness.call("POST", base, admin, json=body)
    assert r.status_code == 201, r.text
    ra = r.json()
    assert harness.call("POST", users, rtoken, json=new_user).status_code == 201
    again = harness.call("POST", base, admin, json=body).json()["details"][0]
    assert (again["code"], again["target"]) == ("UNIQUENESS_VIOLATION", "role")
    assert again["innerError"]["existingId"] == ra["id"]
    listed = harness.api(base, admin).json()["_embedded"]["roleAssignments"]
    assert ra["id"] in [x["id"] for x in listed]
    assert harness.call("DELETE", f"{base}/{ra['id']}", admin).status_code == 204
    assert harness.call("DELETE", users + "/" + str(uuid.uuid4()), rtoken).status_code == 403
    bad = {"role": {"id": roles["Organization Admin"]},
           "scope": {"type": "ENVIRONMENT", "id": emu.environment_id}}  # fmt: skip
    detail = harness.call("POST", base, admin, json=bad).json()["details"][0]
    assert detail["target"] == "scope"  # an incompatible role/scope pair names the scope
    assert detail["innerError"]["allowedValues"] == ["ORGANIZATION"]


def test_user_role_assignments(harness: Harness) -> None:
    """Users get role assignments at population scope; unknown scopes are INVALID_VALUE."""
    token = harness.token()
    roles = {r["name"]: r["id"] for r in harness.api("/roles", token).json()["_embedded"]["roles"]}
    user = harness.api(f"{harness.env_path}/users", token).json()["_embedded"]["users"][0]
    pop = user["population"]["id"]
    base = f"{harness.env_path}/users/{user['id']}/roleAssignments"
    body = {
        "role": {"id": roles["Identity Data Admin"]},
        "scope": {"type": "POPULATION", "id": pop},
    }
    assert harness.call("POST", base, token, json=body).status_code == 201
    body["scope"]["id"] = str(uuid.uuid4())
    assert harness.call("POST", base, token, json=body).json()["details"][0]["target"] == "scope.id"
    assert len(harness.api(base, token).json()["_embedded"]["roleAssignments"]) == 1


def test_secret_rotation_changes_what_the_token_endpoint_accepts(harness: Harness) -> None:
    """POST …/secret: the new secret works at once; the old one only until previous.expiresAt."""
    emu = harness.emu
    admin = harness.token()
    worker = emu.add_worker_app(name="Rotated")
    url = f"{harness.env_path}/applications/{worker.client_id}/secret"
    assert harness.api(url, admin).json()["secret"] == worker.client_secret.get_secret_value()  # type: ignore[union-attr]
    rotated = harness.call("POST", url, admin, json={}).json()
    assert "previous" not in rotated  # no grace requested: the old secret stops at once
    assert harness.token_response(worker).status_code == 401
    fresh = worker.__class__(worker.client_id, rotated["secret"], worker.environment_id)
    assert harness.token_response(fresh).status_code == 200
    expires = dt.datetime.fromtimestamp(emu.clock.now() + 120, dt.timezone.utc).isoformat()
    graced = harness.call("POST", url, admin, json={"previous": {"expiresAt": expires}}).json()
    assert graced["previous"]["secret"] == rotated["secret"]
    assert harness.token_response(fresh).status_code == 200  # still in its grace
    emu.clock.advance(121)
    assert harness.token_response(fresh).status_code == 401
    bad = harness.call("POST", url, admin, json={"previous": {"expiresAt": "tomorrow"}})
    assert bad.json()["details"][0]["target"] == "previous.expiresAt"


def test_disable_and_enable_an_application(harness: Harness) -> None:
    """PUT /applications/{id} with enabled=false makes the token endpoint refuse the app."""
    emu = harness.emu
    admin = harness.token()
    worker = emu.add_worker_app(name="Toggled")
    url = f"{harness.env_path}/applications/{worker.client_id}"
    body = {"name": "Toggled", "enabled": False, "type": "WORKER", "protocol": "OPENID_CONNECT"}
    assert harness.call("PUT", url, admin, json=body).json()["enabled"] is False
    r = harness.token_response(worker)
    assert (r.status_code, r.json()["error"]) == (400, "unauthorized_client")
    body["enabled"] = True
    harness.call("PUT", url, admin, json=body)
    assert harness.token_response(worker).status_code == 200
    details = harness.call("PUT", url, admin, json={"name": "x"}).json()["details"]
    assert {d["target"] for d in details} == {"enabled", "type", "protocol"}
    dev = harness.token(emu.add_worker_app(roles=["Identity Data Admin"]))
    assert harness.call("PUT", url, dev, json=body).status_code == 403


@pytest.mark.parametrize(
    ("path", "embedded", "names"),
    [
        ("/signOnPolicies", "signOnPolicies", {"Single_Factor"}),
        ("/passwordPolicies", "passwordPolicies", {"Standard"}),
        ("/resources", "resources", {"PingOne API", "openid"}),
    ],
)
def test_read_only_configuration(
    harness: Harness, path: str, embedded: str, names: set[str]
) -> None:
    """Seeded policies and resources are listed, readable one by one, and not writable."""
    token = harness.token()
    items = harness.api(f"{harness.env_path}{path}", token).json()["_embedded"][embedded]
    assert {i["name"] for i in items} == names
    one = harness.api(items[0]["_links"]["self"]["href"], token).json()
    assert one["id"] == items[0]["id"]
    r = harness.call("POST", f"{harness.env_path}{path}", token, json={"name": "x"})
    assert r.status_code == 404


def test_policy_actions_scopes_org_licenses_bom(harness: Harness) -> None:
    """Sign-on actions, resource scopes, the organization, its licenses and the BOM."""
    emu = harness.emu
    token = harness.token()
    policy = harness.api(f"{harness.env_path}/signOnPolicies", token).json()
    pid = policy["_embedded"]["signOnPolicies"][0]["id"]
    actions = harness.api(f"{harness.env_path}/signOnPolicies/{pid}/actions", token).json()
    assert [a["type"] for a in actions["_embedded"]["actions"]] == ["LOGIN"]
    res = harness.api(f"{harness.env_path}/resources", token).json()["_embedded"]["resources"]
    api = next(r for r in res if r["type"] == "PINGONE_API")
    scopes = harness.api(f"{harness.env_path}/resources/{api['id']}/scopes", token).json()
    assert "p1:read:user" in {s["name"] for s in scopes["_embedded"]["scopes"]}
    org = harness.api(f"/organizations/{emu.organization_id}", token).json()
    assert org["id"] == emu.organization_id
    lic = harness.api(f"/organizations/{emu.organization_id}/licenses", token).json()
    assert [x["id"] for x in lic["_embedded"]["licenses"]] == [emu.license_id()]
    bom = harness.api(f"{harness.env_path}/billOfMaterials", token).json()
    assert {p["type"] for p in bom["products"]} == {"PING_ONE_BASE", "PING_ONE_MFA"}
    assert harness.api(f"/organizations/{uuid.uuid4()}", token).status_code == 404
