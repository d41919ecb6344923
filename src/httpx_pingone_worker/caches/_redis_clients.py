"""`RedisClients`: the Redis clients one `RedisTokenCache` talks through.

Built from what the user passed:

- a URL (`redis://`, `rediss://`, `unix://`): a `redis.Redis` made here, with short socket
  timeouts and no driver retries (a dead Redis costs milliseconds; the cache degrades
  instead of retrying), or with `cluster=True` a `redis.cluster.RedisCluster` made on first use
  (its constructor already asks a node for the slot map); the URL's options are checked now,
  as redis-py will parse them, without ever showing the URL (it may carry a password);
- a Sentinel URL (`redis+sentinel://`, see `_redis_sentinel`): redis-py's `master_for`
  clients;
- clients (`redis.Redis`, `redis.asyncio.Redis`, either kind of `RedisCluster`, a Sentinel's
  `master_for(...)` client): used as they are; a sync and an async client must belong to the
  same kind of deployment.

Async callers: a cache built from a URL makes one `redis.asyncio` client per event loop (a
redis.asyncio client belongs to the loop it first served), and forgets and closes those of
loops that have ended. A passed-in async client serves the loop it first met; on another loop
the sync client in a worker thread serves instead, or, without one, that loop does without
Redis (`NO_CLIENT`: misses, no lock) after one warning. Under trio (redis.asyncio does not run
there) the sync client serves in a worker thread (`in_thread`).

After a fork: fresh locks, no per-loop clients (their sockets are the parent's), and a
passed-in async client that already has connections is not used in the child. The sync client
needs nothing: redis-py's pool reconnects in a new process by itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from httpx_pingone_worker._core._asynclib import current_async_library
from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._input import split_url
from httpx_pingone_worker._core._logging import EventKind, log_event
from httpx_pingone_worker.caches._redis_sentinel import (
    SENTINEL_SCHEMES,
    SentinelTarget,
    aclose_sentinels,
    close_sentinels,
    parse_sentinel_url,
    url_scheme,
)
from httpx_pingone_worker.caches._redis_support import (
    _close_dead_loop_client,
    _describe_client,
    _describe_target,
    _is_cluster_client,
    _LazyCluster,
)

__all__ = ["NO_CLIENT", "RedisClients", "in_asyncio", "in_thread"]

#: `RedisClients.aclient()`'s answer when no Redis client may be used on the running loop.
NO_CLIENT: Any = object()


def _GONE() -> None:  # a dead weakref stand-in: "bound to no loop of ours"
    return None


def in_asyncio() -> bool:
    """True inside an asyncio task (redis.asyncio clients can serve it)."""
    return current_async_library() == "asyncio"


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn` in a worker thread. Cancelling the caller returns at once (asyncio and trio
    alike); the thread finishes on its own, so `fn` must tolerate being abandoned."""
    if in_asyncio():
        return await asyncio.to_thread(fn, *args)
    if current_async_library() == "trio":  # redis.asyncio does not run there: a thread
        import trio

        return await trio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
    return fn(*args)  # pragma: no cover - other event loops: short blocking call


