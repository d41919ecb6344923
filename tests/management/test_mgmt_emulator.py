"""Management client, discovery, introspection and JWT verification against the emulator."""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
from mgmt_support import FakeSleep

from httpx_pingone_worker import (
    JWKSCache,
    JWTError,
    PingOneClient,
    PingOneWorkerAuth,
    discover_worker_app,
    introspect_token,
    test_api_access,
    validate_worker_credentials,
    verify_jwt,
)
from httpx_pingone_worker.emulator import PingOneEmulator


@pytest.fixture(scope="module")
def emu() -> PingOneEmulator:
    """One seeded emulator (300 users) shared by the module; tests reset what they change."""
    return PingOneEmulator(seed=5)


def make_client(emu: PingOneEmulator, fake_sleep: FakeSleep, creds: object = None) -> PingOneClient:
    """A PingOneClient whose auth and API calls both go through the emulator transport."""
    c = creds or emu.credentials
    auth = PingOneWorkerAuth(
        c.client_id,  # type: ignore[attr-defined]
        c.client_secret,  # type: ignore[attr-defined]
        c.environment_id,  # type: ignore[attr-defined]
        region=emu.region,
    )
    return PingOneClient(
        auth=auth,
        environment_id=c.environment_id,  # type: ignore[attr-defined]
        transport=emu.transport(),
        rate_limiter=False,
        sleep=fake_sleep,
        clock=fake_sleep.clock,
        rng=random.Random(0),
    )


@pytest.fixture
def client(emu: PingOneEmulator, fake_sleep: FakeSleep) -> Iterator[PingOneClient]:
    """A client for the emulator's seeded worker app (Environment Admin)."""
    emu.clear_faults()
    with make_client(emu, fake_sleep) as c:
        yield c


def test_environment_and_paging(client: PingOneClient, emu: PingOneEmulator) -> None:
    """get_environment and paginate over every seeded user in pages of 100."""
    env = client.get_environment()
    assert env.id == emu.environment_id
    assert env.products
    pages = list(client.pages("/environments/{env}/users", params={"limit": 100}))
    assert len(pages) >= 3
    ids = [u["id"] for p in pages for u in p.items]
    assert len(ids) == len(set(ids)) == 300


def test_discovery_with_several_roles(emu: PingOneEmulator, fake_sleep: FakeSleep) -> None:
    """A worker with three roles is discovered with their names."""
    creds = emu.add_worker_app(
        name="multi-role",
        roles=(
            "Identity Data Read Only",
            "Client Application Developer",
            "Configuration Read Only",
        ),
    )
    with make_client(emu, fake_sleep, creds) as c:
        app = discover_worker_app(c, creds.client_id)
    assert app.name == "multi-role"
    assert app.status == "enabled"
    assert sorted(app.role_names) == [
        "Client Application Developer",
        "Configuration Read Only",
        "Identity Data Read Only",
    ]
    assert {r.scope_type for r in app.roles} == {"ENVIRONMENT"}


def test_probes_mixed_outcomes_emulator(emu: PingOneEmulator, fake_sleep: FakeSleep) -> None:
    """An Identity Data Read Only worker may read users but not applications."""
    creds = emu.add_worker_app(name="reader", roles=("Identity Data Read Only",))
    with make_client(emu, fake_sleep, creds) as c:
        report = test_api_access(c)
    assert report["users"].outcome == "allowed"
    assert report["groups"].outcome == "allowed"
    assert report["applications"].outcome == "forbidden"
    assert report["applications"].code == "ACCESS_FAILED"
    assert report["roles"].outcome == "allowed"


def test_429_retry_after_emulator(
    client: PingOneClient, emu: PingOneEmulator, fake_sleep: FakeSleep
) -> None:
    """An injected 429 with Retry-After is waited out (fake sleep) and retried."""
    client.get_environment()  # token fetched first
    emu.inject_fault("api", "rate_limit", count=1, retry_after=3)
    assert client.get_environment().id == emu.environment_id
    assert fake_sleep.calls == [3.0]


def test_expired_token_resent_once_by_auth(client: PingOneClient, emu: PingOneEmulator) -> None:
    """After the server expires tokens, the auth's 401 resend-once gets a new token."""
    client.get_environment()
    before = emu.token_requests
    emu.expire_tokens()
    assert client.get_environment().id == emu.environment_id
    assert emu.token_requests == before + 1


def test_introspection_and_jwt_emulator(emu: PingOneEmulator) -> None:
    """An emulator token introspects active and verifies against the emulator's JWKS."""
    transport = emu.transport()
    with httpx.Client(transport=transport) as token_http:
        auth = PingOneWorkerAuth(
            emu.credentials.client_id,
            emu.credentials.client_secret,
            emu.environment_id,
            region=emu.region,
            http_client=token_http,
        )
        token = auth.get_token()
    with httpx.Client(transport=transport) as http:
        result = introspect_token(emu.introspection_endpoint, token, emu.credentials, client=http)
    assert result.active
    assert result.client_id == emu.client_id
    cache = JWKSCache(emu.jwks_url, transport=transport)
    claims = verify_jwt(token, jwks=cache, issuer=emu.issuer)
    assert claims["client_id"] == emu.client_id
    with pytest.raises(JWTError) as info:
        verify_jwt(token, jwks=cache, issuer="https://auth.pingone.eu/other/as")
    assert info.value.error == "invalid_issuer"
    emu.expire_tokens()
    with httpx.Client(transport=transport) as http:
        assert not introspect_token(
            emu.introspection_endpoint, token, emu.credentials, client=http
        ).active


def test_validate_against_emulator(emu: PingOneEmulator) -> None:
    """validate_worker_credentials passes every step against the emulator."""
    report = validate_worker_credentials(
        credentials=emu.credentials, transport=emu.transport(), probes=["users"]
    )
    assert report.ok, report.summary()
    assert report.worker_app is not None
    assert report.worker_app.client_id == emu.client_id
    assert report.api_access is not None
    assert report.api_access.all_allowed


def test_typed_users_groups_populations(fake_sleep: FakeSleep) -> None:
    """get_user, iter_users (filter, paging), iter_groups, iter_populations give typed items."""
    emu = PingOneEmulator(seed=9, users=12)
    added = emu.add_group(name="Auditors", description="read-only reviewers")
    extra = emu.add_user(username="zz.typed", email="zz.typed@example.com", enabled=False)
    with make_client(emu, fake_sleep) as c:
        users = list(c.iter_users(limit=5))
        assert len(users) == 13
        assert len({u.id for u in users}) == 13
        found = list(c.iter_users(filter='username eq "zz.typed"'))
        assert [(u.id, u.email, u.enabled) for u in found] == [
            (extra["id"], "zz.typed@example.com", False)
        ]
        one = c.get_user(extra["id"])
        assert (one.username, one.population_id) == ("zz.typed", extra["population"]["id"])
        assert one.raw["id"] == extra["id"]
        groups = {g.name: g for g in c.iter_groups()}
        assert groups["Auditors"].id == added["id"]
        assert groups["Auditors"].description == "read-only reviewers"
        populations = list(c.iter_populations())
        assert one.population_id in {p.id for p in populations}
        assert all(p.name for p in populations)
