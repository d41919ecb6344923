"""RedisTokenCache under cancellation and across event loops.

No lock, thread or connection outlives a cancelled caller; a redis.asyncio client used on a
second event loop degrades the cache instead of failing the request. Every wait is on a
real condition (lock held, waiter subscribed, thread gone); hard timeouts only bound a
broken run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis_support import (
    KEY,
    RedisServer,
    TokenServer,
    bound_cache,
    make_token,
    subscribers,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache
from httpx_pingone_worker.caches._redis_support import _close_dead_loop_client


def _until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait (bounded) until ``condition()`` holds; checks a real state, never sleeps blind."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.005)


@contextmanager
def _held_by_other_process(redis_server: RedisServer) -> Iterator[RedisTokenCache]:
    """Another "process" holds the fetch lock for the whole block."""
    holder = bound_cache(redis_server.url, lock_ttl=60)
    with holder.fetch_lock(KEY):
        yield holder
    holder.close()


def _acquire_threads() -> list[threading.Thread]:
    """Worker threads of this process still inside the cache's blocking lock acquire."""
    import sys

    found = []
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        while frame is not None:
            if frame.f_code.co_name == "acquire" and "_redis_lock" in frame.f_code.co_filename:
                found.append(thread)
                break
            frame = frame.f_back
    return found


def _record_acquire(cache: RedisTokenCache) -> list[tuple[str, bool]]:
    """Record what ``cache``'s blocking acquire returned, and with which owner token: a claim
    about THIS cache's lock is checked by owner (a lock key's mere existence could be anyone's,
    and on a loaded machine the holder's own release may be slow)."""
    outcomes: list[tuple[str, bool]] = []
    real_acquire = cache._lock.acquire

    def recording_acquire(key: str, owner: str, gone: Any = None) -> bool:
        held = bool(real_acquire(key, owner, gone))
        outcomes.append((owner, held))
        return held

    cache._lock.acquire = recording_acquire  # type: ignore[method-assign]
    return outcomes


def _assert_took_no_lock(
    client: Any, cache: RedisTokenCache, outcomes: list[tuple[str, bool]]
) -> None:
    """The abandoned acquire left no lock of its own behind. It usually returns False (it saw
    its caller gone); on a loaded machine it can pass that check, stall, and take the lock
    the holder has just released: then it must release it at once (it is never renewed, so
    left alone it would block the fleet for lock_ttl: 120 s here; this waits 20 s)."""
    _until(lambda: bool(outcomes), "the abandoned acquire returned")
    [(owner, _held)] = outcomes
    lock = cache.lock_key(KEY)
    _until(lambda: client.get(lock) != owner.encode(), "the abandoned lock was released", 20)


# --- 7: a cancelled trio holder releases the lock ------------------------------------------


def test_trio_holder_cancelled_releases_the_lock_at_once(redis_server: RedisServer) -> None:
    """A trio task cancelled while it holds the fetch lock releases it on the way out (the
    release used to run inside the cancelled scope and be skipped: others waited lock_ttl)."""
    import trio

    cache = bound_cache(redis_server.url, lock_ttl=60)
    client = redis_server.client()
    lock = cache.lock_key(KEY)

    async def main() -> None:
        entered = trio.Event()

        async def leader() -> None:
            async with cache.afetch_lock(KEY):
                entered.set()
                await trio.sleep_forever()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await entered.wait()
            assert client.exists(lock) == 1
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert client.exists(lock) == 0
    client.close()
    cache.close()


