"""A fetch-lock release that fails leaves no lock behind once Redis answers again.

In a Sentinel failover the holder's release goes to the dead master while the promoted
replica may already hold the lock (replicated before the master died); a reset connection
does the same on a single Redis. Before, that lock stayed for ``lock_ttl`` and the fleet's
callers without a valid token waited for it. The release's failure now starts the same
background compare-and-delete as a failed lock attempt. Here the client's first release
fails with a ConnectionError before reaching Redis (the lock really stays), sync and async.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio
from redis_support import KEY, RedisServer, credentials, wait_until

import redis
from httpx_pingone_worker import RedisTokenCache

LOCK_TTL = 60.0  # far longer than the bound below: a left-over lock would outlive it
GONE_WITHIN = 10.0


def _is_release(args: tuple[Any, ...]) -> bool:
    return bool(args) and "redis.call('del'" in str(args[0]) and "ARGV[3]" in str(args[0])


class ReleaseFailsOnce(redis.Redis):
    """A redis.Redis whose first lock release is lost on the way (never reaches Redis)."""

    failed = 0

    def eval(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if _is_release(args) and not self.failed:
            type(self).failed += 1
            raise redis.ConnectionError("connection reset (test)")
        return super().eval(*args, **kwargs)


class AsyncReleaseFailsOnce(redis.asyncio.Redis):
    """The redis.asyncio twin of :class:`ReleaseFailsOnce`."""

    failed = 0

    async def eval(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if _is_release(args) and not self.failed:
            type(self).failed += 1
            raise redis.ConnectionError("connection reset (test)")
        return await super().eval(*args, **kwargs)


def test_a_failed_release_sweeps_its_lock(redis_server: RedisServer) -> None:
    client = ReleaseFailsOnce(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
    cache = RedisTokenCache(client, lock_ttl=LOCK_TTL, retry_interval=0.0)
    cache.bind(credentials())
    probe = redis_server.client()
    try:
        with cache.fetch_lock(KEY):
            assert probe.exists(cache.lock_key(KEY)) == 1
        assert ReleaseFailsOnce.failed == 1  # the release really failed
        assert wait_until(lambda: probe.exists(cache.lock_key(KEY)) == 0, GONE_WITHIN)
    finally:
        probe.close()
        client.close()


def test_a_failed_async_release_sweeps_its_lock(redis_server: RedisServer) -> None:
    probe = redis_server.client()

    async def main() -> None:
        client = AsyncReleaseFailsOnce(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
        cache = RedisTokenCache(client, lock_ttl=LOCK_TTL, retry_interval=0.0)
        cache.bind(credentials())
        async with cache.afetch_lock(KEY):
            assert probe.exists(cache.lock_key(KEY)) == 1
        assert AsyncReleaseFailsOnce.failed == 1
        deadline = asyncio.get_running_loop().time() + GONE_WITHIN
        while await client.exists(cache.lock_key(KEY)):  # the sweep runs on this loop
            assert asyncio.get_running_loop().time() < deadline, "the lock was not swept"
            await asyncio.sleep(0.02)
        await client.aclose()

    try:
        asyncio.run(main())
    finally:
        probe.close()


def test_locks_released_before_an_outage_are_swept_when_redis_returns(
    own_redis_server: RedisServer,
) -> None:
    """A copy of a released lock (as a promoted replica of a managed Redis would hold it)
    found after an outage is compare-and-deleted once the cache reaches Redis again."""
    cache = RedisTokenCache(own_redis_server.url, lock_ttl=LOCK_TTL, retry_interval=0.0)
    cache.bind(credentials())
    probe = own_redis_server.client()
    with cache.fetch_lock(KEY):
        owner = probe.get(cache.lock_key(KEY))
    probe.close()
    assert owner is not None
    own_redis_server.stop()
    assert cache.get(KEY) is None
    assert cache.degraded
    own_redis_server.start()
    probe = own_redis_server.client()
    try:
        probe.set(cache.lock_key(KEY), owner, px=int(LOCK_TTL * 1000))  # the replicated copy
        assert cache.get(KEY) is None  # Redis answers: sharing resumes, the sweep starts
        assert not cache.degraded
        assert wait_until(lambda: probe.exists(cache.lock_key(KEY)) == 0, GONE_WITHIN)
    finally:
        probe.close()
        cache.close()
