"""The suite runs on the plugin's ``pingone_client``; ``PROVISIONING_CLIENT=hand-made`` swaps
in a client built by hand on the same emulator (what ``benchmarks/bench_plugin.py`` compares)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from httpx_pingone_worker import PingOneClient, PingOneWorkerAuth, RateLimiter


@pytest.fixture
def client(request: pytest.FixtureRequest) -> PingOneClient:
    """The Management API client the tool under test gets."""
    name = "hand_made_client" if os.environ.get("PROVISIONING_CLIENT") == "hand-made" else None
    value: PingOneClient = request.getfixturevalue(name or "pingone_client")
    return value


@pytest.fixture
def hand_made_client(pingone_emulator: Any) -> Iterator[PingOneClient]:
    """A client as a user would build it by hand: the emulator's transport, its clock."""
    emu = pingone_emulator
    creds = emu.credentials
    clock = emu.clock

    def advance(seconds: float) -> None:
        clock.advance(seconds)

    auth = PingOneWorkerAuth(
        creds.client_id,
        creds.client_secret,
        creds.environment_id,
        region=creds.region,
        clock=clock.now,
        sleep=advance,
    )
    with PingOneClient(
        auth=auth,
        transport=emu.transport(),
        rate_limiter=RateLimiter(clock=clock.now, sleep=advance),
        clock=clock.now,
        sleep=advance,
    ) as made:
        yield made
    auth.close()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The async tests run on asyncio and trio."""
    return str(request.param)
