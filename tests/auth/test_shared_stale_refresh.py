"""A stale token found in a shared cache is refreshed by exactly one process, in its caller.

In-process stand-ins for other processes: a cache of the user's own whose ``try_fetch_lock``
says whether this process leads. The spawned-process proofs (file cache, redis-server) are in
``tests/redis/test_fleet_stale_refresh.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from auth_support import FakeClock, Lib, TokenServer
from test_auth_sync import make_auth

from httpx_pingone_worker import MemoryTokenCache, Secret, Token

LIFETIME = 3600


def stale_token(clock: FakeClock) -> Token:
    """A token 85% through its lifetime (past refresh_ratio 0.8, still valid)."""
    return Token(
        access_token=Secret("shared-stale-token-abcdef"),
        token_type="Bearer",
        expires_in=LIFETIME,
        obtained_at=clock.now - 0.85 * LIFETIME,
        scopes=frozenset(),
        requested_scopes=frozenset(),
        scope_returned=False,
    )


class SharedCache(MemoryTokenCache):
    """A shared cache of the user's own: ``fetch_lock`` and ``try_fetch_lock`` (sync and
    async); ``others_refreshing`` makes the try fail as if another process held the lock."""

    def __init__(self, *, others_refreshing: bool = False, trying: bool = True) -> None:
        super().__init__()
        self.others_refreshing = others_refreshing
        self.tries = 0
        self.waits = 0
        self._fetch = threading.Lock()
        if not trying:  # a cache with only fetch_lock
            self.try_fetch_lock = None  # type: ignore[assignment]
            self.atry_fetch_lock = None  # type: ignore[assignment]

    @contextlib.contextmanager
    def fetch_lock(self, key: str) -> Iterator[None]:
        self.waits += 1
        with self._fetch:
            yield

    @contextlib.asynccontextmanager
    async def afetch_lock(self, key: str) -> AsyncIterator[None]:
        self.waits += 1
        yield

    @contextlib.contextmanager
    def try_fetch_lock(self, key: str) -> Iterator[bool]:
        self.tries += 1
        yield not self.others_refreshing

    @contextlib.asynccontextmanager
    async def atry_fetch_lock(self, key: str) -> AsyncIterator[bool]:
        self.tries += 1
        yield not self.others_refreshing


def _seeded(lib: Lib, clock: FakeClock, server: TokenServer, cache: SharedCache) -> Any:
    auth = make_auth(lib, clock, cache=cache, http_client=lib.Client(transport=server.transport()))
    cache.set(auth.cache_key, stale_token(clock))
    return auth


def test_the_leader_refreshes_in_the_caller_and_stores_before_returning(
    lib: Lib, clock: FakeClock, server: TokenServer
) -> None:
    cache = SharedCache()
    auth = _seeded(lib, clock, server, cache)
    token = auth.get_token()
    # One refresh request, made by this call (not a background thread): the new token is
    # returned and already in the shared cache when get_token() returns.
    assert len(server.token_requests) == 1
    assert token.access_token.get_secret_value() == server.issued[0]
    stored = cache.get(auth.cache_key)
    assert stored is not None
    assert stored.access_token == token.access_token
    assert auth._jobs.running() == []
    assert (cache.tries, cache.waits) == (1, 0)  # tried once, never waited


def test_another_process_refreshing_means_use_the_valid_token_at_once(
    lib: Lib, clock: FakeClock, server: TokenServer
) -> None:
    cache = SharedCache(others_refreshing=True)
    auth = _seeded(lib, clock, server, cache)
    token = auth.get_token()
    assert token.access_token.get_secret_value() == "shared-stale-token-abcdef"
    assert server.token_requests == []
    assert (cache.tries, cache.waits) == (1, 0)
    # The other process stores its new token; once the short deferral is over this
    # process's background refresh reads it from the cache without a token request.
    fresh = Token(
        access_token=Secret("refreshed-by-another-process"),
        token_type="Bearer",
        expires_in=LIFETIME,
        obtained_at=clock.now,
        scopes=frozenset(),
        requested_scopes=frozenset(),
        scope_returned=False,
    )
    cache.set(auth.cache_key, fresh)
    cache.others_refreshing = False
    clock.advance(1.0)
    assert auth.get_token().access_token.get_secret_value() == "shared-stale-token-abcdef"
    assert auth.wait_for_refresh(10)
    assert auth.get_token().access_token == fresh.access_token
    assert server.token_requests == []


def test_a_dead_token_endpoint_costs_one_attempt_and_keeps_the_valid_token(
    lib: Lib, clock: FakeClock, server: TokenServer
) -> None:
    server.script.extend([lib.ConnectError("connection refused")] * 5)
    cache = SharedCache()
    auth = _seeded(lib, clock, server, cache)
    token = auth.get_token()
    assert token.access_token.get_secret_value() == "shared-stale-token-abcdef"
    assert len(server.token_requests) == 1  # one attempt, no retries: nobody hangs
    assert auth.get_token().access_token == token.access_token  # backing off: no request
    assert len(server.token_requests) == 1
    assert auth._jobs.running() == []


def test_a_cache_with_only_fetch_lock_waits_for_it(
    lib: Lib, clock: FakeClock, server: TokenServer
) -> None:
    cache = SharedCache(trying=False)
    auth = _seeded(lib, clock, server, cache)
    token = auth.get_token()
    assert token.access_token.get_secret_value() == server.issued[0]
    assert (cache.tries, cache.waits) == (0, 1)


def test_a_fresh_token_in_the_shared_cache_takes_no_lock(
    lib: Lib, clock: FakeClock, server: TokenServer
) -> None:
    cache = SharedCache()
    auth = _seeded(lib, clock, server, cache)
    clock.advance(-0.5 * LIFETIME)  # now only 35% through its lifetime
    auth.get_token()
    assert server.token_requests == []
    assert (cache.tries, cache.waits) == (0, 0)


@pytest.mark.parametrize("others_refreshing", [False, True])
def test_async_same_rules(
    lib: Lib, clock: FakeClock, server: TokenServer, others_refreshing: bool
) -> None:
    cache = SharedCache(others_refreshing=others_refreshing)

    async def main() -> tuple[Token, Any]:
        auth = make_auth(
            lib,
            clock,
            cache=cache,
            async_http_client=lib.AsyncClient(transport=server.atransport()),
        )
        cache.set(auth.cache_key, stale_token(clock))
        return await auth.aget_token(), auth

    token, auth = asyncio.run(main())
    assert (cache.tries, cache.waits) == (1, 0)
    if others_refreshing:
        assert server.token_requests == []
        assert token.access_token.get_secret_value() == "shared-stale-token-abcdef"
    else:
        assert len(server.token_requests) == 1
        stored = cache.get(auth.cache_key)
        assert stored is not None
        assert stored.access_token == token.access_token
        assert token.access_token.get_secret_value() == server.issued[0]
