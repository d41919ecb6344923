"""`AsyncRedisLock`: the async side of the Redis token cache's fetch lock (`_redis_lock`).

With a `redis.asyncio` client for the running loop it does what `RedisLock` does, awaiting:
`SET NX`, the pub/sub wait (or, with redis-py's asyncio `RedisCluster` before 5.1, which has
no pub/sub, a poll that counts a changed token value as `stored`), renewal by an asyncio task,
compare-and-delete release and orphan sweeps. Without one (trio, or a cache with a sync
client only) the sync lock runs in a worker thread, renewed by its daemon thread.

Cancellation never leaves a renewed lock behind: renewal starts only once the lock is held
here; a caller cancelled mid-acquire compare-and-deletes the lock its `SET NX` may have taken;
a worker thread whose caller is gone stops within `poll_interval` and releases what it took;
and a holder's release runs shielded (its own asyncio task, or a shielded trio cancel scope),
so a cancelled holder still releases at once instead of making the fleet wait `lock_ttl`.
"""

from __future__ import annotations

import asyncio
import secrets as _secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker.caches._redis_clients import NO_CLIENT, in_asyncio, in_thread
from httpx_pingone_worker.caches._redis_lock import RENEW_LUA, RedisLock, lead
from httpx_pingone_worker.caches._redis_support import _aredis_errors, _is_stored

__all__ = ["AsyncRedisLock"]

_log = get_logger("cache.redis")


