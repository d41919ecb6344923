"""Typed writes of PingOneClient / AsyncPingOneClient against the writable emulator, errors
with PingOne's details, and the retry rules (429 for every method; 5xx and network errors
only for idempotent ones)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from mgmt_support import FakeSleep

from httpx_pingone_worker import (
    AsyncPingOneClient,
    ConfigurationError,
    InvalidArgumentError,
    ManagementApiError,
    PingOneClient,
    PingOneWorkerAuth,
    Secret,
)
from httpx_pingone_worker.emulator import PingOneEmulator


def _auth(emu: PingOneEmulator, roles: tuple[str, ...] | None = None) -> PingOneWorkerAuth:
    c = emu.credentials if roles is None else emu.add_worker_app(roles=roles)
    return PingOneWorkerAuth(c.client_id, c.client_secret, c.environment_id, region=emu.region)


@pytest.fixture
def emu() -> PingOneEmulator:
    """A fresh emulator per test (cheap: restored from the cached seeded state)."""
    return PingOneEmulator(users=5)


@pytest.fixture
def client(emu: PingOneEmulator, fake_sleep: FakeSleep) -> Iterator[PingOneClient]:
    """An Environment Admin client on the emulator's transport with recorded sleeps."""
    with PingOneClient(
        auth=_auth(emu),
        environment_id=emu.environment_id,
        transport=emu.transport(),
        rate_limiter=False,
        sleep=fake_sleep,
        clock=fake_sleep.clock,
        rng=random.Random(0),
    ) as c:
        yield c


def _api_calls(emu: PingOneEmulator, method: str) -> int:
    return sum(1 for r in emu.requests if r.endpoint == "api" and r.method == method)


def test_user_lifecycle(client: PingOneClient, emu: PingOneEmulator) -> None:
    """create, update (merge), replace, disable, filter and delete a user."""
    user = client.create_user(
        username="grace",
        email="grace@example.com",
        name={"given": "Grace"},
        attributes={"title": "RADM"},
    )
    assert (user.username, user.email, user.enabled) == ("grace", "grace@example.com", True)
    assert user.population_id
    updated = client.update_user(user.id, {"name": {"family": "Hopper"}})
    assert updated.raw["name"] == {"given": "Grace", "family": "Hopper"}
    assert updated.raw["title"] == "RADM"
    replaced = client.replace_user(user.id, {"username": "ghopper", "email": "g@example.com"})
    assert replaced.username == "ghopper"
    assert "title" not in replaced.raw
    assert client.set_user_enabled(user.id, False) is False
    assert client.get_user(user.id).enabled is False
    found = list(client.iter_users(filter='username eq "ghopper"'))
    assert [u.id for u in found] == [user.id]
    client.delete_user(user.id)
    with pytest.raises(ManagementApiError) as info:
        client.get_user(user.id)
    assert info.value.status_code == 404


def test_groups_and_memberships(client: PingOneClient) -> None:
    """create a group, add and remove a member, filter users by membership, delete it."""
    group = client.create_group(name="Divers", description="Deep water")
    assert (group.name, group.description) == ("Divers", "Deep water")
    user = client.create_user(username="sylvia", email="s@example.com")
    client.add_user_to_group(user.id, group.id)
    members = list(client.iter_users(filter=f'memberOfGroups[id eq "{group.id}"]'))
    assert [m.username for m in members] == ["sylvia"]
    client.remove_user_from_group(user.id, group.id)
    assert list(client.iter_users(filter=f'memberOfGroups[id eq "{group.id}"]')) == []
    client.delete_group(group.id)
    assert group.id not in [g.id for g in client.iter_groups()]


