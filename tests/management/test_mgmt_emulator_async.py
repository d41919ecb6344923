"""AsyncPingOneClient, adiscover_worker_app and atest_api_access against the emulator."""

from __future__ import annotations

import random

import pytest
from mgmt_support import FakeSleep

from httpx_pingone_worker import (
    AsyncPingOneClient,
    ConfigurationError,
    PingOneWorkerAuth,
    adiscover_worker_app,
    atest_api_access,
)
from httpx_pingone_worker.emulator import PingOneEmulator

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run on asyncio and trio."""
    return str(request.param)


def make(
    emu: PingOneEmulator, fake_sleep: FakeSleep, roles: tuple[str, ...]
) -> tuple[AsyncPingOneClient, str]:
    """An async client for a new worker app with ``roles``; returns it and the client id."""
    creds = emu.add_worker_app(name="async-worker", roles=roles)
    auth = PingOneWorkerAuth(
        creds.client_id, creds.client_secret, creds.environment_id, region=emu.region
    )
    client = AsyncPingOneClient(
        auth=auth,
        environment_id=creds.environment_id,
        transport=emu.transport(),
        rate_limiter=False,
        sleep=fake_sleep.asleep,
        clock=fake_sleep.clock,
        rng=random.Random(0),
    )
    return client, creds.client_id


async def test_async_paging_discovery_and_probes(fake_sleep: FakeSleep) -> None:
    """Async paging sees every user once; discovery names the roles; probes mix outcomes."""
    emu = PingOneEmulator(seed=9, users=120)
    client, client_id = make(emu, fake_sleep, ("Identity Data Admin", "Configuration Read Only"))
    async with client:
        ids = [u["id"] async for u in client.paginate("/environments/{env}/users", {"limit": 50})]
        app = await adiscover_worker_app(client, client_id)
        report = await atest_api_access(
            client, ["users", "applications", "/environments/{env}/populations"]
        )
    assert len(ids) == len(set(ids)) == 120
    assert sorted(app.role_names) == ["Configuration Read Only", "Identity Data Admin"]
    assert report.allowed == ("users", "applications", "/environments/{env}/populations")


async def test_async_forbidden_probe(fake_sleep: FakeSleep) -> None:
    """A Client Application Developer worker is forbidden from users."""
    emu = PingOneEmulator(seed=10, users=5)
    client, _ = make(emu, fake_sleep, ("Client Application Developer",))
    async with client:
        report = await atest_api_access(client, ["users", "applications"])
    assert report.forbidden == ("users",)
    assert report["users"].status_code == 403


async def test_async_typed_users_groups_populations(fake_sleep: FakeSleep) -> None:
    """get_user, iter_users (filter, paging), iter_groups, iter_populations give typed items."""
    emu = PingOneEmulator(seed=9, users=12)
    added = emu.add_group(name="Auditors", description="read-only reviewers")
    extra = emu.add_user(username="zz.typed", email="zz.typed@example.com", enabled=False)
    client, _ = make(emu, fake_sleep, ("Identity Data Read Only",))
    async with client:
        users = [u async for u in client.iter_users(limit=5)]
        assert len(users) == 13
        assert len({u.id for u in users}) == 13
        user_pages = [r for r in emu.requests if r.path.endswith("/users")]
        assert len(user_pages) == 3  # 5 + 5 + 3: paged lazily, not one big read
        found = [u async for u in client.iter_users(filter='username eq "zz.typed"')]
        assert [(u.id, u.email, u.enabled) for u in found] == [
            (extra["id"], "zz.typed@example.com", False)
        ]
        one = await client.get_user(extra["id"])
        assert (one.username, one.population_id) == ("zz.typed", extra["population"]["id"])
        assert one.raw["id"] == extra["id"]
        groups = {g.name: g async for g in client.iter_groups()}
        assert groups["Auditors"].id == added["id"]
        assert groups["Auditors"].description == "read-only reviewers"
        populations = [p async for p in client.iter_populations()]
        assert one.population_id in {p.id for p in populations}
        assert all(p.name for p in populations)


async def test_async_iterators_are_lazy_and_need_an_environment(fake_sleep: FakeSleep) -> None:
    """Creating an async iterator sends nothing; without any environment id it fails on use."""
    emu = PingOneEmulator(seed=11, users=3)
    client, _ = make(emu, fake_sleep, ("Identity Data Read Only",))
    async with client:
        before = len(emu.requests)
        users = client.iter_users()
        assert len(emu.requests) == before
        first = await users.__anext__()
        assert first.id
        await users.aclose()
    bare = AsyncPingOneClient(
        token=emu.issue_token(),
        region=emu.region,
        transport=emu.transport(),
        rate_limiter=False,
    )
    assert bare.environment_id is None
    async with bare:
        groups = bare.iter_groups()
        with pytest.raises(ConfigurationError, match="no environment id"):
            await groups.__anext__()
