"""RedisTokenCache (async API, redis.asyncio) against a real redis-server."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from redis_support import KEY, RedisServer, bound_cache, make_token, subscribers

from canary import CANARY_SECRET, CANARY_TOKEN
from httpx_pingone_worker import RedisTokenCache, StorageError


def test_async_round_trip_with_url(redis_server: RedisServer) -> None:
    """aset/aget/adelete through the cache's own redis.asyncio client."""
    cache = bound_cache(redis_server.url)

    async def main() -> None:
        assert await cache.aget(KEY) is None
        await cache.aset(KEY, make_token())
        got = await cache.aget(KEY)
        assert got is not None
        assert got.access_token.get_secret_value() == CANARY_TOKEN
        await cache.adelete(KEY)
        assert await cache.aget(KEY) is None
        await cache.aclose()

    asyncio.run(main())
    # A second event loop gets a client of its own (the first one's is closed).
    asyncio.run(main())
    cache.close()


def test_async_and_sync_views_share_entries(redis_server: RedisServer) -> None:
    """A token stored from async code is read from sync code and vice versa."""
    cache = bound_cache(redis_server.url)

    async def store() -> None:
        await cache.aset(KEY, make_token())
        await cache.aclose()

    asyncio.run(store())
    assert cache.get(KEY) is not None
    cache.close()


def test_user_supplied_async_client(redis_server: RedisServer) -> None:
    """A redis.asyncio.Redis passed in serves the async methods and stays open."""
    import redis.asyncio

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_server.url)
        cache = RedisTokenCache(client, secret=CANARY_SECRET)
        await cache.aset(KEY, make_token())
        assert await cache.aget(KEY) is not None
        async with cache.afetch_lock(KEY):
            assert await client.exists(cache.lock_key(KEY)) == 1
        assert await client.exists(cache.lock_key(KEY)) == 0
        assert await client.ping()
        await client.aclose()

    asyncio.run(main())


def test_sync_client_only_runs_async_calls_in_threads(redis_server: RedisServer) -> None:
    """Built from a redis.Redis, the async methods still work (sync calls in a worker thread)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    cache = RedisTokenCache(client, secret=CANARY_SECRET)

    async def main() -> None:
        await cache.aset(KEY, make_token())
        assert await cache.aget(KEY) is not None
        async with cache.afetch_lock(KEY):
            assert client.exists(cache.lock_key(KEY)) == 1
        assert client.exists(cache.lock_key(KEY)) == 0
        await cache.adelete(KEY)
        assert await cache.aget(KEY) is None

    asyncio.run(main())
    client.close()


def test_async_lock_single_flight_between_tasks(redis_server: RedisServer) -> None:
    """20 tasks on separate caches: get → lock → re-get → fetch → set makes exactly one fetch."""
    caches = [bound_cache(redis_server.url) for _ in range(20)]
    fetches = 0

    async def worker(cache: RedisTokenCache) -> None:
        nonlocal fetches
        if await cache.aget(KEY) is not None:
            return
        async with cache.afetch_lock(KEY):
            if await cache.aget(KEY) is not None:
                return
            fetches += 1
            await asyncio.sleep(0.1)  # the token request
            await cache.aset(KEY, make_token())

    async def main() -> None:
        await asyncio.gather(*(worker(c) for c in caches))
        for c in caches:
            await c.aclose()

    asyncio.run(main())
    assert fetches == 1


def test_async_lock_wait_is_bounded(redis_server: RedisServer) -> None:
    """An async waiter gives up after lock_timeout with StorageError."""
    holder = bound_cache(redis_server.url, lock_ttl=30)
    waiter = bound_cache(redis_server.url, lock_timeout=0.3)

    async def main() -> None:
        async with holder.afetch_lock(KEY):
            start = time.monotonic()
            with pytest.raises(StorageError, match="fetch lock"):
                async with waiter.afetch_lock(KEY):
                    pass
            assert time.monotonic() - start < 5
        await holder.aclose()
        await waiter.aclose()

    asyncio.run(main())


def test_async_expired_lock_is_taken_over(redis_server: RedisServer) -> None:
    """An async waiter acquires a lock nobody releases once its TTL runs out."""
    client = redis_server.client()
    cache = bound_cache(redis_server.url, lock_timeout=5)
    client.set(cache.lock_key(KEY), b"dead-owner", px=400)

    async def main() -> None:
        async with cache.afetch_lock(KEY):
            assert client.get(cache.lock_key(KEY)) != b"dead-owner"
        await cache.aclose()

    asyncio.run(main())
    client.close()


def test_async_redis_stopped_degrades_then_recovers(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Async operations with Redis down are quiet misses; they share again after a restart."""
    server = own_redis_server
    cache = bound_cache(server.url, retry_interval=0.1, socket_timeout=0.3)

    async def down() -> None:
        for _ in range(2):
            assert await cache.aget(KEY) is None
            await cache.aset(KEY, make_token())
            await cache.adelete(KEY)
            async with cache.afetch_lock(KEY):
                pass
            await asyncio.sleep(0.15)
        await cache.aclose()

    async def up() -> None:
        await cache.aset(KEY, make_token())
        assert await cache.aget(KEY) is not None
        await cache.aclose()

    asyncio.run(up())
    server.stop()
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        asyncio.run(down())
    assert cache.degraded
    assert len([r for r in caplog.records if "⛔" in r.getMessage()]) == 1
    server.start()
    time.sleep(0.15)
    asyncio.run(up())
    assert not cache.degraded
    cache.close()


def test_async_waiter_proceeds_when_another_process_stores_the_token(
    redis_server: RedisServer,
) -> None:
    """An async waiter that hears 'stored' goes on without the lock and reads the new token."""
    holder = bound_cache(redis_server.url, lock_ttl=30)
    waiter = bound_cache(redis_server.url, poll_interval=10, lock_timeout=20)
    client = redis_server.client()

    async def wait_for_token() -> object:
        async with waiter.afetch_lock(KEY):
            return await waiter.aget(KEY)

    async def main() -> None:
        async with holder.afetch_lock(KEY):
            task = asyncio.create_task(wait_for_token())
            channel = holder.notify_channel(KEY)
            for _ in range(500):  # until the waiter listens (bounded: 5 s)
                if subscribers(client, channel) > 0:
                    break
                await asyncio.sleep(0.01)
            assert subscribers(client, channel) > 0
            assert not task.done()
            await holder.aset(KEY, make_token())
            got = await asyncio.wait_for(task, 5)
            assert got is not None
        await holder.aclose()
        await waiter.aclose()

    asyncio.run(main())
    client.close()


def test_trio_runs_the_sync_client_in_worker_threads(redis_server: RedisServer) -> None:
    """Under trio (no asyncio loop) the async methods and lock work through worker threads."""
    import trio

    cache = bound_cache(redis_server.url)
    client = redis_server.client()

    async def main() -> None:
        await cache.aset(KEY, make_token())
        got = await cache.aget(KEY)
        assert got is not None
        assert got.access_token.get_secret_value() == CANARY_TOKEN
        async with cache.afetch_lock(KEY):
            assert client.exists(cache.lock_key(KEY)) == 1
        assert client.exists(cache.lock_key(KEY)) == 0
        await cache.adelete(KEY)
        assert await cache.aget(KEY) is None

    trio.run(main)
    client.close()
    cache.close()