def test_uniqueness_violation_names_field_and_existing_id(client: PingOneClient) -> None:
    """A taken username: ManagementApiError with PingOne's details and the existing id."""
    first = client.create_user(username="dup", email="d@example.com")
    with pytest.raises(ManagementApiError) as info:
        client.create_user(username="DUP", email="e@example.com")
    err = info.value
    assert err.status_code == 400
    assert err.code == "INVALID_DATA"
    (detail,) = err.details
    assert detail["code"] == "UNIQUENESS_VIOLATION"
    assert detail["target"] == "username"
    assert detail["innerError"]["existingId"] == first.id
    assert f"username already used by {first.id}" in str(err)
    assert err.correlation_id


def test_forbidden_write_hints_the_role(emu: PingOneEmulator, fake_sleep: FakeSleep) -> None:
    """A read-only app's write is a 403 whose hint names Identity Data Admin."""
    with PingOneClient(
        auth=_auth(emu, ("Identity Data Read Only",)),
        transport=emu.transport(),
        rate_limiter=False,
        sleep=fake_sleep,
    ) as reader:
        assert list(reader.iter_users())
        with pytest.raises(ManagementApiError) as info:
            reader.create_group(name="nope")
    assert info.value.status_code == 403
    assert info.value.details[0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert "Identity Data Admin" in (info.value.hint or "")


def test_read_only_configuration(client: PingOneClient, emu: PingOneEmulator) -> None:
    """Sign-on policies, resources and the bill of materials, typed."""
    (policy,) = client.iter_sign_on_policies()
    assert policy.default is True
    assert {r.type for r in client.iter_resources()} == {"PINGONE_API", "OPENID_CONNECT"}
    bom = client.get_bill_of_materials()
    assert {p.type for p in bom.products} == {"PING_ONE_BASE", "PING_ONE_MFA"}


def test_rotate_application_secret(client: PingOneClient, emu: PingOneEmulator) -> None:
    """The rotated secret comes back masked; the token endpoint accepts it, and the old one
    only until previous_expires_at."""
    worker = emu.add_worker_app(name="rotating")
    until = dt.datetime.fromtimestamp(emu.clock.now() + 120, dt.timezone.utc)  # 1 min..30 d
    new = client.rotate_application_secret(worker.client_id, previous_expires_at=until)
    assert isinstance(new, Secret)
    assert new.get_secret_value() not in repr(new)
    assert new.get_secret_value() != worker.client_secret.get_secret_value()  # type: ignore[union-attr]
    for secret, ok in ((new, True), (worker.client_secret, True)):
        auth = PingOneWorkerAuth(worker.client_id, secret, worker.environment_id)
        with PingOneClient(auth=auth, transport=emu.transport(), rate_limiter=False) as c:
            assert bool(c.get_environment().id) is ok
    emu.clock.advance(121)
    old = PingOneWorkerAuth(worker.client_id, worker.client_secret, worker.environment_id)
    with (
        PingOneClient(auth=old, transport=emu.transport(), rate_limiter=False) as c,
        pytest.raises(Exception, match="invalid_client"),
    ):
        c.get_environment()


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("create_user", {"username": "", "email": "x@example.com"}),
        ("create_user", {"username": "x", "email": 3}),
        ("create_group", {"name": "  "}),
        ("replace_user", {"user_id": "u", "attributes": {"email": "x@example.com"}}),
        ("update_user", {"user_id": "u", "attributes": ["title"]}),
        ("set_user_enabled", {"user_id": "u", "enabled": "yes"}),
        ("delete_user", {"user_id": ""}),
        (
            "rotate_application_secret",
            {"app_id": "a", "previous_expires_at": dt.datetime(2030, 1, 1)},
        ),
    ],
)
def test_bad_arguments_are_value_errors_not_configuration_errors(
    client: PingOneClient, emu: PingOneEmulator, call: str, kwargs: dict[str, object]
) -> None:
    """Wrong arguments fail before any request: a ValueError with a hint, not a settings error."""
    args = [kwargs.pop(k) for k in ("user_id", "app_id") if k in kwargs]
    if "attributes" in kwargs:
        args.append(kwargs.pop("attributes"))
    if call == "set_user_enabled":
        args.append(kwargs.pop("enabled"))
    before = len(emu.requests)
    with pytest.raises(InvalidArgumentError) as info:
        getattr(client, call)(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, ConfigurationError)
    assert len(emu.requests) == before


