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
"""
    )
    ptr.runpytest().assert_outcomes(passed=1)
