"""Async side of store-backed auth: rotation through the store and the file cache shared."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from storage_helpers import NEW_SECRET, OLD_SECRET, RotatingServer, store

from canary import CANARY_CLIENT_ID
from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth
from httpx_pingone_worker.credentials._crypto import generate_key

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every test on asyncio and on trio."""
    return str(request.param)


async def test_async_from_store_picks_up_a_rotated_secret(store_dir: Path) -> None:
    """aget_token recovers from invalid_client with the secret re-read from the store."""
    server = RotatingServer(OLD_SECRET)
    store(store_dir, OLD_SECRET)
    async with httpx.AsyncClient(transport=server.transport) as client:
        auth = PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID, directory=str(store_dir), async_http_client=client
        )
        assert (await auth.aget_token()).access_token.get_secret_value() == "tok-1"
        server.secret = NEW_SECRET
        store(store_dir, NEW_SECRET)
        await auth.ainvalidate()
        token = await auth.aget_token()
    assert token.access_token.get_secret_value() == "tok-3"
    assert server.requests == 3


async def test_second_auth_reads_the_token_from_the_file_cache(
    store_dir: Path, cache_dir: Path
) -> None:
    """A second auth (another "process") on the same file cache makes no token request."""
    server = RotatingServer(OLD_SECRET)
    store(store_dir, OLD_SECRET)
    key = generate_key()
    async with httpx.AsyncClient(transport=server.transport) as client:
        tokens = []
        for _ in range(2):
            auth = PingOneWorkerAuth.from_store(
                CANARY_CLIENT_ID,
                directory=str(store_dir),
                async_http_client=client,
                cache=EncryptedFileTokenCache(cache_dir, key=key),
            )
            tokens.append((await auth.aget_token()).access_token.get_secret_value())
    assert tokens == ["tok-1", "tok-1"]
    assert server.requests == 1
