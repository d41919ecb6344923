"""EncryptedFileTokenCache, async side (asyncio and trio): twins, async lock, no loop blocking."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import filelock
import pytest
from storage_helpers import CACHE_KEY, make_token

from httpx_pingone_worker import EncryptedFileTokenCache, StorageError
from httpx_pingone_worker.credentials._crypto import generate_key

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every test on asyncio and on trio."""
    return str(request.param)


@pytest.fixture
def cache(cache_dir: Path) -> EncryptedFileTokenCache:
    """A cache with an explicit key in a fresh directory."""
    return EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=5)


async def test_async_twins_round_trip(cache: EncryptedFileTokenCache) -> None:
    """aset/aget/adelete behave like set/get/delete and share the same files."""
    assert await cache.aget(CACHE_KEY) is None
    await cache.aset(CACHE_KEY, make_token())
    assert cache.get(CACHE_KEY) == make_token()
    assert await cache.aget(CACHE_KEY) == make_token()
    await cache.adelete(CACHE_KEY)
    assert cache.get(CACHE_KEY) is None


async def test_afetch_lock_excludes_a_sync_holder(cache_dir: Path) -> None:
    """afetch_lock cannot be taken while a sync fetch_lock holds the key: StorageError."""
    cache = EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=0.05)
    with cache.fetch_lock(CACHE_KEY), pytest.raises(StorageError, match="timed out"):
        async with cache.afetch_lock(CACHE_KEY):
            pytest.fail("granted while held")
    async with cache.afetch_lock(CACHE_KEY):
        pass


async def test_waiting_for_the_lock_does_not_block_the_event_loop(
    cache: EncryptedFileTokenCache,
) -> None:
    """While afetch_lock waits for another holder, other tasks keep running."""
    other = filelock.FileLock(str(cache.lock_path(CACHE_KEY)), thread_local=False)
    other.acquire(timeout=5)
    ticks = 0
    acquired = anyio.Event()

    async def heartbeat() -> None:
        # The other holder lets go only after the loop ticked 5 times while the waiter
        # waited: a blocked loop would never get there (fail_after ends the test).
        nonlocal ticks
        while not acquired.is_set():
            ticks += 1
            if ticks == 5:
                other.release()
            await anyio.sleep(0.01)

    async def waiter() -> None:
        async with cache.afetch_lock(CACHE_KEY):
            acquired.set()

    try:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(heartbeat)
                tg.start_soon(waiter)
    finally:
        if other.is_locked:
            other.release()
    assert ticks >= 5


async def test_cancelled_wait_does_not_leak_the_lock(cache: EncryptedFileTokenCache) -> None:
    """A task cancelled while waiting for the lock leaves it free for the next caller."""
    other = filelock.FileLock(str(cache.lock_path(CACHE_KEY)), thread_local=False)
    other.acquire(timeout=5)
    release = threading.Timer(0.2, other.release)
    release.start()
    with anyio.move_on_after(0.05) as scope:
        async with cache.afetch_lock(CACHE_KEY):
            pass
    release.join(timeout=10)
    assert scope.cancelled_caught
    probe = filelock.FileLock(str(cache.lock_path(CACHE_KEY)), thread_local=False)
    probe.acquire(timeout=0)
    probe.release()


async def test_async_race_with_lock_fetches_once(cache: EncryptedFileTokenCache) -> None:
    """8 tasks doing get → afetch_lock → get → fetch → set make one fetch."""
    fetches = 0

    async def racer() -> None:
        nonlocal fetches
        if await cache.aget(CACHE_KEY) is None:
            async with cache.afetch_lock(CACHE_KEY):
                if await cache.aget(CACHE_KEY) is None:
                    fetches += 1
                    await anyio.sleep(0.1)
                    await cache.aset(CACHE_KEY, make_token())

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(racer)
    assert fetches == 1
    assert await cache.aget(CACHE_KEY) == make_token()
