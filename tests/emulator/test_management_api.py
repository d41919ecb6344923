"""Management API subset: shapes, paging, filters, 401/403/404/429, over both adapters."""

from __future__ import annotations

import uuid

import pytest

from httpx_pingone_worker.emulator import ROLE_NAMES, PingOneEmulator

from .conftest import Harness


def test_environment_shape(harness: Harness) -> None:
    """GET /environments/{id} has PINGONE.md's fields, HAL links and a Correlation-Id."""
    r = harness.api(harness.env_path, harness.token())
    assert r.status_code == 200
    assert r.headers["Correlation-Id"]
    env = r.json()
    assert env["id"] == harness.emu.environment_id
    assert env["type"] == "SANDBOX"
    assert env["region"] == "NA"
    assert env["license"]["id"]
    assert env["organization"]["id"] == harness.emu.organization_id
    assert env["status"] == "ACTIVE"
    assert env["billOfMaterials"]["products"][0]["type"] == "PING_ONE_BASE"
    assert {"createdAt", "updatedAt", "name"} <= set(env)
    assert env["_links"]["self"]["href"] == f"{harness.api_base}{harness.env_path}"


def test_applications_and_role_assignments(harness: Harness) -> None:
    """The seeded worker app, its list entry, and its two role assignments: Environment Admin
    and Identity Data Admin at environment scope (what a worker app made in PingOne's admin
    console holds; Ping's Terraform guide "Admin Role Management Considerations")."""
    token = harness.token()
    app_id = harness.emu.client_id
    apps = harness.api(f"{harness.env_path}/applications", token).json()
    assert app_id in [a["id"] for a in apps["_embedded"]["applications"]]
    app = harness.api(f"{harness.env_path}/applications/{app_id}", token).json()
    assert app["type"] == "WORKER"
    assert app["protocol"] == "OPENID_CONNECT"
    assert app["enabled"] is True
    assert app["tokenEndpointAuthMethod"] == "CLIENT_SECRET_BASIC"
    assert app["grantTypes"] == ["CLIENT_CREDENTIALS"]
    assert app["environment"]["id"] == harness.emu.environment_id
    ras = harness.api(f"{harness.env_path}/applications/{app_id}/roleAssignments", token).json()
    names = set()
    for ra in ras["_embedded"]["roleAssignments"]:
        assert ra["scope"] == {"id": harness.emu.environment_id, "type": "ENVIRONMENT"}
        assert ra["environment"]["id"] == harness.emu.environment_id
        role = harness.api(f"/roles/{ra['role']['id']}", token).json()
        assert role["id"] == ra["role"]["id"]
        names.add(role["name"])
    assert names == {"Environment Admin", "Identity Data Admin"}
    assert len(ras["_embedded"]["roleAssignments"]) == 2
    roles = harness.api("/roles", token).json()["_embedded"]["roles"]
    assert {r["name"] for r in roles} == set(ROLE_NAMES)


def test_paging_returns_every_user_exactly_once(harness: Harness) -> None:
    """Following _links.next through 300 users yields each id once; pages honour limit."""
    emu = harness.emu
    emu.reset()
    for i in range(270):
        emu.add_user(username=f"extra{i}")
    token = harness.token()
    url: str | None = f"{harness.api_base}{harness.env_path}/users?limit=37"
    seen: list[str] = []
    pages = 0
    while url:
        body = harness.api(url, token).json()
        assert body["size"] == len(body["_embedded"]["users"]) <= 37
        seen.extend(u["id"] for u in body["_embedded"]["users"])
        url = body["_links"].get("next", {}).get("href")
        pages += 1
    assert len(seen) == 300
    assert len(set(seen)) == 300
    assert pages == 9