class AsyncRedisLock:
    """The fetch locks of one cache for async callers (see the module)."""

    def __init__(self, lock: RedisLock) -> None:
        self.lock = lock
        self.clients = lock.clients
        self.keys = lock.keys
        self.breaker = lock.breaker
        #: Shielded releases and orphan sweeps in flight (asyncio keeps tasks weakly).
        self.background: set[asyncio.Future[Any]] = set()
        fork_register(self)

    def _after_fork(self) -> None:
        """No tasks of the parent's event loops in a forked child."""
        self.background = set()

    @asynccontextmanager
    async def held(self, key: str, *, wait: bool) -> AsyncIterator[bool]:
        """Async `RedisLock.held`: hold the lock (renewed while held); yield whether the
        caller leads."""
        client = self.clients.aclient()
        owner = _secrets.token_hex(16)
        if client is NO_CLIENT:  # a passed-in async client on a foreign loop: no lock
            yield True
            return
        if client is None:  # sync client in a worker thread (trio, or no asyncio client)
            async with self._held_in_thread(key, owner, wait=wait) as leads:
                yield leads
            return
        try:
            if wait:
                state: bool | None = await self._acquire(client, key, owner)
            else:
                state = await self._try_acquire(client, key, owner)
        except BaseException:
            # Cancelled mid-acquire: SET NX may have reached Redis. Compare-and-delete with
            # our owner token removes it if so, and nothing else.
            await self.shielded(lambda: self._release(client, key, owner))
            raise
        held, leads = lead(state, wait=wait)
        stop, stopped = asyncio.Event(), threading.Event()
        task = (
            asyncio.create_task(self._renew_loop(client, key, owner, stop, stopped))
            if held
            else None
        )
        try:
            yield leads
        finally:
            if task is not None:
                stopped.set()
                stop.set()
                renew_task = task
                await self.shielded(lambda: self._finish(renew_task, client, key, owner))

    @asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[None]:
        """`held` for a caller that waits for the lock (`afetch_lock`)."""
        async with self.held(key, wait=True):
            yield

    @asynccontextmanager
    async def _held_in_thread(self, key: str, owner: str, *, wait: bool) -> AsyncIterator[bool]:
        """`held` with the sync client in a worker thread, renewed by its daemon thread."""
        sync = self.lock
        if wait:
            held, leads = await self._thread_acquire(key, owner), True
        else:
            try:
                tried = await in_thread(sync.try_acquire, key, owner)
            except BaseException:
                # Cancelled while the attempt ran: drop a lock it may have taken.
                await self.shielded(lambda: in_thread(sync.release, key, owner))
                raise
            held, leads = lead(tried, wait=False)
        # Renewal starts only once we hold the lock here: a caller cancelled while
        # acquiring never leaves a renewed lock behind (an unrenewed one expires).
        renewal = sync.start_renewal(key, owner) if held else None
        try:
            yield leads
        finally:
            if renewal is not None:
                renewal.stop()  # no await: stops even if the release below is cancelled
                fin = renewal
                # Shielded: a cancelled holder still releases (else others wait lock_ttl).
                await self.shielded(lambda: in_thread(sync.finish, key, owner, fin))

    async def _thread_acquire(self, key: str, owner: str) -> bool:
        """`RedisLock.acquire` in a worker thread that a cancelled caller abandons at once:
        the thread notices within `poll_interval` and stops, and a lock it took for a caller
        that is gone is released (by the thread, or here, whichever sees it last)."""
        sync = self.lock
        gone = threading.Event()
        guard = threading.Lock()
        handed = [False]

        def take() -> bool:
            held = sync.acquire(key, owner, gone)
            with guard:
                if not gone.is_set():
                    handed[0] = held
                    return held
            if held:
                sync.release(key, owner)
            return False

        try:
            held: bool = await in_thread(take)
        except BaseException:
            with guard:
                gone.set()
                mine = handed[0]
            if mine:  # the thread handed the lock over just as we were cancelled
                await self.shielded(lambda: in_thread(sync.release, key, owner))
            raise
        return held

    async def _acquire(self, client: Any, key: str, owner: str) -> bool:
        """Async `RedisLock.acquire`."""
        if not self.breaker.available():
            return False
        sync, ttl_ms = self.lock, self.lock.lock_ttl_ms
        lock, channel = self.keys.lock(key), self.keys.channel(key)
        deadline = time.monotonic() + sync.lock_timeout
        try:
            if await client.set(lock, owner, nx=True, px=ttl_ms):
                self.breaker.success()
                return True
            if self.clients.cluster and not hasattr(client, "pubsub"):
                return await self._poll_lock(client, key, owner, deadline)
            pubsub = sync.pubsub(client)
            try:
                node = None
                if self.clients.cluster:
                    await pubsub.ssubscribe(channel)
                    node = client.get_node_from_key(channel)
                else:
                    await pubsub.subscribe(channel)
                while True:
                    if await client.set(lock, owner, nx=True, px=ttl_ms):
                        self.breaker.success()
                        return True
                    wait = sync.wait_seconds(int(await client.pttl(lock)), deadline)
                    if wait <= 0:
                        raise sync.timeout_error(key)
                    if node is None:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=wait
                        )
                    else:
                        message = await pubsub.get_sharded_message(timeout=wait, target_node=node)
                    if _is_stored(message):
                        return sync.satisfied(key)
            finally:
                await pubsub.aclose()
        except _aredis_errors() as exc:
            self.breaker.failure(exc, "lock")
            self._clear_orphan(client, key, owner)
            return False

    async def _poll_lock(self, client: Any, key: str, owner: str, deadline: float) -> bool:
        """Wait for the lock without pub/sub (redis-py's asyncio RedisCluster before 5.1 has
        none): look again when the lock can have expired, at least every `poll_interval`;
        a token value that changed meanwhile counts as `stored`."""
        sync = self.lock
        lock, rkey = self.keys.lock(key), self.keys.token(key)
        before = await client.get(rkey)
        while True:
            wait = sync.wait_seconds(int(await client.pttl(lock)), deadline)
            if wait <= 0:
                raise sync.timeout_error(key)
            await asyncio.sleep(wait)
            if await client.set(lock, owner, nx=True, px=sync.lock_ttl_ms):
                self.breaker.success()
                return True
            now = await client.get(rkey)
            if now is not None and now != before:
                return sync.satisfied(key)

    async def _try_acquire(self, client: Any, key: str, owner: str) -> bool | None:
        """Async `RedisLock.try_acquire`."""
        if not self.breaker.available():
            return None
        try:
            taken = await client.set(self.keys.lock(key), owner, nx=True, px=self.lock.lock_ttl_ms)
        except _aredis_errors() as exc:
            self.breaker.failure(exc, "lock")
            self._clear_orphan(client, key, owner)
            return None
        self.breaker.success()
        return bool(taken)

    async def _renew_loop(
        self, client: Any, key: str, owner: str, stop: asyncio.Event, stopped: threading.Event
    ) -> None:
        """Renewal task (asyncio client): compare-and-PEXPIRE every `lock_ttl / 3`."""
        sync = self.lock
        lock = self.keys.lock(key)
        while True:
            try:
                await asyncio.wait_for(stop.wait(), sync.renew_every)
            except asyncio.TimeoutError:
                pass
            else:
                return  # released
            if not self.breaker.available():
                _log.debug("redis unavailable; stopped renewing fetch lock %s", lock)
                return
            try:
                renewed = await client.eval(RENEW_LUA, 1, lock, owner, sync.lock_ttl_ms)
            except Exception as exc:  # noqa: BLE001 - a renewer stops, it never raises
                sync.renewal_failed(exc, stopped)
                return
            if not sync.renewal_ended(key, renewed, stopped):
                return

    async def _release(self, client: Any, key: str, owner: str) -> None:
        try:
            released = await client.eval(*self.lock.release_args(key, owner))
        except _aredis_errors() as exc:
            self.breaker.failure(exc, "unlock")
            self._clear_orphan(client, key, owner)  # as in RedisLock.release
            return
        self.lock.after_release(key, owner)
        if not released:
            _log.debug("fetch lock %s had expired before release", self.keys.lock(key))

    async def _finish(self, task: asyncio.Task[None], client: Any, key: str, owner: str) -> None:
        try:
            await task  # returns at once unless a renewal is in flight
        finally:
            await self._release(client, key, owner)

    def _clear_orphan(self, client: Any, key: str, owner: str) -> None:
        """`RedisLock.clear_orphan` for an async attempt: the sync client's sweeper thread
        when there is one, else a task on this loop with the async client."""
        if self.clients.sync is not None or not in_asyncio():
            self.lock.clear_orphan(key, owner)
            return
        task = asyncio.ensure_future(self._orphan_sweeps(client, key, owner))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _orphan_sweeps(self, client: Any, key: str, owner: str) -> None:
        """Async `RedisLock._orphan_sweeps`."""
        deadline = self.lock.orphan_deadline()
        answered = 0
        while answered < 2 and time.monotonic() < deadline:
            try:
                await client.eval(*self.lock.release_args(key, owner))
            except Exception as exc:  # noqa: BLE001 - a sweeper stops quietly, never raises
                _log.debug("orphan lock sweep failed (%s); trying again", type(exc).__name__)
            else:
                answered += 1
            await asyncio.sleep(max(0.0, min(self.lock.poll, deadline - time.monotonic())))

    async def shielded(self, make: Callable[[], Any]) -> None:
        """Await the coroutine `make()` returns to its end even if the caller is cancelled:
        a lock release must not be skipped because the scope that held the lock was
        cancelled. On trio in a shielded cancel scope; on asyncio in a task of its own (the
        caller's cancellation stops the wait, not the release). Every such coroutine is
        bounded by the socket timeouts."""
        if in_asyncio():
            task = asyncio.ensure_future(make())
            self.background.add(task)
            task.add_done_callback(self.background.discard)
            await asyncio.shield(task)
            return
        import trio

        with trio.CancelScope(shield=True):
            await make()
