"""`RedisLock`: the Redis token cache's fleet-wide fetch lock (sync side), like redis-py's
`lock.py`; the async side is `AsyncRedisLock` in `_redis_alock`.

Acquire: `SET <lock> <random owner> NX PX <lock_ttl>`. A waiter subscribes to the entry's
notify channel, tries again, and sleeps until a message arrives or the lock's remaining
`PTTL` (at most `poll_interval`) passes: no busy loop, and a holder that died is replaced once
its lock expires. A waiter that hears `stored` goes on without the lock (the engine's re-read
finds the new token). Waiting longer than `lock_timeout` raises `StorageError`. Try-acquire is
one `SET NX`: held, held by another, or degraded (the caller goes ahead alone).

Renewal: `lock_ttl` is how long a lock outlives its holder, not how long a fetch may take.
While held the lock is renewed every `lock_ttl / 3` (compare-and-`PEXPIRE`, only while it
holds our owner token) by a daemon thread, so a holder sleeping on `Retry-After` keeps it and
the fleet does not stampede a throttled endpoint; a holder that dies stops renewing and is
replaced `lock_ttl` after its last renewal. A lost lock (another owner, or no key) stops
renewal with one warning, a Redis failure with degraded mode. A holder that hangs without
dying keeps its lock: waiters give up after `lock_timeout` and fetch without it.

Release: compare-and-delete with our owner token, then `released` on the channel. When an
attempt or a release fails on our side (a timeout, a reset), its `SET NX` may still run when
Redis resumes: the orphan sweep compare-and-deletes our owner token in the background until
Redis has answered twice, never past `lock_ttl`. After a release on a Sentinel deployment
the late sweeps do it again at growing intervals (a failover can promote a replica that got
the lock but not its release), and when Redis answers again after failures the locks released
in the last `lock_ttl` are swept once more. Owner tokens are random and ours, so deleting
one again is harmless.
"""

from __future__ import annotations

import collections
import logging
import secrets as _secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx_pingone_worker._core._errors import StorageError
from httpx_pingone_worker._core._logging import EventKind, get_logger, log_event
from httpx_pingone_worker.caches._redis_clients import RedisClients
from httpx_pingone_worker.caches._redis_support import (
    RedisKeys,
    _Breaker,
    _is_stored,
    _redis_errors,
    _Renewal,
)

__all__ = ["RELEASE_LUA", "RENEW_LUA", "RedisLock", "lead"]

# Compare-and-delete: only the owner that set the lock removes it, then wakes the waiters.
# ARGV[3] is the publish command: ``publish``, or ``spublish`` (sharded) on a cluster.
RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('del', KEYS[1])
    redis.call(ARGV[3], ARGV[2], 'released')
    return 1
