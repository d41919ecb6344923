"""A 401's compare-and-delete on a shared cache is atomic.

Worker A got a 401 for token T1 and deletes it from the shared cache only if the cache still
holds T1. Worker B stores a fresh T2 exactly between A's read and A's delete (a hook on A's
Redis ``GET``): the compare-and-delete must leave T2, so A uses it and nobody makes an extra
token request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from redis_support import TEST_SOCKET_TIMEOUT, RedisServer

import redis
from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import (
    EncryptedFileTokenCache,
    PingOneWorkerAuth,
    RedisTokenCache,
    Secret,
    Token,
)

TOKEN_URL = "https://auth.example.test/as/token"
API = "https://api.example.test/v1/thing"


class HookedRedis(redis.Redis):
    """A redis.Redis that runs ``hook`` once, right after the next GET returns."""

    hook: Callable[[], None] | None = None

    def get(self, name: Any) -> Any:
        value = super().get(name)
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return value


def _token(access: str) -> Token:
    import time

    return Token(
        access_token=Secret(access),
        token_type="Bearer",
        expires_in=3600,
        obtained_at=time.time(),
    )


class World:
    """The token endpoint (counting) and an API that refuses T1 with 401."""

    def __init__(self) -> None:
        self.token_requests = 0
        self.arm: Callable[[], None] = lambda: None

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests += 1
            return httpx.Response(
                200,
                json={
                    "access_token": "T3-from-endpoint",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        if request.headers["Authorization"] == "Bearer T1-revoked":
            self.arm()  # B will store T2 during A's compare-and-delete
            return httpx.Response(401)
        return httpx.Response(200, json={"used": request.headers["Authorization"]})


def _auth(cache: Any) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, token_endpoint=TOKEN_URL, cache=cache
    )


def _caches(redis_server: RedisServer) -> tuple[HookedRedis, RedisTokenCache, RedisTokenCache]:
    hooked = HookedRedis.from_url(redis_server.url, socket_timeout=TEST_SOCKET_TIMEOUT)
    a = RedisTokenCache(hooked, secret=CANARY_SECRET)
    b = RedisTokenCache(redis_server.url, secret=CANARY_SECRET, socket_timeout=TEST_SOCKET_TIMEOUT)
    return hooked, a, b


def test_401_compare_and_delete_keeps_the_token_another_worker_just_stored(
    redis_server: RedisServer,
) -> None:
    """Sync: B's fresh T2 survives A's 401 handling; A uses T2; no token request at all
    (the old get-then-delete deleted T2 and made A fetch T3)."""
    hooked, cache_a, cache_b = _caches(redis_server)
    auth_a = _auth(cache_a)
    key = auth_a.cache_key
    cache_b.set(key, _token("T1-revoked"))
    world = World()

    def arm() -> None:
        hooked.hook = lambda: cache_b.set(key, _token("T2-fresh"))

    world.arm = arm
    with httpx.Client(auth=auth_a, transport=httpx.MockTransport(world.handler)) as client:
        response = client.get(API)
    assert response.json() == {"used": "Bearer T2-fresh"}
    assert world.token_requests == 0
    stored = cache_b.get(key)
    assert stored is not None
    assert stored.access_token.get_secret_value() == "T2-fresh"
    hooked.close()
    cache_b.close()


def test_401_compare_and_delete_still_deletes_the_refused_token(
    redis_server: RedisServer,
) -> None:
    """Control: with nobody racing, the refused T1 is deleted and A fetches a new token."""
    hooked, cache_a, cache_b = _caches(redis_server)
    auth_a = _auth(cache_a)
    key = auth_a.cache_key
    cache_b.set(key, _token("T1-revoked"))
    world = World()
    with httpx.Client(auth=auth_a, transport=httpx.MockTransport(world.handler)) as client:
        response = client.get(API)
    assert response.json() == {"used": "Bearer T3-from-endpoint"}
    assert world.token_requests == 1
    stored = cache_b.get(key)
    assert stored is not None
    assert stored.access_token.get_secret_value() == "T3-from-endpoint"
    hooked.close()
    cache_b.close()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_401_compare_and_delete_is_atomic(redis_server: RedisServer, backend: str) -> None:
    """Async twin (redis.asyncio on asyncio, the sync client in a thread on trio)."""
    import redis.asyncio

    class HookedAsyncRedis(redis.asyncio.Redis):
        hook: Callable[[], None] | None = None

        async def get(self, name: Any) -> Any:  # type: ignore[override]
            value = await super().get(name)
            hook, self.hook = self.hook, None
            if hook is not None:
                hook()
            return value

    hooked, _, cache_b = _caches(redis_server)
    world = World()

    async def main() -> None:
        ahooked = (
            HookedAsyncRedis.from_url(redis_server.url, socket_timeout=5)
            if backend == "asyncio"
            else None
        )
        cache_a = RedisTokenCache(hooked, async_client=ahooked, secret=CANARY_SECRET)
        auth_a = _auth(cache_a)
        key = auth_a.cache_key
        cache_b.set(key, _token("T1-revoked"))

        def arm() -> None:
            store = lambda: cache_b.set(key, _token("T2-fresh"))  # noqa: E731
            hooked.hook = store
            if ahooked is not None:
                ahooked.hook = store

        world.arm = arm
        async with httpx.AsyncClient(
            auth=auth_a, transport=httpx.MockTransport(world.handler)
        ) as client:
            response = await client.get(API)
        assert response.json() == {"used": "Bearer T2-fresh"}
        if ahooked is not None:
            await ahooked.aclose()

    anyio.run(main, backend=backend)
    assert world.token_requests == 0
    hooked.close()
    cache_b.close()


def test_file_cache_compare_and_delete_runs_under_its_lock(tmp_path: Path) -> None:
    """The file cache compares and deletes under its fetch lock, which every engine write
    holds: a write racing the compare-and-delete waits for it, so it is never lost."""
    import threading

    cache = EncryptedFileTokenCache(tmp_path, key=b"k" * 32, lock_timeout=5)
    key = "pingone:" + "ab" * 16
    cache.set(key, _token("T1-revoked"))
    in_lock = threading.Event()
    real_get = cache.get

    def slow_get(k: str) -> Token | None:
        value = real_get(k)
        in_lock.set()  # the compare is done; a writer now must wait for the lock
        return value

    cache.get = slow_get  # type: ignore[method-assign]
    writer_done = threading.Event()

    def writer() -> None:
        in_lock.wait(10)
        with cache.fetch_lock(key):  # as the engine writes a fetched token
            cache.set(key, _token("T2-fresh"))
        writer_done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert cache.delete_if(key, _token("T1-revoked")) is True
    thread.join(10)
    assert writer_done.is_set()
    stored = real_get(key)
    assert stored is not None
    assert stored.access_token.get_secret_value() == "T2-fresh"
    assert cache.delete_if(key, _token("T1-revoked")) is False  # holds T2: left alone
