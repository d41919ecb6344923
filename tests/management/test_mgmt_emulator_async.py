"""AsyncPingOneClient, adiscover_worker_app and atest_api_access against the emulator."""

from __future__ import annotations

import random

import pytest
from mgmt_support import FakeSleep

from httpx_pingone_worker import (
    AsyncPingOneClient,
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