end
return 0
"""

# Compare-and-renew: extend the lock's TTL only while it still holds our owner token.
RENEW_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

_log = get_logger("cache.redis")


def lead(state: bool | None, *, wait: bool) -> tuple[bool, bool]:
    """(held, lead) from an acquisition's outcome (True ours, False another's, None degraded)."""
    if wait:
        return bool(state), True
    return state is True, state is not False


class RedisLock:
    """The fetch locks of one cache, taken with its sync client (see the module)."""

    def __init__(
        self,
        clients: RedisClients,
        keys: RedisKeys,
        breaker: _Breaker,
        *,
        lock_ttl: float,
        lock_timeout: float,
        poll_interval: float,
    ) -> None:
        self.clients = clients
        self.keys = keys
        self.breaker = breaker
        self.lock_ttl_ms = max(1, round(lock_ttl * 1000))
        self.lock_timeout = float(lock_timeout)
        self.poll = float(poll_interval)
        # (monotonic time, key, owner) of recent releases; see sweep_released.
        self._released: collections.deque[tuple[float, str, str]] = collections.deque(maxlen=64)

    @property
    def publish(self) -> str:
        """The publish command of the deployment (sharded on a cluster)."""
        return "spublish" if self.clients.cluster else "publish"

    def release_args(self, key: str, owner: str) -> tuple[Any, ...]:
        """`EVAL` arguments of `RELEASE_LUA` for `owner`'s lock on `key`."""
        return (RELEASE_LUA, 1, self.keys.lock(key), owner, self.keys.channel(key), self.publish)

    # --- acquire ------------------------------------------------------------------------

    def wait_seconds(self, pttl: int, deadline: float) -> float:
        """How long a waiter sleeps before its next attempt (bounded by lock expiry)."""
        remaining = deadline - time.monotonic()
        lock_left = pttl / 1000 if pttl > 0 else 0.005
        return max(0.0, min(remaining, self.poll, lock_left + 0.005))

    def timeout_error(self, key: str) -> StorageError:
        return StorageError(
            f"waited {self.lock_timeout:g}s for the Redis fetch lock {self.keys.lock(key)}",
            hint="another process holds it for longer than expected; raise lock_timeout, "
            "or lower lock_ttl so that a stuck holder is replaced sooner",
        )

    def acquire(self, key: str, owner: str, gone: threading.Event | None = None) -> bool:
        """Take the lock (True), or return False: degraded mode, a waiter that saw another
        process store a token (the caller's re-read finds it), or `gone` set (the async
        caller was cancelled: stop within `poll_interval`); `StorageError` on timeout."""
        client = self.clients.sync_client()
        if not self.breaker.available():
            return False
        lock, channel = self.keys.lock(key), self.keys.channel(key)
        deadline = time.monotonic() + self.lock_timeout
        try:
            if client.set(lock, owner, nx=True, px=self.lock_ttl_ms):
                self.breaker.success()
                return True
            pubsub = self.pubsub(client)
            try:
                node = self._subscribe(client, pubsub, channel)
                while True:
                    if gone is not None and gone.is_set():
                        return False
                    # Subscribed first, then tried: a release between the two is not missed.
                    if client.set(lock, owner, nx=True, px=self.lock_ttl_ms):
                        self.breaker.success()
                        return True
                    wait = self.wait_seconds(int(client.pttl(lock)), deadline)
                    if wait <= 0:
                        raise self.timeout_error(key)
                    if node is None:
                        message = pubsub.get_message(timeout=wait)
                    else:
                        message = pubsub.get_sharded_message(timeout=wait, target_node=node)
                    if _is_stored(message):
                        return self.satisfied(key)
            finally:
                pubsub.close()
        except _redis_errors() as exc:
            self.breaker.failure(exc, "lock")
            self.clear_orphan(key, owner)
            return False

    def try_acquire(self, key: str, owner: str) -> bool | None:
        """One `SET NX`: True (ours), False (another holds it), None (degraded)."""
        client = self.clients.sync_client()
        if not self.breaker.available():
            return None
        try:
            taken = client.set(self.keys.lock(key), owner, nx=True, px=self.lock_ttl_ms)
        except _redis_errors() as exc:
            self.breaker.failure(exc, "lock")
            self.clear_orphan(key, owner)
            return None
        self.breaker.success()
        return bool(taken)

    def pubsub(self, client: Any) -> Any:
        """A pub/sub object; on a cluster it keeps (un)subscribe confirmations, which
        `_is_stored` skips: redis-py 5.0's sharded reader with
        `ignore_subscribe_messages` drops every message, `smessage` included."""
        if self.clients.cluster:
            return client.pubsub()
        return client.pubsub(ignore_subscribe_messages=True)

    def _subscribe(self, client: Any, pubsub: Any, channel: str) -> Any:
        """Listen on `channel`; on a cluster, return the node to read sharded messages from
        (reading one node honours the timeout in every redis-py version)."""
        if not self.clients.cluster:
            pubsub.subscribe(channel)
            return None
        pubsub.ssubscribe(channel)
        return client.get_node_from_key(channel)

    def satisfied(self, key: str) -> bool:
        """Another process stored a token while we waited: go on without the lock."""
        self.breaker.success()
        _log.debug("token for %s stored by another process while waiting", key)
        return False

    # --- hold: renewal ------------------------------------------------------------------

    @property
    def renew_every(self) -> float:
        """Seconds between renewals of a held lock: a third of `lock_ttl`."""
        return self.lock_ttl_ms / 3000

    def renewal_ended(self, key: str, renewed: object, stopped: threading.Event) -> bool:
        """Judge one renewal: True to keep renewing; logs a lost lock once (unless released)."""
        if renewed:
            self.breaker.success()
            return True
        if not stopped.is_set():  # released meanwhile: the compare failing is expected
            log_event(
                EventKind.ERROR,
                "redis fetch lock lost while held (expired or taken over); stopped renewing, "
                "another process may fetch a token too",
                level=logging.WARNING,
                logger="cache.redis",
                key=self.keys.lock(key),
            )
        return False

    def renewal_failed(self, exc: BaseException, stopped: threading.Event) -> None:
        if stopped.is_set():
            _log.debug("fetch lock renewal failed after release (%s)", type(exc).__name__)
        elif isinstance(exc, _redis_errors()):
            self.breaker.failure(exc, "renew lock")
        else:  # garbage answer or a closed client: stop, say so once, never raise in a thread
            log_event(
                EventKind.ERROR,
                "redis fetch lock renewal failed; stopped renewing",
                level=logging.WARNING,
                logger="cache.redis",
                type=type(exc).__name__,
                target=self.clients.target,
            )

    def _renew_loop(self, key: str, owner: str, stopped: threading.Event) -> None:
        """Renewal thread: compare-and-PEXPIRE every `lock_ttl / 3` until stopped or lost."""
        client = self.clients.sync_client()
        lock = self.keys.lock(key)
        while not stopped.wait(self.renew_every):
            if not self.breaker.available():  # degraded: leave Redis alone, let the lock expire
                _log.debug("redis unavailable; stopped renewing fetch lock %s", lock)
                return
            try:
                renewed = client.eval(RENEW_LUA, 1, lock, owner, self.lock_ttl_ms)
            except Exception as exc:  # noqa: BLE001 - a renewer stops, it never raises
                self.renewal_failed(exc, stopped)
                return
            if not self.renewal_ended(key, renewed, stopped):
                return

    def start_renewal(self, key: str, owner: str) -> _Renewal:
        return _Renewal(lambda stopped: self._renew_loop(key, owner, stopped))

    @contextmanager
    def held(self, key: str, *, wait: bool) -> Iterator[bool]:
        """Hold the lock (renewed while held); yield whether the caller leads."""
        owner = _secrets.token_hex(16)
        state = self.acquire(key, owner) if wait else self.try_acquire(key, owner)
        held, leads = lead(state, wait=wait)
        renewal = self.start_renewal(key, owner) if held else None
        try:
            yield leads
        finally:
            if renewal is not None:
                self.finish(key, owner, renewal)

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """`held` for a caller that waits for the lock (`fetch_lock`)."""
        with self.held(key, wait=True):
            yield

    # --- release ------------------------------------------------------------------------

    def finish(self, key: str, owner: str, renewal: _Renewal) -> None:
        """Stop renewing (bounded wait for a renewal in flight), then release the lock."""
        renewal.join(self.clients.socket_timeout + 1.0)
        self.release(key, owner)

    def release(self, key: str, owner: str) -> None:
        client = self.clients.sync_client()
        try:
            released = client.eval(*self.release_args(key, owner))
        except _redis_errors() as exc:
            self.breaker.failure(exc, "unlock")
            # The lock may outlive this failure (a connection reset after the delete did not
            # run, a Sentinel failover that promoted a replica holding it): sweep it.
            self.clear_orphan(key, owner)
            return
        self.after_release(key, owner)
        if not released:
            _log.debug("fetch lock %s had expired before release", self.keys.lock(key))

    def after_release(self, key: str, owner: str) -> None:
        """Remember a release (for `sweep_released`); on a Sentinel deployment also
        compare-and-delete the lock again a few times within `lock_ttl`: a lock taken on
        the master just before a failover reaches the promoted replica by replication, while
        its release, sent to the old master before the switch, does not, and no error shows
        it (the sentinels close every client connection, which redis-py reopens quietly)."""
        self._released.append((time.monotonic(), key, owner))
        if self.clients.sentinel_managed and self.clients.sync is not None:
            threading.Thread(
                target=self._late_sweeps,
                args=(key, owner),
                name="pingone-redis-orphan-lock",
                daemon=True,
            ).start()

    # --- sweeps -------------------------------------------------------------------------

    def clear_orphan(self, key: str, owner: str) -> None:
        """A lock attempt failed on our side (a timeout, a reset): its `SET NX` may still
        run when Redis resumes, leaving a lock nobody renews or releases, and the fleet would
        skip refreshes and wait for `lock_ttl`. Compare-and-delete our owner token in the
        background, as the cancel path does (see `_orphan_sweeps`)."""
        if self.clients.sync is None:
            return
        threading.Thread(
            target=self._orphan_sweeps,
            args=(key, owner),
            name="pingone-redis-orphan-lock",
            daemon=True,
        ).start()

    def orphan_deadline(self) -> float:
        return time.monotonic() + self.lock_ttl_ms / 1000

    def _orphan_sweeps(self, key: str, owner: str) -> None:
        """Compare-and-delete `owner`'s lock until Redis has answered twice, `poll_interval`
        apart (a late `SET` on another connection may run after the first answer), and never
        past `lock_ttl`, when the lock would have expired anyway. Never raises."""
        client: Any = self.clients.sync
        deadline = self.orphan_deadline()
        answered = 0
        while answered < 2 and time.monotonic() < deadline:
            try:
                client.eval(*self.release_args(key, owner))
            except Exception as exc:  # noqa: BLE001 - a sweeper stops quietly, never raises
                _log.debug("orphan lock sweep failed (%s); trying again", type(exc).__name__)
            else:
                answered += 1
            time.sleep(max(0.0, min(self.poll, deadline - time.monotonic())))

    def _late_sweeps(self, key: str, owner: str) -> None:
        """Compare-and-delete `owner`'s lock at growing intervals until `lock_ttl` has
        passed (then it would have expired anyway). Never raises."""
        client: Any = self.clients.sync
        started = time.monotonic()
        lock_ttl = self.lock_ttl_ms / 1000
        for at in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0):
            wait = min(at, lock_ttl) - (time.monotonic() - started)
            if wait > 0:
                time.sleep(wait)
            if at >= lock_ttl:
                return
            try:
                client.eval(*self.release_args(key, owner))
            except Exception as exc:  # noqa: BLE001 - a sweeper never raises
                _log.debug("late lock sweep failed (%s)", type(exc).__name__)

    def sweep_released(self) -> None:
        """Redis is reachable again after failures: compare-and-delete the locks released in
        the last `lock_ttl`, in the background. A failover (Sentinel, or a managed Redis
        moving its primary) may have promoted a replica that got a lock by replication while
        its release went to the old master, still answering; that copy has no owner to
        renew or release it, and would hold the fleet back until it expired. Each owner
        token is random and ours, so deleting it again is harmless."""
        horizon = time.monotonic() - self.lock_ttl_ms / 1000
        for released_at, key, owner in list(self._released):
            if released_at >= horizon:
                self.clear_orphan(key, owner)