def test_asyncio_holder_cancelled_twice_still_releases(redis_server: RedisServer) -> None:
    """asyncio: a holder cancelled again while releasing (anyio cancel scopes re-cancel)
    still releases the lock: the release runs shielded in a task of its own."""
    import redis.asyncio

    client = redis_server.client()

    async def main() -> None:
        aclient = redis.asyncio.Redis.from_url(redis_server.url, socket_timeout=5)
        cache = RedisTokenCache(aclient, secret=CANARY_SECRET)
        lock = cache.lock_key(KEY)
        entered = asyncio.Event()

        async def leader() -> None:
            async with cache.afetch_lock(KEY):
                entered.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(leader())
        await entered.wait()
        task.cancel()
        await asyncio.sleep(0)  # let the task start its finally
        task.cancel()  # cancelled again mid-release
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.gather(*cache._alock.background)  # the shielded release, if still running
        assert await aclient.exists(lock) == 0
        await aclient.aclose()

    asyncio.run(main())
    client.close()


# --- 8 and 9: a cancelled waiter returns at once and takes no lock for nobody -------------


def test_trio_waiter_cancelled_returns_at_once_and_takes_no_lock(
    redis_server: RedisServer,
) -> None:
    """A trio task waiting for the lock returns as soon as it is cancelled (it used to return
    only when the blocking acquire in its worker thread ended, up to lock_timeout), and the
    abandoned thread stops without taking the lock once the holder releases it."""
    import trio

    client = redis_server.client()
    # poll_interval 30 s: the thread's wait only ends on a message, so "returned at once"
    # cannot be a timeout of that wait.
    waiter = bound_cache(redis_server.url, lock_timeout=120, lock_ttl=120, poll_interval=30)
    channel = waiter.notify_channel(KEY)
    done = threading.Event()
    outcomes = _record_acquire(waiter)

    with _held_by_other_process(redis_server):

        async def main() -> None:
            async def wait_for_lock() -> None:
                try:
                    async with waiter.afetch_lock(KEY):
                        pytest.fail("the cancelled waiter got the lock")
                finally:
                    done.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(wait_for_lock)
                await trio.to_thread.run_sync(
                    lambda: _until(lambda: subscribers(client, channel) > 0, "waiter subscribed")
                )
                nursery.cancel_scope.cancel()

        runner = threading.Thread(target=trio.run, args=(main,), daemon=True)
        runner.start()
        runner.join(60)  # the fixed waiter returns at once; the old one waited 120 s
        assert done.is_set(), "the cancelled trio waiter did not return"
        assert not runner.is_alive()
        # The abandoned acquire thread may still be waiting here or may already have seen its
        # caller gone (on a loaded machine either happens first): both are fine, what matters is
        # that the caller returned at once and that the thread never takes the lock.
    # The holder released: the abandoned thread wakes, sees its caller gone and stops.
    _until(lambda: not _acquire_threads(), "the abandoned acquire thread ended")
    _assert_took_no_lock(client, waiter, outcomes)
    client.close()
    waiter.close()


def test_asyncio_waiter_cancelled_leaves_no_orphaned_lock(redis_server: RedisServer) -> None:
    """asyncio with a sync client (acquire in a worker thread): a waiter cancelled by its
    timeout leaves a thread behind that used to take the lock for nobody once the holder
    released it (never renewed, never released). Now the thread stops without taking it."""
    import redis

    client = redis_server.client()
    sync = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    waiter = RedisTokenCache(
        sync, secret=CANARY_SECRET, lock_timeout=120, lock_ttl=120, poll_interval=30
    )
    channel = waiter.notify_channel(KEY)
    outcomes = _record_acquire(waiter)

    holder = _held_by_other_process(redis_server)
    holder.__enter__()

    async def main() -> None:
        async def wait_for_lock() -> None:
            async with waiter.afetch_lock(KEY):
                pytest.fail("the cancelled waiter got the lock")

        task = asyncio.create_task(wait_for_lock())
        await asyncio.to_thread(
            _until, lambda: subscribers(client, channel) > 0, "waiter subscribed"
        )
        task.cancel()  # what asyncio.wait_for / asyncio.timeout do on expiry
        with pytest.raises(asyncio.CancelledError):
            await task
        # The abandoned acquire is usually still waiting here (on a loaded machine it may
        # already have seen its caller gone): either way it must not take the lock later.
        holder.__exit__(None, None, None)  # the other process releases the lock
        # (asyncio.run() would also wait for the thread, in shutdown_default_executor)
        await asyncio.to_thread(
            _until, lambda: not _acquire_threads(), "the abandoned acquire thread ended"
        )

    asyncio.run(main())
    _assert_took_no_lock(client, waiter, outcomes)
    client.close()
    sync.close()


