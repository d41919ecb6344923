"""The async Management API client fixture, used from an anyio test."""

from __future__ import annotations

import pytest


def test_async_client_factory_in_an_anyio_test(ptr: pytest.Pytester) -> None:
    """`async with pingone_async_client() as client` reaches the emulator from async code."""
    ptr.makepyfile(
        """
import pytest
from httpx_pingone_worker import AsyncPingOneClient
from pytest_pingone import AsyncClientFactory

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_env(pingone_async_client: AsyncClientFactory, pingone_emulator):
    async with pingone_async_client() as client:
        assert isinstance(client, AsyncPingOneClient)
        env = await client.get_environment()
    assert env.id == pingone_emulator.environment_id
    assert pingone_emulator.token_requests == 1


@pytest.mark.anyio
@pytest.mark.pingone(faults={"endpoint": "api", "kind": "rate_limit", "retry_after": 7})
async def test_retry_after_waits_on_the_emulator_clock(pingone_async_client, pingone_emulator):
    before = pingone_emulator.clock.now()
    async with pingone_async_client() as client:
        await client.get_environment()
    assert pingone_emulator.clock.now() - before >= 7  # no real 7 s sleep happened
"""
    )
    ptr.runpytest().assert_outcomes(passed=2)