def test_429_is_retried_for_post_after_retry_after(
    client: PingOneClient, emu: PingOneEmulator, fake_sleep: FakeSleep
) -> None:
    """PingOne refused before processing: a POST is sent again after Retry-After."""
    emu.inject_fault("users", "rate_limit", retry_after=3)
    client.create_user(username="after429", email="a@example.com")
    assert _api_calls(emu, "POST") == 2
    assert len(fake_sleep.calls) == 1
    assert fake_sleep.calls[0] >= 3


@pytest.mark.parametrize("kind", ["status", "timeout", "connect"])
def test_5xx_and_network_errors_are_not_retried_for_post(
    client: PingOneClient, emu: PingOneEmulator, fake_sleep: FakeSleep, kind: str
) -> None:
    """A POST that may have had effects is not sent twice."""
    emu.inject_fault("users", kind, status=503)
    with pytest.raises(ManagementApiError):
        client.create_user(username="once", email="o@example.com")
    assert _api_calls(emu, "POST") == 1
    assert fake_sleep.calls == []


@pytest.mark.parametrize("kind", ["status", "timeout"])
def test_5xx_and_timeouts_are_retried_for_idempotent_writes(
    client: PingOneClient, emu: PingOneEmulator, kind: str
) -> None:
    """PUT and DELETE are idempotent: a 503 or a timeout is retried and then succeeds."""
    user = client.create_user(username="idem", email="i@example.com")
    emu.inject_fault("users", kind, status=503)
    assert client.set_user_enabled(user.id, False) is False
    assert _api_calls(emu, "PUT") == 2
    emu.inject_fault("users", kind, status=503)
    client.delete_user(user.id)
    assert _api_calls(emu, "DELETE") == 2


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run the async tests on asyncio and trio."""
    return str(request.param)


@pytest.mark.anyio
async def test_async_writes_and_retry_rules(emu: PingOneEmulator, fake_sleep: FakeSleep) -> None:
    """The async client has the same writes, errors and retry rules."""
    async with AsyncPingOneClient(
        auth=_auth(emu),
        transport=emu.transport(),
        rate_limiter=False,
        sleep=fake_sleep.asleep,
        clock=fake_sleep.clock,
    ) as client:
        group = await client.create_group(name="Async")
        emu.inject_fault("users", "rate_limit", retry_after=2)
        user = await client.create_user(username="async", email="a@example.com")
        assert _api_calls(emu, "POST") == 3  # group, the refused user, the retried user
        await client.add_user_to_group(user.id, group.id)
        members = [
            u.id async for u in client.iter_users(filter=f'memberOfGroups[id eq "{group.id}"]')
        ]
        assert members == [user.id]
        emu.inject_fault("users", "status", status=503)
        with pytest.raises(ManagementApiError) as info:
            await client.update_user(user.id, {"title": "x"})
        assert info.value.status_code == 503
        assert await client.set_user_enabled(user.id, False) is False
        await client.remove_user_from_group(user.id, group.id)
        await client.delete_user(user.id)
        await client.delete_group(group.id)
        assert [p.name async for p in client.iter_sign_on_policies()] == ["Single_Factor"]
        assert len([r async for r in client.iter_resources()]) == 2
        assert (await client.get_bill_of_materials()).products
        worker = emu.add_worker_app(name="async rotating")
        assert isinstance(await client.rotate_application_secret(worker.client_id), Secret)
        again = await client.create_group(name="Again")
        with pytest.raises(ManagementApiError) as dup:
            await client.create_group(name="again")
        assert dup.value.details[0]["innerError"]["existingId"] == again.id