class RedisClients:
    """The sync client, the async client(s) and what they talk to (see the module)."""

    def __init__(
        self,
        url_or_client: str | Any | None,
        async_client: Any | None,
        *,
        cluster: bool,
        socket_timeout: float,
    ) -> None:
        self.owns_sync = False
        self.url: str | None = None
        self.sentinel: SentinelTarget | None = None
        self.socket_timeout = socket_timeout
        self.sync: Any | None = None
        self.async_: Any | None = None  # a passed-in redis.asyncio client
        self.by_loop: dict[int, tuple[Any, Any]] = {}  # id(loop) -> (loop, client)
        self._lock = threading.Lock()
        self._async_loop: Any = None  # weakref to the loop a passed-in async client serves
        self._warned_foreign_loop = False
        self.cluster = False
        #: The deployment, for logs and repr (no user name or password).
        self.target = self._init_clients(url_or_client, async_client, cluster=cluster)
        fork_register(self)

    @property
    def sentinel_managed(self) -> bool:
        """True for a Sentinel deployment built from a URL (its master can move)."""
        return self.target.startswith(("redis+sentinel:", "rediss+sentinel:"))

    def _after_fork(self) -> None:
        """In a forked child: a fresh lock (a parent thread may have held it), no per-loop
        async clients (their sockets are the parent's), and a passed-in redis.asyncio client
        that already has connections is not used here (they are the parent's sockets: the
        sync client in a thread serves instead, or this process does without Redis)."""
        self._lock = threading.Lock()
        self.by_loop = {}
        pool = getattr(self.async_, "connection_pool", None)
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
            self.async_ = url_or_client
            target = _describe_client(url_or_client)
        elif isinstance(url_or_client, sync_types):
            self.sync = url_or_client
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
            if self.async_ is not None:
                raise ConfigurationError(
                    "two async clients given",
                    hint="pass the async client either first or as async_client=, not both",
                )
            self.async_ = async_client
        if not isinstance(url_or_client, str):
            kinds = {_is_cluster_client(c) for c in (self.sync, self.async_) if c is not None}
            if len(kinds) > 1:
                raise ConfigurationError(
                    "one client is a RedisCluster and the other is not",
                    hint="pass the sync and async clients of the same deployment",
                )
            self.cluster = kinds == {True}
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
        self.url = url_or_client
        self.cluster = cluster
        if cluster:
            db = urlsplit(url_or_client).path.strip("/")
            if db not in ("", "0"):
                raise ConfigurationError(
                    f"a Redis Cluster has only database 0, the URL names {db!r}",
                    hint="drop the /<db> part of the URL (use key_prefix= to separate apps)",
                )
            options = self.options()
            self.sync = _LazyCluster(
                lambda: redis.cluster.RedisCluster.from_url(url_or_client, **options)
            )
        else:
            self.sync = redis.Redis.from_url(url_or_client, **self.options())
        self.owns_sync = True
        target = _describe_target(url_or_client)
        if cluster:
            target = target.replace("://", "+cluster://", 1)
        return target

    def _init_from_sentinel_url(self, url: str, *, cluster: bool) -> str:
        """A `master_for` client of redis-py's Sentinel support, built from the URL."""
        if cluster:
            raise ConfigurationError(
                "cluster=True does not apply to a Redis Sentinel URL",
                hint="a Sentinel deployment is one master with replicas: drop cluster=True",
            )
        self.sentinel = parse_sentinel_url(url)
        self.sync = self.sentinel.master(self.options(), self.options())
        self.owns_sync = True
        return self.sentinel.describe()

    def options(self, *, for_asyncio: bool = False) -> dict[str, Any]:
        """Options for the clients built from a URL (no retries: degrade instead).

        redis-py has one `Retry` class per I/O model: an asyncio client needs
        `redis.asyncio.retry.Retry` (redis-py 8.2 warns about the synchronous one, and a
        caller running with `-W error` would see that warning fail its token request).
        """
        from redis.backoff import NoBackoff

        if for_asyncio:
            from redis.asyncio.retry import Retry
        else:
            from redis.retry import Retry  # type: ignore[assignment]

        return {
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.socket_timeout,
            "retry": Retry(NoBackoff(), 0),
        }

    def sync_client(self) -> Any:
        """The sync client; a `ConfigurationError` when there is only an async one."""
        if self.sync is None:
            raise ConfigurationError(
                "this RedisTokenCache has only an async client, and sync code used it",
                hint="pass a URL or a redis.Redis (plus async_client=) to use it from sync code",
            )
        return self.sync

    def aclient(self) -> Any | None:
        """The asyncio client to use, or None: run the sync method in a worker thread.

        A redis.asyncio client belongs to the loop it first served. On another loop (a
        second `asyncio.run()`, pytest-asyncio's per-test loops) a passed-in client is
        replaced by the sync client in a thread when there is one; otherwise that loop does
        without Redis (`NO_CLIENT`: misses, no lock: tokens are fetched directly) instead of
        failing with "Event loop is closed". Clients made from a URL are per loop anyway.
        """
        if not in_asyncio():
            return None
        if self.async_ is not None and not self._serves_this_loop():
            return None if self.sync is not None else NO_CLIENT
        return self._for_this_loop()

    def _for_this_loop(self) -> Any | None:
        """The async client for the running loop, or None (then sync ops run in a thread)."""
        if self.async_ is not None:
            return self.async_
        if self.url is None and self.sentinel is None:
            return None
        import redis.asyncio
        import redis.asyncio.cluster

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self.by_loop.get(id(loop))
            if entry is not None and entry[0] is loop:
                return entry[1]
            self._drop_dead_loops_locked()
            if self.sentinel is not None:
                options = self.options(for_asyncio=True)
                client = self.sentinel.amaster(options, self.options(for_asyncio=True))
            else:
                factory = (
                    redis.asyncio.cluster.RedisCluster if self.cluster else redis.asyncio.Redis
                )
                url = str(self.url)  # not None here: a URL, and not a Sentinel one
                client = factory.from_url(url, **self.options(for_asyncio=True))
            self.by_loop[id(loop)] = (loop, client)
            return client

    def _drop_dead_loops_locked(self) -> None:
        """Forget the clients of event loops that are closed, closing their sockets (their
        loop cannot run `aclose()` any more)."""
        for loop_id, (loop, client) in list(self.by_loop.items()):
            if loop.is_closed():
                del self.by_loop[loop_id]
                _close_dead_loop_client(client)

    def _serves_this_loop(self) -> bool:
        loop = asyncio.get_running_loop()
        with self._lock:
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
            target=self.target,
            hint="pass a Redis URL (the cache makes one client per event loop) or a "
            "redis.Redis next to it, or make the client inside the loop that uses it",
        )

    def close(self) -> None:
        """Close the sync client made here (clients passed in stay open), and the async
        clients made for event loops that have ended."""
        if self.owns_sync and self.sync is not None:
            self.sync.close()
            if self.sentinel is not None:
                close_sentinels(self.sync)
        with self._lock:
            self._drop_dead_loops_locked()

    async def aclose(self) -> None:
        """Close the async client made for the running event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self.by_loop.pop(id(loop), None)
        if entry is not None:
            await entry[1].aclose()
            if self.sentinel is not None:
                await aclose_sentinels(entry[1])


def _check_redis_url_options(url: str) -> None:
    """Parse the URL as redis-py will (now, also for a cluster's lazily built client), and
    turn its `ValueError` into a `ConfigurationError` that names the bad option but
    never the URL (it may carry a password). Raised outside the `except` block so redis-py's
    message is not kept as `__context__`."""
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