def test_default_emulator_has_300_users() -> None:
    """PingOneEmulator() seeds 300 users, so default paging spans several pages."""
    emu = PingOneEmulator()
    token = emu.issue_token().get_secret_value()
    _, _, body = emu.handle(
        "GET",
        f"{emu.api_base_url}/environments/{emu.environment_id}/users?limit=1000",
        {"Authorization": f"Bearer {token}"},
    )
    import json

    assert json.loads(body)["count"] == 300


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ('username eq "ada.lovelace0000"', {"ada.lovelace0000"}),
        ('username sw "grace."', {"grace.lovelace0002", "grace.turing0020"}),
        ('email ew "turing0020@example.com"', {"grace.turing0020"}),
        ('name.family co "urin" and username sw "grace"', {"grace.turing0020"}),
        ('name.given eq "ada" and name.family eq "turing"', {"ada.turing0018"}),
        (
            '(username eq "ada.lovelace0000" or username eq "alan.lovelace0001")'
            " and enabled eq true",
            {"ada.lovelace0000", "alan.lovelace0001"},
        ),
        ("enabled eq false", {"barbara.turing0024"}),
        ('email sw "linus.t" and username sw "linus.t"', {"linus.turing0021"}),
    ],
)
def test_user_filters(harness: Harness, flt: str, expected: set[str]) -> None:
    """eq/sw/ew/co, and/or and parentheses select exactly the expected users (PingOne's
    users filter: docs.pingidentity.com/pingone/directory/p1_scim_filter_language.html)."""
    r = harness.api(f"{harness.env_path}/users", harness.token(), params={"filter": flt})
    assert r.status_code == 200, r.text
    assert {u["username"] for u in r.json()["_embedded"]["users"]} == expected


def test_group_and_population_filters(harness: Harness) -> None:
    """Groups and populations are listed and filterable by name."""
    token = harness.token()
    groups = harness.api(f"{harness.env_path}/groups", token).json()["_embedded"]["groups"]
    assert len(groups) == 5
    r = harness.api(f"{harness.env_path}/groups", token, params={"filter": 'name sw "eng"'})
    assert [g["name"] for g in r.json()["_embedded"]["groups"]] == ["Engineering"]
    r = harness.api(f"{harness.env_path}/populations", token, params={"filter": "default eq true"})
    (pop,) = r.json()["_embedded"]["populations"]
    assert pop["name"] == "Default"
    one = harness.api(f"{harness.env_path}/groups/{groups[0]['id']}", token).json()
    assert one["name"] == groups[0]["name"]


@pytest.mark.parametrize(
    "flt",
    ['password eq "x"', 'username xx "a"', 'username eq "a', "(username pr", "username eq", ""],
)
def test_invalid_filter_is_400(harness: Harness, flt: str) -> None:
    """A filter that cannot be parsed or names an unknown attribute is 400 INVALID_FILTER."""
    r = harness.api(f"{harness.env_path}/users", harness.token(), params={"filter": flt})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "INVALID_DATA"
    assert body["details"][0]["code"] == "INVALID_FILTER"
    assert body["id"] == r.headers["Correlation-Id"]


def test_bad_limit_and_cursor_are_400(harness: Harness) -> None:
    """limit outside 1..1000 and a forged cursor are rejected with a target."""
    token = harness.token()
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"cursor": "bogus"}):
        r = harness.api(f"{harness.env_path}/users", token, params=params)
        assert r.status_code == 400, params
        assert r.json()["details"][0]["target"] in {"limit", "cursor"}


def test_401_missing_invalid_expired(harness: Harness) -> None:
    """No token, a forged token and an expired token are 401 ACCESS_FAILED/INVALID_TOKEN."""
    token = harness.token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    harness.emu.clock.advance(3600)
    for tok in (None, "garbage", forged, token):
        r = harness.api(harness.env_path, tok)
        assert r.status_code == 401, tok
        body = r.json()
        assert body["code"] == "ACCESS_FAILED"
        assert body["details"][0]["code"] == "INVALID_TOKEN"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.headers["Correlation-Id"] == body["id"]


def test_expire_tokens(harness: Harness) -> None:
    """expire_tokens() makes every issued token unusable at once."""
    token = harness.token()
    assert harness.emu.expire_tokens() == 1
    assert harness.api(harness.env_path, token).status_code == 401
    assert harness.api(harness.env_path, harness.token()).status_code == 200


