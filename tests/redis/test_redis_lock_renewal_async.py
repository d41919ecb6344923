"""Fetch-lock renewal for ``afetch_lock`` on asyncio (redis.asyncio task) against a real
redis-server."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from redis_support import KEY, RedisServer, bound_cache, eval_calls, renewal_threads

from canary import assert_no_canary

TTL = 1.2  # seconds; renewed every TTL/3 (0.4 s: a loaded CI machine can stall a thread that long)
HOLD = 3.3 * TTL  # the holder works more than three lock TTLs


async def wait_until_async(condition: object, timeout: float = 5.0) -> bool:
    """Poll ``condition()`` every 10 ms without blocking the loop, up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def test_async_holder_keeps_the_lock_three_ttls_and_the_waiter_waits(
    redis_server: RedisServer,
) -> None:
    """An asyncio holder working 3x lock_ttl still owns the lock; a waiter task on another
    cache gets in only after release, and no renewal runs afterwards."""
    holder = bound_cache(redis_server.url, lock_ttl=TTL)
    waiter = bound_cache(redis_server.url, lock_ttl=TTL, poll_interval=0.05, lock_timeout=10)
    client = redis_server.client()
    lock = holder.lock_key(KEY)
    entries: list[str] = []
    inside = [0, 0]  # now, most

    def enter(who: str) -> None:
        entries.append(who)
        inside[0] += 1
        inside[1] = max(inside)

    async def wait_for_lock() -> None:
        async with waiter.afetch_lock(KEY):
            enter("waiter")
            inside[0] -= 1

    async def main() -> None:
        before = eval_calls(client)
        async with holder.afetch_lock(KEY):
            enter("holder")
            owner = client.get(lock)
            assert owner is not None
            task = asyncio.create_task(wait_for_lock())
            end = time.monotonic() + HOLD
            seen = []
            while time.monotonic() < end and len(entries) == 1:
                seen.append(client.get(lock))
                assert 0 < client.pttl(lock) <= TTL * 1000
                await asyncio.sleep(0.05)
            assert seen
            assert all(value == owner for value in seen)
            inside[0] -= 1
        await asyncio.wait_for(task, 10)
        assert eval_calls(client) - before >= 3  # renewals, plus two releases
        assert client.exists(lock) == 0
        settled = eval_calls(client)
        await asyncio.sleep(TTL)  # three renewal periods: a task still running would call EVAL
        assert eval_calls(client) == settled
        assert renewal_threads() == []  # asyncio renews in a task, not a thread
        await holder.aclose()
        await waiter.aclose()

    asyncio.run(main())
    assert entries == ["holder", "waiter"]
    assert inside[1] == 1
    client.close()


@pytest.mark.parametrize("underneath", ["deleted", "taken over"])
def test_async_renewal_notices_a_lost_lock_and_stops(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, underneath: str
) -> None:
    """A lock deleted or retaken under an asyncio holder: one warning, the key is neither
    recreated nor extended, and neither renewal nor release raises."""
    cache = bound_cache(redis_server.url, lock_ttl=TTL)
    client = redis_server.client()
    lock = cache.lock_key(KEY)

    def lost() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "lock lost" in r.getMessage()]

    async def main() -> None:
        async with cache.afetch_lock(KEY):
            if underneath == "deleted":
                client.delete(lock)
            else:
                client.set(lock, b"another-owner", px=60_000)
            assert await wait_until_async(lambda: bool(lost())), "renewal did not notice"
            calls = eval_calls(client)
            await asyncio.sleep(TTL)  # three renewal periods: no further attempts
            assert eval_calls(client) == calls
            if underneath == "deleted":
                assert client.exists(lock) == 0
            else:
                assert client.pttl(lock) > TTL * 1000
        await cache.aclose()

    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"):
        asyncio.run(main())
    assert len(lost()) == 1
    assert lost()[0].levelno == logging.WARNING
    if underneath == "taken over":
        assert client.get(lock) == b"another-owner"
    assert_no_canary("\n".join(r.getMessage() for r in caplog.records))
    client.close()
