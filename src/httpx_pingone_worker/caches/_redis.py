"""``RedisTokenCache``: one token for a whole fleet, encrypted, with distributed single-flight.

Install with ``pip install "httpx-pingone-worker[redis]"`` (redis-py; both the sync client
and ``redis.asyncio`` are used).

What lives in Redis
-------------------
``<id>`` is the cache key from [`cache_key`][httpx_pingone_worker.cache_key] with its
``pingone:`` namespace removed (32 hex characters of a SHA-256 over token endpoint, client
id and scopes; the client secret is never part of it). With the default
``key_prefix="pingone:"``:

=================================  =========================================================
``pingone:token:<id>``             the encrypted token (string), ``PX`` = time left until the
                                   token expires
``pingone:lock:<id>``              the fetch lock (string): a random owner token, ``SET NX
                                   PX lock_ttl``; renewed (compare-and-``PEXPIRE``) and
                                   deleted (compare-and-delete) by its owner only, with Lua
                                   scripts
``pingone:notify:<id>``            pub/sub channel (not a key): ``stored`` after a token is
                                   written, ``released`` after the lock is released
=================================  =========================================================

Inspect with ``redis-cli --scan --pattern 'pingone:*'``; flush everything with
``redis-cli --scan --pattern 'pingone:*' | xargs -r redis-cli del`` (processes simply
fetch a new token on their next miss).

Encryption
----------
Values are ``hpw2:`` + base64url(12-byte nonce ‖ AES-256-GCM ciphertext and tag) of a small
JSON document; the Redis key is the associated data, so a value copied to another key does
not decrypt. The key is ``encryption_key=`` (16, 24 or 32 random bytes) or is derived from a
secret with scrypt (N=2**15, r=8, p=1, salt ``b"httpx-pingone-worker/redis-token-cache/v2/
scrypt"``, 32 bytes; once per process per secret, see ``_redis_codec``): from ``secret=``, or
from the client secret (or private key) of the credentials the auth binds with
``RedisTokenCache.bind``. So every process that holds the client secret reads the shared
token and nobody else can. A value that does not decrypt (tampered, another key, garbage) is
a miss, and so is a value in the ``hpw1:`` format of earlier versions (HKDF key).

Single-flight across processes
------------------------------
``RedisTokenCache.fetch_lock`` takes ``SET <lock> <random owner> NX PX <lock_ttl>``.
Waiters subscribe to the notify channel and sleep until a message arrives or the lock's
remaining ``PTTL`` (at most ``poll_interval``) passes, then try again: no busy loop, and a
holder that died is replaced once its lock expires. A waiter that hears ``stored`` goes on
without the lock: the engine's re-read inside ``fetch_lock`` finds the new token, so the
waiters do not queue for the lock one after another. Waiting longer than ``lock_timeout``
raises [`StorageError`][httpx_pingone_worker.StorageError] (the auth engine then fetches without
the lock).

``lock_ttl`` is how long a lock outlives its holder, not how long a fetch may take: while
the lock is held it is renewed every ``lock_ttl / 3`` seconds (``PEXPIRE <lock> lock_ttl``
only if the lock still holds our owner token) by a daemon thread (``fetch_lock``, and
``afetch_lock`` without an asyncio client, e.g. under trio) or an asyncio task
(``afetch_lock`` with ``redis.asyncio``). So a holder sleeping on a token endpoint's
``Retry-After`` keeps the lock and the fleet does not stampede a throttled endpoint. A holder
that dies (the process, and with it the renewer) stops renewing, so its lock expires
``lock_ttl`` after its last renewal and a waiter takes over. Renewal stops when the lock is
released; if it finds the lock lost (another owner's value, or no key) it stops and logs one
``⛔`` warning; if Redis fails it stops and degraded mode applies (one ``⛔`` per episode).
A holder that hangs forever without dying keeps its lock: waiters give up after
``lock_timeout`` and fetch without it.

Degraded mode
-------------
Redis unreachable, slow (``socket_timeout``) or answering garbage: every operation acts as
a miss, writes are skipped and ``fetch_lock`` yields without locking, so requests still
succeed by fetching directly. One ``⛔`` line is logged per episode; Redis is tried again
after ``retry_interval`` seconds and sharing resumes by itself.

Why one module (over 1,000 lines, most of it one class): the sync and async paths of
``RedisTokenCache`` share one connection state (a client per event loop, the breaker, lock
renewal) and the degraded-mode rules above must hold on every path, so they are one class. The
value format is in ``_redis_codec`` and the breaker, lock renewal and error helpers in
``_redis_support``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import importlib.util
import logging
import math
import os
import re
import secrets as _secrets
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from httpx_pingone_worker._core._asynclib import current_async_library
from httpx_pingone_worker._core._errors import ConfigurationError, StorageError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._input import split_url
from httpx_pingone_worker._core._logging import EventKind, get_logger, log_event
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.credentials._credentials import ClientCredentials

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from httpx_pingone_worker.caches._redis_codec import (
    _NONCE_LEN,
    _VALUE_PREFIX,
    _aead,
    _decode_token,
    _encode_token,
    _unwrap,
    derive_encryption_key,
    is_legacy_value,
)
from httpx_pingone_worker.caches._redis_sentinel import (
    SENTINEL_SCHEMES,
    SentinelTarget,
    aclose_sentinels,
    close_sentinels,
    parse_sentinel_url,
    url_scheme,
)
from httpx_pingone_worker.caches._redis_support import (
    _aredis_errors,
    _Breaker,
    _close_dead_loop_client,
    _describe_client,
    _describe_target,
    _is_cluster_client,
    _is_stored,
    _LazyCluster,
    _redis_errors,
    _Renewal,
)

__all__ = ["RedisTokenCache"]

_KEY_NAMESPACE = "pingone:"

# Compare-and-delete: only the owner that set the lock removes it, then wakes the waiters.
# ARGV[3] is the publish command: ``publish``, or ``spublish`` (sharded) on a cluster.
_RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('del', KEYS[1])
    redis.call(ARGV[3], ARGV[2], 'released')
    return 1
end
return 0
"""

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

# Compare-and-renew: extend the lock's TTL only while it still holds our owner token.
_RENEW_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

_log = get_logger("cache.redis")

#: ``_aclient()``'s answer when no Redis client may be used on the running loop.
_NO_CLIENT: Any = object()


