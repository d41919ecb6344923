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


def test_ready_async_client_fixture_on_asyncio_and_trio(ptr: pytest.Pytester) -> None:
    """`pingone_aclient` yields an open AsyncPingOneClient on both backends, closed afterwards."""
    ptr.makepyfile(
        """
import pytest
from httpx_pingone_worker import AsyncPingOneClient

CLIENTS = []

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param

@pytest.mark.anyio
async def test_ready_client(pingone_aclient, pingone_emulator, anyio_backend):
    assert isinstance(pingone_aclient, AsyncPingOneClient)
    group, created = await pingone_aclient.get_or_create_group("Async fixture")
    assert created
    assert (await pingone_aclient.find_group("async fixture")).id == group.id
    assert pingone_emulator.token_requests == 1
    CLIENTS.append(pingone_aclient)

def test_clients_were_closed():
    assert len(CLIENTS) == 2
    assert all(client.http.is_closed for client in CLIENTS)
"""
    )
    ptr.runpytest().assert_outcomes(passed=3)
