"""`RedisTokenCache`: one token for a whole fleet, encrypted, with distributed single-flight.

Install with `pip install "httpx-pingone-worker[redis]"` (redis-py; both the sync client
and `redis.asyncio` are used).

What lives in Redis, with the default `key_prefix="pingone:"` (`<id>` is the cache key from
[`cache_key`][httpx_pingone_worker.cache_key] without its `pingone:` namespace: a SHA-256 over
token endpoint, client id and scopes, never the client secret):

- `pingone:token:{<id>}`: the encrypted token, `PX` = time left until the token expires;
- `pingone:lock:{<id>}`: the fetch lock, a random owner token (`SET NX PX lock_ttl`), renewed
  and deleted by its owner only (compare-and-`PEXPIRE`, compare-and-delete Lua scripts);
- `pingone:notify:{<id>}`: a pub/sub channel (not a key): `stored` after a token is written,
  `released` after the lock is released.

Inspect with `redis-cli --scan --pattern 'pingone:*'`; flush everything with
`redis-cli --scan --pattern 'pingone:*' | xargs -r redis-cli del` (processes simply fetch a
new token on their next miss).

Encryption (`_redis_codec`): AES-256-GCM with the Redis key as associated data; the key is
`encryption_key=`, or derived with scrypt from `secret=` or from the client secret the auth
binds, so every process holding the client secret reads the shared token and nobody else can.

Single-flight across processes (`_redis_lock`, `_redis_alock`): `fetch_lock` takes the lock
or waits on the notify channel until it is released, expires, or another process stores a
token; past `lock_timeout` it raises [`StorageError`][httpx_pingone_worker.StorageError] (the
auth then fetches without the lock). A held lock is renewed every `lock_ttl / 3`.

Degraded mode: Redis unreachable, slow (`socket_timeout`) or answering garbage: every
operation acts as a miss, writes are skipped and `fetch_lock` yields without locking, so
requests still succeed by fetching directly. One `⛔` line is logged per episode; Redis is
tried again after `retry_interval` seconds and sharing resumes by itself.

Here: the public class (settings, entry operations sync and async, lifecycle). Elsewhere:
the clients (`_redis_clients`), the lock (`_redis_lock`, `_redis_alock`), keys and value
format (`_redis_codec`), key names, settings checks and the breaker (`_redis_support`), the
`redis+sentinel://` URL (`_redis_sentinel`).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
)
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.caches._redis_alock import AsyncRedisLock
from httpx_pingone_worker.caches._redis_clients import NO_CLIENT, RedisClients, in_thread
from httpx_pingone_worker.caches._redis_codec import RedisCodec, secret_material
from httpx_pingone_worker.caches._redis_lock import RedisLock
from httpx_pingone_worker.caches._redis_support import (
    RedisKeys,
    _aredis_errors,
    _Breaker,
    _redis_errors,
    check_settings,
)
from httpx_pingone_worker.credentials._credentials import ClientCredentials

__all__ = ["RedisTokenCache"]

# Compare-and-delete of a token entry: only if it still holds the exact value we read.
_DELETE_IF_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# Store and announce in one step on a cluster (a pipeline would route SET and SPUBLISH
# separately): the token key and the channel share a hash tag, so one slot, one node.
_STORE_LUA = """
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('spublish', ARGV[3], 'stored')
return 1
"""

_log = get_logger("cache.redis")


class RedisTokenCache:
    """A ``TokenCache`` in Redis, shared by every process of a fleet.

    ``url_or_client`` is a Redis URL (``redis://``, ``rediss://``, ``unix://``), a
    Redis Sentinel URL (``redis+sentinel://[user:password@]host1:26379,host2:26379/<service>``
    ``[/<db>]``, ``rediss+sentinel://`` for TLS: the master is asked of the sentinels, and
    after a failover the cache talks to the new one), a ``redis.Redis`` or a
    ``redis.asyncio.Redis`` (a Sentinel's ``master_for(...)`` client too); ``async_client=``
    adds an async client next to a sync one. Clients built from a URL get short socket timeouts
    (``socket_timeout``) and no driver retries, so a dead Redis costs milliseconds, not
    seconds; a client you pass in is used as it is (give it short timeouts too). Without an
    async client the async methods run the sync ones in a worker thread.

    Encryption: values are AES-256-GCM sealed, with the Redis key as associated data (a value
    copied to another key does not decrypt). The key is ``encryption_key=`` (16/24/32
    random bytes) or derived with scrypt (once per process) from ``secret=``; otherwise
    ``PingOneWorkerAuth`` calls ``bind`` with its credentials and the key is derived
    from the client secret, so every process holding the secret reads the shared token and
    nobody else can. A value that does not decrypt is a miss.

    ``lock_ttl``: seconds a fetch lock outlives its holder (it is renewed every
    ``lock_ttl / 3`` while held, so a dead holder is replaced after it);
    ``lock_timeout``: seconds a waiter waits for the lock before
    [`StorageError`][httpx_pingone_worker.StorageError] (default 60: longer than the auth's default
    retry budget of 30 s, so waiters outlast a holder sleeping on ``Retry-After``);
    ``poll_interval``: longest sleep between lock attempts when no notification arrives;
    ``retry_interval``: seconds Redis is left alone after a failure (degraded mode).
    ``clock`` gives epoch seconds for entry TTLs.
    """

    # Its arguments (a secret, a key, a URL with a password) stay out of an error's traceback.
    @sealed_frames
    def __init__(
        self,
        url_or_client: str | Any | None = None,
        *,
        async_client: Any | None = None,
        key_prefix: str = "pingone:",
        encryption_key: bytes | None = None,
        secret: str | Secret | None = None,
        lock_ttl: float = 15.0,
        lock_timeout: float = 60.0,
        poll_interval: float = 0.25,
        socket_timeout: float = 0.5,
        retry_interval: float = 5.0,
        cluster: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if importlib.util.find_spec("redis") is None:  # pragma: no cover - without the extra
            raise ConfigurationError(
                "RedisTokenCache needs redis-py",
                hint='install the extra: pip install "httpx-pingone-worker[redis]"',
            )

        check_settings(
            key_prefix=key_prefix,
            lock_ttl=lock_ttl,
            lock_timeout=lock_timeout,
            poll_interval=poll_interval,
            socket_timeout=socket_timeout,
            retry_interval=retry_interval,
            cluster=cluster,
        )
        self._clients = RedisClients(
            url_or_client, async_client, cluster=cluster, socket_timeout=float(socket_timeout)
        )
        self._codec = RedisCodec(encryption_key, secret, clock or time.time)
        self._keys = RedisKeys(key_prefix)
        self._breaker = _Breaker(
            float(retry_interval),
            self._clients.target,
            on_recover=lambda: self._lock.sweep_released(),  # noqa: PLW0108 - made below
        )
        self._lock = RedisLock(
            self._clients,
            self._keys,
            self._breaker,
            lock_ttl=lock_ttl,
            lock_timeout=lock_timeout,
            poll_interval=poll_interval,
        )
        self._alock = AsyncRedisLock(self._lock)

    def bind(
        self, credentials: ClientCredentials | str | Secret, *, cache_key: str | None = None
    ) -> None:
        """Derive the encryption key from the client secret (or private key) the auth uses.

        ``PingOneWorkerAuth`` calls this with its secret and cache key, and again after
        ``rotate_secret``; it takes ``ClientCredentials``
        (client secret, else private key) or the secret itself. With ``cache_key`` the key
        applies to that entry only (several apps can share one cache); without it, to every
        entry that has no key of its own. A key given to the constructor always wins.
        """
        material = secret_material(credentials)
        if cache_key is not None:
            self._keys.id(cache_key)
        self._codec.bind(material, cache_key)

    # --- names ------------------------------------------------------------------------

    def token_key(self, key: str) -> str:
        """The Redis key holding the encrypted token for cache key ``key``."""
        return self._keys.token(key)

    def lock_key(self, key: str) -> str:
        """The Redis key of the fetch lock for cache key ``key``."""
        return self._keys.lock(key)

    def notify_channel(self, key: str) -> str:
        """The pub/sub channel announcing stored tokens and released locks for ``key``
        (a sharded channel, ``SPUBLISH``/``SSUBSCRIBE``, on a cluster)."""
        return self._keys.channel(key)

    @property
    def cluster(self) -> bool:
        """True when this cache talks to a Redis Cluster (sharded pub/sub, scripts)."""
        return self._clients.cluster

    @property
    def degraded(self) -> bool:
        """True while Redis is considered unavailable (requests fetch tokens directly)."""
        return self._breaker.degraded

    # --- sync API ---------------------------------------------------------------------

    def get(self, key: str) -> Token | None:
        """The token stored under ``key``, or ``None`` (missing, unreadable or Redis down)."""
        client = self._clients.sync_client()
        self._codec.cipher(key)
        if not self._breaker.available():
            return None
        rkey = self.token_key(key)
        try:
            raw = client.get(rkey)
        except _redis_errors() as exc:
            self._breaker.failure(exc, "get")
            return None
        self._breaker.success()
        return self._codec.open(key, rkey, raw)

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` encrypted, expiring with the token; wake processes waiting for it."""
        client = self._clients.sync_client()
        rkey = self.token_key(key)
        value = self._codec.seal(key, rkey, token)
        ttl = self._codec.ttl_ms(token)
        if ttl <= 0 or not self._breaker.available():
            return
        try:
            if self.cluster:
                client.eval(_STORE_LUA, 1, rkey, value, ttl, self.notify_channel(key))
            else:
                pipe = client.pipeline(transaction=False)
                pipe.set(rkey, value, px=ttl)
                pipe.publish(self.notify_channel(key), "stored")
                pipe.execute()
        except _redis_errors() as exc:
            self._breaker.failure(exc, "set")
            return
        self._breaker.success()
        _log.debug("stored encrypted token in redis key=%s ttl=%ss", key, ttl // 1000)

    def delete(self, key: str) -> None:
        """Remove the entry under ``key`` (no error when it is absent or Redis is down)."""
        client = self._clients.sync_client()
        rkey = self.token_key(key)
        if not self._breaker.available():
            return
        try:
            client.delete(rkey)
        except _redis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return
        self._breaker.success()

    def delete_if(self, key: str, token: Token) -> bool:
        """Remove the entry only if it still holds ``token`` (atomic: the value read is
        compared again inside Redis by a Lua script, so a token another process stored
        meanwhile stays). False when it holds another token, nothing, or Redis is down."""
        client = self._clients.sync_client()
        rkey = self.token_key(key)
        if not self._breaker.available():
            return False
        try:
            raw = client.get(rkey)
            if not self._codec.holds(key, rkey, raw, token):
                return False
            deleted = client.eval(_DELETE_IF_LUA, 1, rkey, raw)
        except _redis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return False
        self._breaker.success()
        return bool(deleted)

    def fetch_lock(self, key: str) -> AbstractContextManager[None]:
        """Hold the fleet-wide fetch lock for ``key`` (yields unlocked when Redis is down)."""
        self._keys.id(key)
        return self._lock.locked(key)

    def try_fetch_lock(self, key: str) -> AbstractContextManager[bool]:
        """Take the fetch lock only if it is free, without waiting: yields True (held, or
        Redis down: go ahead alone) or False (another process holds it, e.g. it is
        refreshing the shared token: use the valid token you have)."""
        self._keys.id(key)
        return self._lock.held(key, wait=False)

    # --- async API --------------------------------------------------------------------
    # Each method uses the async client of the running loop; without one (trio, a cache
    # with a sync client only) the sync method runs in a worker thread; on a loop the
    # passed-in async client cannot serve (NO_CLIENT) it acts as a miss.

    async def aget(self, key: str) -> Token | None:
        """Async ``get``."""
        self._codec.cipher(key)
        client = self._clients.aclient()
        if client is NO_CLIENT:
            return None
        if client is None:
            result: Token | None = await in_thread(self.get, key)
            return result
        if not self._breaker.available():
            return None
        rkey = self.token_key(key)
        try:
            raw = await client.get(rkey)
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "get")
            return None
        self._breaker.success()
        return self._codec.open(key, rkey, raw)

    async def aset(self, key: str, token: Token) -> None:
        """Async ``set``."""
        client = self._clients.aclient()
        if client is NO_CLIENT:
            return
        if client is None:
            await in_thread(self.set, key, token)
            return
        rkey = self.token_key(key)
        value = self._codec.seal(key, rkey, token)
        ttl = self._codec.ttl_ms(token)
        if ttl <= 0 or not self._breaker.available():
            return
        try:
            if self.cluster:
                await client.eval(_STORE_LUA, 1, rkey, value, ttl, self.notify_channel(key))
            else:
                pipe = client.pipeline(transaction=False)
                pipe.set(rkey, value, px=ttl)
                pipe.publish(self.notify_channel(key), "stored")
                await pipe.execute()
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "set")
            return
        self._breaker.success()
        _log.debug("stored encrypted token in redis key=%s ttl=%ss", key, ttl // 1000)

    async def adelete(self, key: str) -> None:
        """Async ``delete``."""
        client = self._clients.aclient()
        if client is NO_CLIENT:
            return
        if client is None:
            await in_thread(self.delete, key)
            return
        rkey = self.token_key(key)
        if not self._breaker.available():
            return
        try:
            await client.delete(rkey)
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return
        self._breaker.success()

    async def adelete_if(self, key: str, token: Token) -> bool:
        """Async ``delete_if``."""
        client = self._clients.aclient()
        if client is NO_CLIENT:
            return False
        if client is None:
            result: bool = await in_thread(self.delete_if, key, token)
            return result
        rkey = self.token_key(key)
        if not self._breaker.available():
            return False
        try:
            raw = await client.get(rkey)
            if not self._codec.holds(key, rkey, raw, token):
                return False
            deleted = await client.eval(_DELETE_IF_LUA, 1, rkey, raw)
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return False
        self._breaker.success()
        return bool(deleted)

    def afetch_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Async ``fetch_lock``."""
        self._keys.id(key)
        return self._alock.locked(key)

    def atry_fetch_lock(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Async ``try_fetch_lock``."""
        self._keys.id(key)
        return self._alock.held(key, wait=False)

    # --- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync client this cache created (clients you passed in stay open), and
        the async clients it made for event loops that have ended."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async client this cache created for the running event loop."""
        await self._clients.aclose()

    def __repr__(self) -> str:
        try:
            return (
                f"RedisTokenCache(target={self._clients.target!r}, "
                f"key_prefix={self._keys.prefix!r}, encryption={self._codec.key_source!r}, "
                f"degraded={self.degraded})"
            )
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "RedisTokenCache(<not initialised>)"