# --- 10: a redis.asyncio client across two asyncio.run() calls ------------------------------


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A counting token endpoint."""
    with TokenServer(delay=0.0) as server:
        yield server


def _auth(cache: RedisTokenCache, token_url: str) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        token_endpoint=token_url,
        allow_loopback_http=True,
        cache=cache,
    )


def test_async_client_on_a_second_event_loop_degrades_instead_of_failing(
    redis_server: RedisServer, token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A redis.asyncio client made on the first asyncio.run() and used on a second one
    ("Event loop is closed") no longer fails the token request: that loop does without
    Redis, the request succeeds, and one warning says how to fix the setup."""
    import redis.asyncio

    holder: dict[str, Any] = {}

    async def first() -> None:
        holder["client"] = redis.asyncio.Redis.from_url(redis_server.url, socket_timeout=5)
        cache = RedisTokenCache(holder["client"], secret=CANARY_SECRET)
        holder["cache"] = cache
        auth = _auth(cache, token_server.url)
        assert await auth.aget_token()
        async with cache.afetch_lock(KEY):
            pass

    async def second() -> None:
        auth = _auth(holder["cache"], token_server.url)
        assert await auth.aget_token()  # used to raise RuntimeError: Event loop is closed
        async with holder["cache"].afetch_lock(KEY):
            pass

    asyncio.run(first())
    with caplog.at_level("WARNING"):
        asyncio.run(second())
    assert token_server.requests == 2  # the second loop fetched directly
    assert "another event loop" in caplog.text
    _close_dead_loop_client(holder["client"])  # the user's client: closed for them here


def test_async_client_on_a_second_loop_uses_the_sync_client_when_there_is_one(
    redis_server: RedisServer, token_server: TokenServer
) -> None:
    """With a redis.Redis next to the redis.asyncio client, a second loop shares through the
    sync client in a thread: the token stored on the first loop is read, no new request."""
    import redis.asyncio

    import redis

    sync = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    holder: dict[str, Any] = {}

    async def first() -> None:
        aclient = redis.asyncio.Redis.from_url(redis_server.url, socket_timeout=5)
        holder["cache"] = RedisTokenCache(sync, async_client=aclient, secret=CANARY_SECRET)
        assert await _auth(holder["cache"], token_server.url).aget_token()

    async def second() -> None:
        assert await _auth(holder["cache"], token_server.url).aget_token()

    asyncio.run(first())
    asyncio.run(second())
    assert token_server.requests == 1
    assert not holder["cache"].degraded
    sync.close()
    _close_dead_loop_client(holder["cache"]._clients.async_)  # the user's client: closed for them


def _cache_connections(client: Any, name: str) -> int:
    return sum(1 for c in client.client_list() if c.get("name") == name)


def test_per_loop_clients_of_dead_loops_are_dropped_and_closed(
    redis_server: RedisServer,
) -> None:
    """Five asyncio.run() calls without aclose(): the clients of the closed loops are
    dropped and their connections closed, not kept for ever (counted on the server)."""
    cache = bound_cache(redis_server.url)
    cache._clients.url = redis_server.url + "?client_name=lifecycle-probe"
    client = redis_server.client()

    async def use() -> None:
        await cache.aset(KEY, make_token())
        assert await cache.aget(KEY) is not None

    for _ in range(5):
        asyncio.run(use())
    assert len(cache._clients.by_loop) == 1
    _until(
        lambda: _cache_connections(client, "lifecycle-probe") == 1,
        "the dead loops' connections are closed",
    )
    client.close()
    cache.close()