def _GONE() -> None:  # a dead weakref stand-in: "bound to no loop of ours"
    return None


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

        if not isinstance(key_prefix, str) or not key_prefix:
            raise ConfigurationError(
                "key_prefix must be a non-empty string",
                hint='use the default "pingone:" or a namespace such as "myapp:pingone:"',
            )
        for name, value in (
            ("lock_ttl", lock_ttl),
            ("lock_timeout", lock_timeout),
            ("poll_interval", poll_interval),
            ("socket_timeout", socket_timeout),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 < value < math.inf
            ):
                raise ConfigurationError(
                    f"{name} must be a positive, finite number of seconds, got {value!r}"
                )
        if isinstance(retry_interval, bool) or not isinstance(retry_interval, (int, float)):
            raise ConfigurationError(
                f"retry_interval must be a number of seconds, got {retry_interval!r}"
            )
        if not 0 <= retry_interval < math.inf:
            raise ConfigurationError(
                f"retry_interval must be a finite number >= 0, got {retry_interval!r}"
            )
        if not isinstance(cluster, bool):
            raise ConfigurationError(
                f"cluster must be True or False, got {cluster!r}",
                hint="cluster=True builds a redis.cluster.RedisCluster from the URL",
            )

        self._owns_sync = False
        self._url: str | None = None
        self._sentinel: SentinelTarget | None = None
        self._socket_timeout = float(socket_timeout)
        self._sync: Any | None = None
        self._async: Any | None = None
        self._async_by_loop: dict[int, tuple[Any, Any]] = {}  # id(loop) -> (loop, client)
        self._async_lock = threading.Lock()
        self._async_loop: Any = None  # weakref to the loop a passed-in async client serves
        self._warned_foreign_loop = False
        self._background: set[asyncio.Future[Any]] = set()  # shielded releases in flight

        self._cluster = False
        target = self._init_clients(url_or_client, async_client, cluster=cluster)
        # A Sentinel deployment's master can move (see _after_release).
        self._sentinel_managed = target.startswith(("redis+sentinel:", "rediss+sentinel:"))
        self._explicit: AESGCM | None = None
        self._key_source = "unbound"
        self._init_encryption(encryption_key, secret)
        self._bound: dict[str | None, AESGCM] = {}
        self._bound_lock = threading.Lock()

        self._prefix = key_prefix
        self._lock_ttl_ms = max(1, round(lock_ttl * 1000))
        self._lock_timeout = float(lock_timeout)
        self._poll = float(poll_interval)
        self._clock: Callable[[], float] = clock or time.time
        self._target = target
        self._breaker = _Breaker(float(retry_interval), target, on_recover=self._sweep_released)
        # (monotonic time, key, owner) of recent releases; see _sweep_released.
        self._released: collections.deque[tuple[float, str, str]] = collections.deque(maxlen=64)
        fork_register(self)

    def _after_fork(self) -> None:
        """In a forked child: fresh locks (a parent thread may have held one), no per-loop
        async clients (their sockets are the parent's), and a passed-in redis.asyncio client
        that already has connections is not used here (they are the parent's sockets: the
        sync client in a thread serves instead, or this process does without Redis). The
        sync client needs nothing: redis-py's pool reconnects in a new process by itself;
        renewal threads are not copied by a fork."""
        self._async_lock = threading.Lock()
        self._bound_lock = threading.Lock()
        self._breaker._lock = threading.Lock()
        self._async_by_loop = {}
        self._background = set()
        pool = getattr(self._async, "connection_pool", None)
        if pool is not None and (
            getattr(pool, "_available_connections", None)
            or getattr(pool, "_in_use_connections", None)
        ):
            self._async_loop = _GONE
            self._warned_foreign_loop = True

    def _init_clients(
        self, url_or_client: str | Any | None, async_client: Any | None, *, cluster: bool
    ) -> str:
        import redis.asyncio
        import redis.asyncio.cluster
        import redis.cluster

        import redis

        sync_types = (redis.Redis, redis.cluster.RedisCluster)
        async_types = (redis.asyncio.Redis, redis.asyncio.cluster.RedisCluster)
        if not isinstance(url_or_client, str) and cluster:
            raise ConfigurationError(
                "cluster=True applies to a URL only",
                hint="a redis.cluster.RedisCluster client you pass in is recognised by itself",
            )
        if isinstance(url_or_client, str):
            target = self._init_from_url(url_or_client, cluster=cluster)
        elif isinstance(url_or_client, async_types):
            self._async = url_or_client
            target = _describe_client(url_or_client)
        elif isinstance(url_or_client, sync_types):
            self._sync = url_or_client
            target = _describe_client(url_or_client)
        elif url_or_client is None:
            if async_client is None:
                raise ConfigurationError(
                    "RedisTokenCache needs a Redis URL or client",
                    hint='pass RedisTokenCache("redis://127.0.0.1:6379/0") or a redis.Redis',
                )
            target = _describe_client(async_client)
        else:
            raise ConfigurationError(
                "RedisTokenCache takes a URL, redis.Redis, redis.asyncio.Redis or a "
                f"RedisCluster of either kind, not {type(url_or_client).__name__}"
            )
        if async_client is not None:
            if not isinstance(async_client, async_types):
                raise ConfigurationError(
                    "async_client must be a redis.asyncio.Redis or "
                    f"redis.asyncio.cluster.RedisCluster, not {type(async_client).__name__}"
                )
            if self._async is not None:
                raise ConfigurationError(
                    "two async clients given",
                    hint="pass the async client either first or as async_client=, not both",
                )
            self._async = async_client
        if not isinstance(url_or_client, str):
            kinds = {_is_cluster_client(c) for c in (self._sync, self._async) if c is not None}
            if len(kinds) > 1:
                raise ConfigurationError(
                    "one client is a RedisCluster and the other is not",
                    hint="pass the sync and async clients of the same deployment",
                )
            self._cluster = kinds == {True}
        return target

    def _init_from_url(self, url: str, *, cluster: bool) -> str:
        import redis.cluster

        import redis

        url_or_client = url
        if not url_or_client.strip():
            raise ConfigurationError(
                "the Redis URL is empty", hint="pass e.g. redis://127.0.0.1:6379/0"
            )
        if url_scheme(url_or_client) in SENTINEL_SCHEMES:
            return self._init_from_sentinel_url(url_or_client, cluster=cluster)
        scheme = split_url(url_or_client, what="the Redis URL").scheme
        allowed = ("redis", "rediss") if cluster else ("redis", "rediss", "unix")
        if scheme not in allowed:
            raise ConfigurationError(
                f"unsupported Redis URL scheme {scheme!r}" + (" for a cluster" if cluster else ""),
                hint="use redis://host:port/db, rediss://… (TLS)"
                + (
                    " with cluster=True"
                    if cluster
                    else ", unix:///path/to/socket or redis+sentinel://host:26379/<service>"
                ),
            )
        _check_redis_url_options(url_or_client)
        self._url = url_or_client
        self._cluster = cluster
        if cluster:
            db = urlsplit(url_or_client).path.strip("/")
            if db not in ("", "0"):
                raise ConfigurationError(
                    f"a Redis Cluster has only database 0, the URL names {db!r}",
                    hint="drop the /<db> part of the URL (use key_prefix= to separate apps)",
                )
            options = self._client_options()
            self._sync = _LazyCluster(
                lambda: redis.cluster.RedisCluster.from_url(url_or_client, **options)
            )
        else:
            self._sync = redis.Redis.from_url(url_or_client, **self._client_options())
        self._owns_sync = True
        target = _describe_target(url_or_client)
        if cluster:
            target = target.replace("://", "+cluster://", 1)
        return target

    def _init_from_sentinel_url(self, url: str, *, cluster: bool) -> str:
        """A ``master_for`` client of redis-py's Sentinel support, built from the URL."""
        if cluster:
            raise ConfigurationError(
                "cluster=True does not apply to a Redis Sentinel URL",
                hint="a Sentinel deployment is one master with replicas: drop cluster=True",
            )
        self._sentinel = parse_sentinel_url(url)
        self._sync = self._sentinel.master(self._client_options(), self._client_options())
        self._owns_sync = True
        return self._sentinel.describe()

    def _init_encryption(self, encryption_key: bytes | None, secret: str | Secret | None) -> None:
        if encryption_key is not None and secret is not None:
            raise ConfigurationError(
                "pass encryption_key= or secret=, not both",
                hint="encryption_key is used as is; secret derives a key with scrypt",
            )
        if encryption_key is not None:
            if not isinstance(encryption_key, (bytes, bytearray)):
                raise ConfigurationError(
                    f"encryption_key must be bytes, not {type(encryption_key).__name__}",
                    hint="use os.urandom(32), or pass secret= to derive a key from a string",
                )
            if len(encryption_key) not in (16, 24, 32):
                raise ConfigurationError(
                    f"encryption_key must be 16, 24 or 32 bytes long, got {len(encryption_key)}",
                    hint="use os.urandom(32) (AES-256-GCM)",
                )
            self._explicit = _aead(bytes(encryption_key))
            self._key_source = "encryption_key"
        elif secret is not None:
            self._explicit = _aead(derive_encryption_key(secret))
            self._key_source = "secret"

    # --- configuration ----------------------------------------------------------------

    def _client_options(self, *, for_asyncio: bool = False) -> dict[str, Any]:
        """Options for the clients this cache builds from a URL (no retries: degrade instead).

        redis-py has one ``Retry`` class per I/O model: an asyncio client needs
        ``redis.asyncio.retry.Retry`` (redis-py 8.2 warns about the synchronous one, and a
        caller running with ``-W error`` would see that warning fail its token request).
        """
        from redis.backoff import NoBackoff

        if for_asyncio:
            from redis.asyncio.retry import Retry
        else:
            from redis.retry import Retry  # type: ignore[assignment]

        return {
            "socket_timeout": self._socket_timeout,
            "socket_connect_timeout": self._socket_timeout,
            "retry": Retry(NoBackoff(), 0),
        }

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
        if isinstance(credentials, ClientCredentials):
            material = credentials.client_secret or credentials.private_key
        elif isinstance(credentials, (str, Secret)):
            material = Secret(credentials)
        else:
            raise ConfigurationError(
                "bind() takes ClientCredentials or the client secret (str or Secret), "
                f"not {type(credentials).__name__}"
            )
        if material is None:  # pragma: no cover - ClientCredentials requires one
            raise ConfigurationError("credentials carry neither a client secret nor a private key")
        if cache_key is not None:
            self._id(cache_key)
        if self._explicit is not None:
            return
        aead = _aead(derive_encryption_key(material))
        with self._bound_lock:
            self._bound[cache_key] = aead
        if self._key_source == "unbound":
            self._key_source = "client secret"

    def _cipher(self, key: str) -> AESGCM:
        if self._explicit is not None:
            return self._explicit
        aead = self._bound.get(key) or self._bound.get(None)
        if aead is None:
            raise ConfigurationError(
                "RedisTokenCache has no encryption key",
                hint="pass encryption_key= or secret=, or give the cache to PingOneWorkerAuth "
                "(cache=...), which binds its client secret",
            )
        return aead

    # --- names ------------------------------------------------------------------------

    def _id(self, key: str) -> str:
        if not isinstance(key, str) or not key:
            raise TypeError(f"cache keys are non-empty strings, got {type(key).__name__}")
        return key[len(_KEY_NAMESPACE) :] if key.startswith(_KEY_NAMESPACE) else key

    # The entry id is a hash tag ({…}): a token, its lock and its channel live in one
    # cluster slot, so every script touches one node (and a single Redis does not care).

    def token_key(self, key: str) -> str:
        """The Redis key holding the encrypted token for cache key ``key``."""
        return f"{self._prefix}token:{{{self._id(key)}}}"

    def lock_key(self, key: str) -> str:
        """The Redis key of the fetch lock for cache key ``key``."""
        return f"{self._prefix}lock:{{{self._id(key)}}}"

    def notify_channel(self, key: str) -> str:
        """The pub/sub channel announcing stored tokens and released locks for ``key``
        (a sharded channel, ``SPUBLISH``/``SSUBSCRIBE``, on a cluster)."""
        return f"{self._prefix}notify:{{{self._id(key)}}}"

    @property
    def cluster(self) -> bool:
        """True when this cache talks to a Redis Cluster (sharded pub/sub, scripts)."""
        return self._cluster

    @property
    def _publish(self) -> str:
        return "spublish" if self._cluster else "publish"

    @property
    def degraded(self) -> bool:
        """True while Redis is considered unavailable (requests fetch tokens directly)."""
        return self._breaker.degraded

    # --- value codec (pure) -----------------------------------------------------------

    def _seal(self, key: str, token: Token) -> str:
        rkey = self.token_key(key)
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._cipher(key).encrypt(nonce, _encode_token(token), rkey.encode())
        return _VALUE_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _open(self, key: str, raw: object) -> Token | None:
        from cryptography.exceptions import InvalidTag

        aead = self._cipher(key)
        if raw is None:
            return None
        rkey = self.token_key(key)
        if is_legacy_value(raw):
            _log.debug("redis token entry %s is in the old hpw1 format; treated as a miss", rkey)
            return None
        try:
            blob = _unwrap(raw)
            plain = aead.decrypt(blob[:_NONCE_LEN], blob[_NONCE_LEN:], rkey.encode())
        except (ValueError, UnicodeError, binascii.Error, InvalidTag) as exc:
            log_event(
                EventKind.ERROR,
                "redis token entry unreadable (tampered, other key or garbage); treated as a miss",
                level=logging.WARNING,
                logger="cache.redis",
                type=type(exc).__name__,
                key=rkey,
            )
            return None
        token = _decode_token(plain)
        if token is None:
            log_event(
                EventKind.ERROR,
                "redis token entry has an unknown layout; treated as a miss",
                level=logging.WARNING,
                logger="cache.redis",
                key=rkey,
            )
        return token

    def _ttl_ms(self, token: Token) -> int:
        """Milliseconds the entry lives: until the token expires, never beyond its lifetime."""
        left = token.expires_at - self._clock()
        if left > token.expires_in:  # clocks disagree (e.g. a test clock): trust the lifetime
            left = float(token.expires_in)
        return math.floor(left * 1000)

    # --- sync API ---------------------------------------------------------------------

    def _sync_client(self) -> Any:
        if self._sync is None:
            raise ConfigurationError(
                "this RedisTokenCache has only an async client, and sync code used it",
                hint="pass a URL or a redis.Redis (plus async_client=) to use it from sync code",
            )
        return self._sync

    def get(self, key: str) -> Token | None:
        """The token stored under ``key``, or ``None`` (missing, unreadable or Redis down)."""
        client = self._sync_client()
        self._cipher(key)
        if not self._breaker.available():
            return None
        try:
            raw = client.get(self.token_key(key))
        except _redis_errors() as exc:
            self._breaker.failure(exc, "get")
            return None
        self._breaker.success()
        return self._open(key, raw)

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` encrypted, expiring with the token; wake processes waiting for it."""
        client = self._sync_client()
        value = self._seal(key, token)
        ttl = self._ttl_ms(token)
        if ttl <= 0 or not self._breaker.available():
            return
        try:
            if self._cluster:
                channel = self.notify_channel(key)
                client.eval(_STORE_LUA, 1, self.token_key(key), value, ttl, channel)
            else:
                pipe = client.pipeline(transaction=False)
                pipe.set(self.token_key(key), value, px=ttl)
                pipe.publish(self.notify_channel(key), "stored")
                pipe.execute()
        except _redis_errors() as exc:
            self._breaker.failure(exc, "set")
            return
        self._breaker.success()
        _log.debug("stored encrypted token in redis key=%s ttl=%ss", key, ttl // 1000)

    def delete(self, key: str) -> None:
        """Remove the entry under ``key`` (no error when it is absent or Redis is down)."""
        client = self._sync_client()
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
        client = self._sync_client()
        rkey = self.token_key(key)
        if not self._breaker.available():
            return False
        try:
            raw = client.get(rkey)
            held = self._open(key, raw)
            if held is None or held.access_token != token.access_token:
                return False
            deleted = client.eval(_DELETE_IF_LUA, 1, rkey, raw)
        except _redis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return False
        self._breaker.success()
        return bool(deleted)

    async def adelete_if(self, key: str, token: Token) -> bool:
        """Async ``delete_if``."""
        client = self._aclient()
        if client is _NO_CLIENT:
            return False
        if client is None:
            result: bool = await self._in_thread(self.delete_if, key, token)
            return result
        rkey = self.token_key(key)
        if not self._breaker.available():
            return False
        try:
            raw = await client.get(rkey)
            held = self._open(key, raw)
            if held is None or held.access_token != token.access_token:
                return False
            deleted = await client.eval(_DELETE_IF_LUA, 1, rkey, raw)
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "delete")
            return False
        self._breaker.success()
        return bool(deleted)

    def _wait_seconds(self, pttl: int, deadline: float) -> float:
        """How long a waiter sleeps before its next attempt (bounded by lock expiry)."""
        remaining = deadline - time.monotonic()
        lock_left = pttl / 1000 if pttl > 0 else 0.005
        return max(0.0, min(remaining, self._poll, lock_left + 0.005))

    def _timeout_error(self, key: str) -> StorageError:
        return StorageError(
            f"waited {self._lock_timeout:g}s for the Redis fetch lock {self.lock_key(key)}",
            hint="another process holds it for longer than expected; raise lock_timeout, "
            "or lower lock_ttl so that a stuck holder is replaced sooner",
        )

    def _acquire(self, key: str, owner: str, gone: threading.Event | None = None) -> bool:
        """Take the lock (True), or return False: degraded mode, a waiter that saw another
        process store a token (the caller's re-read finds it), or ``gone`` set (the async
        caller was cancelled: stop within ``poll_interval``); StorageError on timeout."""
        client = self._sync_client()
        if not self._breaker.available():
            return False
        lock, channel = self.lock_key(key), self.notify_channel(key)
        deadline = time.monotonic() + self._lock_timeout
        try:
            if client.set(lock, owner, nx=True, px=self._lock_ttl_ms):
                self._breaker.success()
                return True
            pubsub = self._pubsub(client)
            try:
                node = self._subscribe(client, pubsub, channel)
                while True:
                    if gone is not None and gone.is_set():
                        return False
                    # Subscribed first, then tried: a release between the two is not missed.
                    if client.set(lock, owner, nx=True, px=self._lock_ttl_ms):
                        self._breaker.success()
                        return True
                    wait = self._wait_seconds(int(client.pttl(lock)), deadline)
                    if wait <= 0:
                        raise self._timeout_error(key)
                    if node is None:
                        message = pubsub.get_message(timeout=wait)
                    else:
                        message = pubsub.get_sharded_message(timeout=wait, target_node=node)
                    if _is_stored(message):
                        return self._satisfied(key)
            finally:
                pubsub.close()
        except _redis_errors() as exc:
            self._breaker.failure(exc, "lock")
            self._clear_orphan(key, owner)
            return False

    def _clear_orphan(self, key: str, owner: str) -> None:
        """A lock attempt failed on our side (a timeout, a reset): its ``SET NX`` may still
        run when Redis resumes, leaving a lock nobody renews or releases, and the fleet would
        skip refreshes and wait for ``lock_ttl``. Compare-and-delete our owner token in the
        background, as the cancel path does (see ``_orphan_sweeps``)."""
        if self._sync is None:
            return
        threading.Thread(
            target=self._orphan_sweeps,
            args=(key, owner),
            name="pingone-redis-orphan-lock",
            daemon=True,
        ).start()

    def _orphan_deadline(self) -> float:
        return time.monotonic() + self._lock_ttl_ms / 1000

    def _orphan_sweeps(self, key: str, owner: str) -> None:
        """Compare-and-delete ``owner``'s lock until Redis has answered twice, ``poll_interval``
        apart (a late ``SET`` on another connection may run after the first answer), and never
        past ``lock_ttl``, when the lock would have expired anyway. Never raises."""
        client: Any = self._sync
        deadline = self._orphan_deadline()
        answered = 0
        while answered < 2 and time.monotonic() < deadline:
            try:
                client.eval(
                    _RELEASE_LUA, 1, self.lock_key(key), owner, self.notify_channel(key),
                    self._publish,
                )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - a sweeper stops quietly, never raises
                _log.debug("orphan lock sweep failed (%s); trying again", type(exc).__name__)
            else:
                answered += 1
            time.sleep(max(0.0, min(self._poll, deadline - time.monotonic())))

    def _aclear_orphan(self, client: Any, key: str, owner: str) -> None:
        """``_clear_orphan`` for an async attempt: the sync client's sweeper thread when
        there is one, else a task on this loop with the async client."""
        if self._sync is not None or not self._in_asyncio():
            self._clear_orphan(key, owner)
            return
        task = asyncio.ensure_future(self._aorphan_sweeps(client, key, owner))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _aorphan_sweeps(self, client: Any, key: str, owner: str) -> None:
        """Async ``_orphan_sweeps``."""
        deadline = self._orphan_deadline()
        answered = 0
        while answered < 2 and time.monotonic() < deadline:
            try:
                await client.eval(
                    _RELEASE_LUA, 1, self.lock_key(key), owner, self.notify_channel(key),
                    self._publish,
                )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - a sweeper stops quietly, never raises
                _log.debug("orphan lock sweep failed (%s); trying again", type(exc).__name__)
            else:
                answered += 1
            await asyncio.sleep(max(0.0, min(self._poll, deadline - time.monotonic())))

    def _pubsub(self, client: Any) -> Any:
        """A pub/sub object; on a cluster it keeps (un)subscribe confirmations, which
        ``_is_stored`` skips: redis-py 5.0's sharded reader with
        ``ignore_subscribe_messages`` drops every message, ``smessage`` included."""
        if self._cluster:
            return client.pubsub()
        return client.pubsub(ignore_subscribe_messages=True)

    def _subscribe(self, client: Any, pubsub: Any, channel: str) -> Any:
        """Listen on ``channel``; on a cluster, return the node to read sharded messages from
        (reading one node honours the timeout in every redis-py version)."""
        if not self._cluster:
            pubsub.subscribe(channel)
            return None
        pubsub.ssubscribe(channel)
        return client.get_node_from_key(channel)

    def _satisfied(self, key: str) -> bool:
        """Another process stored a token while we waited: go on without the lock."""
        self._breaker.success()
        _log.debug("token for %s stored by another process while waiting", key)
        return False

    def _release(self, key: str, owner: str) -> None:
        client = self._sync_client()
        try:
            released = client.eval(
                _RELEASE_LUA, 1, self.lock_key(key), owner, self.notify_channel(key), self._publish
            )
        except _redis_errors() as exc:
            self._breaker.failure(exc, "unlock")
            # The lock may outlive this failure (a connection reset after the delete did not
            # run, a Sentinel failover that promoted a replica holding it): sweep it.
            self._clear_orphan(key, owner)
            return
        self._after_release(key, owner)
        if not released:
            _log.debug("fetch lock %s had expired before release", self.lock_key(key))

    def _after_release(self, key: str, owner: str) -> None:
        """Remember a release (for `_sweep_released`); on a Sentinel deployment also
        compare-and-delete the lock again a few times within ``lock_ttl``: a lock taken on
        the master just before a failover reaches the promoted replica by replication, while
        its release, sent to the old master before the switch, does not, and no error shows
        it (the sentinels close every client connection, which redis-py reopens quietly)."""
        self._released.append((time.monotonic(), key, owner))
        if self._sentinel_managed and self._sync is not None:
            threading.Thread(
                target=self._late_sweeps,
                args=(key, owner),
                name="pingone-redis-orphan-lock",
                daemon=True,
            ).start()

    def _late_sweeps(self, key: str, owner: str) -> None:
        """Compare-and-delete ``owner``'s lock at growing intervals until ``lock_ttl`` has
        passed (then it would have expired anyway). Never raises."""
        client: Any = self._sync
        started = time.monotonic()
        lock_ttl = self._lock_ttl_ms / 1000
        for at in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0):
            wait = min(at, lock_ttl) - (time.monotonic() - started)
            if wait > 0:
                time.sleep(wait)
            if at >= lock_ttl:
                return
            try:
                client.eval(
                    _RELEASE_LUA, 1, self.lock_key(key), owner, self.notify_channel(key),
                    self._publish,
                )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - a sweeper never raises
                _log.debug("late lock sweep failed (%s)", type(exc).__name__)

    def _sweep_released(self) -> None:
        """Redis is reachable again after failures: compare-and-delete the locks released in
        the last ``lock_ttl``, in the background. A failover (Sentinel, or a managed Redis
        moving its primary) may have promoted a replica that got a lock by replication while
        its release went to the old master, still answering; that copy has no owner to
        renew or release it, and would hold the fleet back until it expired. Each owner
        token is random and ours, so deleting it again is harmless."""
        horizon = time.monotonic() - self._lock_ttl_ms / 1000
        for released_at, key, owner in list(self._released):
            if released_at >= horizon:
                self._clear_orphan(key, owner)

    @property
    def _renew_every(self) -> float:
        """Seconds between renewals of a held lock: a third of ``lock_ttl``."""
        return self._lock_ttl_ms / 3000

    def _renewal_ended(self, key: str, renewed: object, stopped: threading.Event) -> bool:
        """Judge one renewal: True to keep renewing; logs a lost lock once (unless released)."""
        if renewed:
            self._breaker.success()
            return True
        if not stopped.is_set():  # released meanwhile: the compare failing is expected
            log_event(
                EventKind.ERROR,
                "redis fetch lock lost while held (expired or taken over); stopped renewing, "
                "another process may fetch a token too",
                level=logging.WARNING,
                logger="cache.redis",
                key=self.lock_key(key),
            )
        return False

    def _renewal_failed(self, exc: BaseException, stopped: threading.Event) -> None:
        if stopped.is_set():
            _log.debug("fetch lock renewal failed after release (%s)", type(exc).__name__)
        elif isinstance(exc, _redis_errors()):
            self._breaker.failure(exc, "renew lock")
        else:  # garbage answer or a closed client: stop, say so once, never raise in a thread
            log_event(
                EventKind.ERROR,
                "redis fetch lock renewal failed; stopped renewing",
                level=logging.WARNING,
                logger="cache.redis",
                type=type(exc).__name__,
                target=self._target,
            )

    def _renew_loop(self, key: str, owner: str, stopped: threading.Event) -> None:
        """Renewal thread: compare-and-PEXPIRE every ``lock_ttl / 3`` until stopped or lost."""
        client = self._sync_client()
        lock = self.lock_key(key)
        while not stopped.wait(self._renew_every):
            if not self._breaker.available():  # degraded: leave Redis alone, let the lock expire
                _log.debug("redis unavailable; stopped renewing fetch lock %s", lock)
                return
            try:
                renewed = client.eval(_RENEW_LUA, 1, lock, owner, self._lock_ttl_ms)
            except Exception as exc:  # noqa: BLE001 - a renewer stops, it never raises
                self._renewal_failed(exc, stopped)
                return
            if not self._renewal_ended(key, renewed, stopped):
                return

    def _start_renewal(self, key: str, owner: str) -> _Renewal:
        return _Renewal(lambda stopped: self._renew_loop(key, owner, stopped))

    def _finish(self, key: str, owner: str, renewal: _Renewal) -> None:
        """Stop renewing (bounded wait for a renewal in flight), then release the lock."""
        renewal.join(self._socket_timeout + 1.0)
        self._release(key, owner)

    @contextmanager
    def _lock_cm(self, key: str) -> Iterator[None]:
        with self._held(key, wait=True):
            yield

    def _try_acquire(self, key: str, owner: str) -> bool | None:
        """One ``SET NX``: True (ours), False (another holds it), None (degraded)."""
        client = self._sync_client()
        if not self._breaker.available():
            return None
        try:
            taken = client.set(self.lock_key(key), owner, nx=True, px=self._lock_ttl_ms)
        except _redis_errors() as exc:
            self._breaker.failure(exc, "lock")
            self._clear_orphan(key, owner)
            return None
        self._breaker.success()
        return bool(taken)

    @contextmanager
    def _held(self, key: str, *, wait: bool) -> Iterator[bool]:
        """Hold the lock (renewed while held); yield whether the caller leads."""
        owner = _secrets.token_hex(16)
        state = self._acquire(key, owner) if wait else self._try_acquire(key, owner)
        held, lead = self._lead(state, wait=wait)
        renewal = self._start_renewal(key, owner) if held else None
        try:
            yield lead
        finally:
            if renewal is not None:
                self._finish(key, owner, renewal)

    def fetch_lock(self, key: str) -> AbstractContextManager[None]:
        """Hold the fleet-wide fetch lock for ``key`` (yields unlocked when Redis is down)."""
        self._id(key)
        return self._lock_cm(key)

    def try_fetch_lock(self, key: str) -> AbstractContextManager[bool]:
        """Take the fetch lock only if it is free, without waiting: yields True (held, or
        Redis down: go ahead alone) or False (another process holds it, e.g. it is
        refreshing the shared token: use the valid token you have)."""
        self._id(key)
        return self._held(key, wait=False)

    # --- async API --------------------------------------------------------------------

    def _async_client(self) -> Any | None:
        """The async client for the running loop, or None (then sync ops run in a thread)."""
        if self._async is not None:
            return self._async
        if self._url is None and self._sentinel is None:
            return None
        import redis.asyncio
        import redis.asyncio.cluster

        loop = asyncio.get_running_loop()
        with self._async_lock:
            entry = self._async_by_loop.get(id(loop))
            if entry is not None and entry[0] is loop:
                return entry[1]
            self._drop_dead_loops_locked()
            if self._sentinel is not None:
                options = self._client_options(for_asyncio=True)
                client = self._sentinel.amaster(options, self._client_options(for_asyncio=True))
            else:
                factory = (
                    redis.asyncio.cluster.RedisCluster if self._cluster else redis.asyncio.Redis
                )
                url = str(self._url)  # not None here: a URL, and not a Sentinel one
                client = factory.from_url(url, **self._client_options(for_asyncio=True))
            self._async_by_loop[id(loop)] = (loop, client)
            return client

    def _drop_dead_loops_locked(self) -> None:
        """Forget the clients of event loops that are closed, closing their sockets (their
        loop cannot run ``aclose()`` any more)."""
        for loop_id, (loop, client) in list(self._async_by_loop.items()):
            if loop.is_closed():
                del self._async_by_loop[loop_id]
                _close_dead_loop_client(client)

    @staticmethod
    def _in_asyncio() -> bool:
        return current_async_library() == "asyncio"

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in a worker thread. Cancelling the caller returns at once (asyncio and
        trio alike); the thread finishes on its own, so ``fn`` must tolerate being abandoned."""
        if self._in_asyncio():
            return await asyncio.to_thread(fn, *args)
        if current_async_library() == "trio":  # redis.asyncio does not run there: a thread
            import trio

            return await trio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
        return fn(*args)  # pragma: no cover - other event loops: short blocking call

    async def _shielded(self, make: Callable[[], Any]) -> None:
        """Await the coroutine ``make()`` returns to its end even if the caller is cancelled:
        a lock release must not be skipped because the scope that held the lock was
        cancelled. On trio in a shielded cancel scope; on asyncio in a task of its own (the
        caller's cancellation stops the wait, not the release). Every such coroutine is
        bounded by the socket timeouts."""
        if self._in_asyncio():
            task = asyncio.ensure_future(make())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            await asyncio.shield(task)
            return
        import trio

        with trio.CancelScope(shield=True):
            await make()

    def _aclient(self) -> Any | None:
        """The asyncio client to use, or None: run the sync method in a worker thread.

        A redis.asyncio client belongs to the loop it first served. On another loop (a
        second ``asyncio.run()``, pytest-asyncio's per-test loops) a passed-in client is
        replaced by the sync client in a thread when there is one; otherwise that loop does
        without Redis (misses, no lock: tokens are fetched directly) instead of failing with
        "Event loop is closed". Clients the cache makes from a URL are per loop anyway.
        """
        if not self._in_asyncio():
            return None
        if self._async is not None and not self._serves_this_loop():
            return None if self._sync is not None else _NO_CLIENT
        return self._async_client()

    def _serves_this_loop(self) -> bool:
        loop = asyncio.get_running_loop()
        with self._async_lock:
            bound = self._async_loop() if self._async_loop is not None else None
            if bound is loop:
                return True
            if self._async_loop is None:
                self._async_loop = weakref.ref(loop)
                return True
            warn, self._warned_foreign_loop = not self._warned_foreign_loop, True
        if warn:
            self._warn_foreign_loop()
        return False

    def _warn_foreign_loop(self) -> None:
        log_event(
            EventKind.ERROR,
            "the redis.asyncio client given to RedisTokenCache is used on another event "
            "loop than the one it was made on; tokens are not shared on this loop",
            level=logging.WARNING,
            logger="cache.redis",
            target=self._target,
            hint="pass a Redis URL (the cache makes one client per event loop) or a "
            "redis.Redis next to it, or make the client inside the loop that uses it",
        )

    async def aget(self, key: str) -> Token | None:
        """Async ``get``."""
        self._cipher(key)
        client = self._aclient()
        if client is _NO_CLIENT:
            return None
        if client is None:
            result: Token | None = await self._in_thread(self.get, key)
            return result
        if not self._breaker.available():
            return None
        try:
            raw = await client.get(self.token_key(key))
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "get")
            return None
        self._breaker.success()
        return self._open(key, raw)

    async def aset(self, key: str, token: Token) -> None:
        """Async ``set``."""
        client = self._aclient()
        if client is _NO_CLIENT:
            return
        if client is None:
            await self._in_thread(self.set, key, token)
            return
        value = self._seal(key, token)
        ttl = self._ttl_ms(token)
        if ttl <= 0 or not self._breaker.available():
            return
        try:
            if self._cluster:
                await client.eval(
                    _STORE_LUA, 1, self.token_key(key), value, ttl, self.notify_channel(key)
                )
            else:
                pipe = client.pipeline(transaction=False)
                pipe.set(self.token_key(key), value, px=ttl)
                pipe.publish(self.notify_channel(key), "stored")
                await pipe.execute()
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "set")
            return
        self._breaker.success()
        _log.debug("stored encrypted token in redis key=%s ttl=%ss", key, ttl // 1000)

    async def adelete(self, key: str) -> None:
        """Async ``delete``."""
        client = self._aclient()
        if client is _NO_CLIENT:
            return
        if client is None:
            await self._in_thread(self.delete, key)
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

    async def _aacquire(self, client: Any, key: str, owner: str) -> bool:
        if not self._breaker.available():
            return False
        lock, channel = self.lock_key(key), self.notify_channel(key)
        deadline = time.monotonic() + self._lock_timeout
        try:
            if await client.set(lock, owner, nx=True, px=self._lock_ttl_ms):
                self._breaker.success()
                return True
            if self._cluster and not hasattr(client, "pubsub"):
                return await self._apoll_lock(client, key, owner, deadline)
            pubsub = self._pubsub(client)
            try:
                node = None
                if self._cluster:
                    await pubsub.ssubscribe(channel)
                    node = client.get_node_from_key(channel)
                else:
                    await pubsub.subscribe(channel)
                while True:
                    if await client.set(lock, owner, nx=True, px=self._lock_ttl_ms):
                        self._breaker.success()
                        return True
                    wait = self._wait_seconds(int(await client.pttl(lock)), deadline)
                    if wait <= 0:
                        raise self._timeout_error(key)
                    if node is None:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=wait
                        )
                    else:
                        message = await pubsub.get_sharded_message(timeout=wait, target_node=node)
                    if _is_stored(message):
                        return self._satisfied(key)
            finally:
                await pubsub.aclose()
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "lock")
            self._aclear_orphan(client, key, owner)
            return False

    async def _apoll_lock(self, client: Any, key: str, owner: str, deadline: float) -> bool:
        """Wait for the lock without pub/sub (redis-py's asyncio RedisCluster before 5.1 has
        none): look again when the lock can have expired, at least every ``poll_interval``;
        a token value that changed meanwhile counts as ``stored``."""
        lock, rkey = self.lock_key(key), self.token_key(key)
        before = await client.get(rkey)
        while True:
            wait = self._wait_seconds(int(await client.pttl(lock)), deadline)
            if wait <= 0:
                raise self._timeout_error(key)
            await asyncio.sleep(wait)
            if await client.set(lock, owner, nx=True, px=self._lock_ttl_ms):
                self._breaker.success()
                return True
            now = await client.get(rkey)
            if now is not None and now != before:
                return self._satisfied(key)

    async def _arenew_loop(
        self, client: Any, key: str, owner: str, stop: asyncio.Event, stopped: threading.Event
    ) -> None:
        """Renewal task (asyncio client): compare-and-PEXPIRE every ``lock_ttl / 3``."""
        lock = self.lock_key(key)
        while True:
            try:
                await asyncio.wait_for(stop.wait(), self._renew_every)
            except asyncio.TimeoutError:
                pass
            else:
                return  # released
            if not self._breaker.available():
                _log.debug("redis unavailable; stopped renewing fetch lock %s", lock)
                return
            try:
                renewed = await client.eval(_RENEW_LUA, 1, lock, owner, self._lock_ttl_ms)
            except Exception as exc:  # noqa: BLE001 - a renewer stops, it never raises
                self._renewal_failed(exc, stopped)
                return
            if not self._renewal_ended(key, renewed, stopped):
                return

    async def _arelease(self, client: Any, key: str, owner: str) -> None:
        try:
            released = await client.eval(
                _RELEASE_LUA, 1, self.lock_key(key), owner, self.notify_channel(key), self._publish
            )
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "unlock")
            self._aclear_orphan(client, key, owner)  # as in _release
            return
        self._after_release(key, owner)
        if not released:
            _log.debug("fetch lock %s had expired before release", self.lock_key(key))

    async def _afinish(self, task: asyncio.Task[None], client: Any, key: str, owner: str) -> None:
        try:
            await task  # returns at once unless a renewal is in flight
        finally:
            await self._arelease(client, key, owner)

    async def _athread_acquire(self, key: str, owner: str) -> bool:
        """``_acquire`` in a worker thread that a cancelled caller abandons at once: the
        thread notices within ``poll_interval`` and stops, and a lock it took for a caller
        that is gone is released (by the thread, or here, whichever sees it last)."""
        gone = threading.Event()
        guard = threading.Lock()
        handed = [False]

        def take() -> bool:
            held = self._acquire(key, owner, gone)
            with guard:
                if not gone.is_set():
                    handed[0] = held
                    return held
            if held:
                self._release(key, owner)
            return False

        try:
            held: bool = await self._in_thread(take)
        except BaseException:
            with guard:
                gone.set()
                mine = handed[0]
            if mine:  # the thread handed the lock over just as we were cancelled
                await self._shielded(lambda: self._in_thread(self._release, key, owner))
            raise
        return held

    @asynccontextmanager
    async def _alock_cm(self, key: str) -> AsyncIterator[None]:
        async with self._aheld(key, wait=True):
            yield

    async def _atry_acquire(self, client: Any, key: str, owner: str) -> bool | None:
        """Async ``_try_acquire``."""
        if not self._breaker.available():
            return None
        try:
            taken = await client.set(self.lock_key(key), owner, nx=True, px=self._lock_ttl_ms)
        except _aredis_errors() as exc:
            self._breaker.failure(exc, "lock")
            self._aclear_orphan(client, key, owner)
            return None
        self._breaker.success()
        return bool(taken)

    @staticmethod
    def _lead(state: bool | None, *, wait: bool) -> tuple[bool, bool]:
        """(held, lead) from an acquisition's outcome."""
        if wait:
            return bool(state), True
        return state is True, state is not False

    @asynccontextmanager
    async def _aheld(self, key: str, *, wait: bool) -> AsyncIterator[bool]:
        client = self._aclient()
        owner = _secrets.token_hex(16)
        if client is _NO_CLIENT:  # a passed-in async client on a foreign loop: no lock
            yield True
            return
        if client is None:  # sync client in a worker thread (trio, or no asyncio client)
            if wait:
                held, lead = await self._athread_acquire(key, owner), True
            else:
                try:
                    tried = await self._in_thread(self._try_acquire, key, owner)
                except BaseException:
                    # Cancelled while the attempt ran: drop a lock it may have taken.
                    await self._shielded(lambda: self._in_thread(self._release, key, owner))
                    raise
                held, lead = self._lead(tried, wait=False)
            # Renewal starts only once we hold the lock here: a caller cancelled while
            # acquiring never leaves a renewed lock behind (an unrenewed one expires).
            renewal = self._start_renewal(key, owner) if held else None
            try:
                yield lead
            finally:
                if renewal is not None:
                    renewal.stop()  # no await: stops even if the release below is cancelled
                    fin = renewal
                    # Shielded: a cancelled holder still releases (else others wait lock_ttl).
                    await self._shielded(lambda: self._in_thread(self._finish, key, owner, fin))
            return
        try:
            if wait:
                state: bool | None = await self._aacquire(client, key, owner)
            else:
                state = await self._atry_acquire(client, key, owner)
        except BaseException:
            # Cancelled mid-acquire: SET NX may have reached Redis. Compare-and-delete with
            # our owner token removes it if so, and nothing else.
            await self._shielded(lambda: self._arelease(client, key, owner))
            raise
        held, lead = self._lead(state, wait=wait)
        stop, stopped = asyncio.Event(), threading.Event()
        task = (
            asyncio.create_task(self._arenew_loop(client, key, owner, stop, stopped))
            if held
            else None
        )
        try:
            yield lead
        finally:
            if task is not None:
                stopped.set()
                stop.set()
                renew_task = task
                await self._shielded(lambda: self._afinish(renew_task, client, key, owner))

    def afetch_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Async ``fetch_lock``."""
        self._id(key)
        return self._alock_cm(key)

    def atry_fetch_lock(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Async ``try_fetch_lock``."""
        self._id(key)
        return self._aheld(key, wait=False)

    # --- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync client this cache created (clients you passed in stay open), and
        the async clients it made for event loops that have ended."""
        if self._owns_sync and self._sync is not None:
            self._sync.close()
            if self._sentinel is not None:
                close_sentinels(self._sync)
        with self._async_lock:
            self._drop_dead_loops_locked()

    async def aclose(self) -> None:
        """Close the async client this cache created for the running event loop."""
        loop = asyncio.get_running_loop()
        with self._async_lock:
            entry = self._async_by_loop.pop(id(loop), None)
        if entry is not None:
            await entry[1].aclose()
            if self._sentinel is not None:
                await aclose_sentinels(entry[1])

    def __repr__(self) -> str:
        try:
            return (
                f"RedisTokenCache(target={self._target!r}, key_prefix={self._prefix!r}, "
                f"encryption={self._key_source!r}, degraded={self.degraded})"
            )
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "RedisTokenCache(<not initialised>)"


def _check_redis_url_options(url: str) -> None:
    """Parse the URL as redis-py will (now, also for a cluster's lazily built client), and
    turn its ``ValueError`` into a ``ConfigurationError`` that names the bad option but
    never the URL (it may carry a password). Raised outside the ``except`` block so redis-py's
    message is not kept as ``__context__``."""
    from redis.connection import parse_url

    problem: str | None = None
    try:
        parse_url(url)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError) as exc:
        found = re.search(r"Invalid value for '(\w{1,40})'", str(exc))
        problem = (
            f"its {found.group(1)} option has a value redis-py cannot use"
            if found
            else "redis-py cannot parse it"
        )
    if problem is not None:
        raise ConfigurationError(
            f"the Redis URL is not valid: {problem}",
            hint="use redis://[:password@]host[:port][/db][?option=value], e.g. "
            "redis://127.0.0.1:6379/0?socket_timeout=1 (the URL is not shown: it may hold "
            "a password)",
        )
