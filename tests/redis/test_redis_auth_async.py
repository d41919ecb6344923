"""PingOneWorkerAuth (async path) with RedisTokenCache on one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis_support import RedisServer, TokenServer, make_auth


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A counting token endpoint that answers after 0.2s."""
    with TokenServer(delay=0.2) as server:
        yield server


def test_async_auths_share_one_token(redis_server: RedisServer, token_server: TokenServer) -> None:
    """Four async auths with their own caches on one Redis make one token request."""
    auths = [make_auth(redis_server.url, token_server.url) for _ in range(4)]

    async def main() -> None:
        tokens = await asyncio.gather(*(a.aget_token() for a in auths))
        assert len({t.access_token.get_secret_value() for t in tokens}) == 1
        for a in auths:
            await a.cache.aclose()  # type: ignore[attr-defined]

    asyncio.run(main())
    assert token_server.requests == 1