def test_403_other_environment_and_roles(harness: Harness) -> None:
    """A token is refused for another environment and for resources its roles lack."""
    emu = harness.emu
    other_env = emu.add_environment("Other")
    other_creds = emu.add_worker_app(other_env)
    other_token = harness.token(other_creds)
    r = harness.api(harness.env_path, other_token)
    assert r.status_code == 403
    assert r.json()["details"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    reader = emu.add_worker_app(roles=["Identity Data Read Only"])
    tok = harness.token(reader)
    assert harness.api(f"{harness.env_path}/users", tok).status_code == 200
    assert harness.api(f"{harness.env_path}/applications", tok).status_code == 403
    nobody = emu.add_worker_app(roles=[])
    assert harness.api(harness.env_path, harness.token(nobody)).status_code == 403


def test_organization_admin_reaches_every_environment(harness: Harness) -> None:
    """An Organization Admin role covers other environments and /environments lists them,
    but, as in PingOne, it reads no identity data (users)."""
    emu = harness.emu
    other_env = emu.add_environment("Other", users=3)
    admin = harness.token(emu.add_worker_app(roles=["Organization Admin"]))
    r = harness.api(f"/environments/{other_env}", admin)
    assert r.status_code == 200
    assert r.json()["id"] == other_env
    r = harness.api(f"/environments/{other_env}/users", admin)
    assert r.status_code == 403
    assert r.json()["details"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    listed = harness.api("/environments", admin).json()["_embedded"]["environments"]
    assert {e["id"] for e in listed} == {emu.environment_id, other_env}
    assert harness.api(f"/environments/{uuid.uuid4()}", admin).status_code == 404


def test_404_unknown_ids_and_routes(harness: Harness) -> None:
    """Unknown ids are 404 NOT_FOUND; an unknown route names itself as not emulated."""
    token = harness.token()
    for path in (
        f"{harness.env_path}/users/{uuid.uuid4()}",
        f"{harness.env_path}/applications/{uuid.uuid4()}",
        f"/roles/{uuid.uuid4()}",
    ):
        r = harness.api(path, token)
        assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND"), path
    r = harness.api(f"{harness.env_path}/flows", token)
    assert r.status_code == 404
    assert "/flows is not emulated" in r.json()["message"]
    r = harness.client.patch(f"{harness.api_base}{harness.env_path}/groups", json={})
    assert "PATCH" in r.json()["message"]
    assert "not emulated" in r.json()["message"]


def test_rate_limit_per_license(harness: Harness) -> None:
    """Over the per-license limit: 429 REQUEST_LIMITED with Retry-After; the window moves."""
    emu = harness.emu
    emu.set_rate_limit(3)
    shared = emu.add_environment("Shared license", license_id=emu.license_id())
    token = harness.token()
    other = harness.token(emu.add_worker_app(shared))
    assert harness.api(harness.env_path, token).status_code == 200
    assert harness.api(f"/environments/{shared}", other).status_code == 200
    assert harness.api(harness.env_path, token).status_code == 200
    r = harness.api(harness.env_path, token)
    assert r.status_code == 429
    assert r.json()["code"] == "REQUEST_LIMITED"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    emu.clock.advance(61)
    assert harness.api(harness.env_path, token).status_code == 200


def test_rate_limit_off_by_default(harness: Harness) -> None:
    """Without rate_limit, many requests all succeed."""
    token = harness.token()
    assert {harness.api(harness.env_path, token).status_code for _ in range(30)} == {200}


def test_other_region_host_does_not_serve_environment() -> None:
    """auth.pingone.eu does not know an NA environment; an EU environment is served there."""
    import httpx

    emu = PingOneEmulator(users=0)
    eu_env = emu.add_environment("EU", region="EU")
    eu_app = emu.add_worker_app(eu_env)
    with httpx.Client(transport=emu.transport()) as client:
        r = client.get(f"https://auth.pingone.eu/{emu.environment_id}/as/jwks")
        assert r.status_code == 404
        r = client.post(
            f"https://auth.pingone.eu/{eu_env}/as/token",
            data={"grant_type": "client_credentials"},
            auth=(eu_app.client_id, eu_app.client_secret.get_secret_value()),  # type: ignore[union-attr]
        )
        assert r.status_code == 200
        claims = r.json()["access_token"]
        from jose import jwt as jose_jwt

        assert (
            jose_jwt.get_unverified_claims(claims)["iss"] == f"https://auth.pingone.eu/{eu_env}/as"
        )
