"""Support of the Redis token cache: the names of its keys, error classes, client
descriptions, the breaker that puts the cache in degraded mode, the fetch-lock renewal thread,
and closing clients of dead loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._logging import EventKind, get_logger, log_event

_log = get_logger("cache.redis")

_KEY_NAMESPACE = "pingone:"


def check_settings(
    *,
    key_prefix: object,
    lock_ttl: object,
    lock_timeout: object,
    poll_interval: object,
    socket_timeout: object,
    retry_interval: object,
    cluster: object,
) -> None:
    """`RedisTokenCache`'s settings other than its clients and keys, or a
    `ConfigurationError` saying which one is wrong and what it takes."""
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


class RedisKeys:
    """The Redis names of one cache's entries: `<prefix>token:{<id>}`, `<prefix>lock:{<id>}`
    and the channel `<prefix>notify:{<id>}`, where `<id>` is the cache key without its
    `pingone:` namespace.

    The entry id is a hash tag (`{…}`): a token, its lock and its channel live in one
    cluster slot, so every script touches one node (and a single Redis does not care).
    """

    __slots__ = ("prefix",)

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @staticmethod
    def id(key: str) -> str:
        """The entry id of cache key `key` (a `TypeError` for anything but a non-empty str)."""
        if not isinstance(key, str) or not key:
            raise TypeError(f"cache keys are non-empty strings, got {type(key).__name__}")
        return key[len(_KEY_NAMESPACE) :] if key.startswith(_KEY_NAMESPACE) else key

    def token(self, key: str) -> str:
        """The key holding the encrypted token."""
        return f"{self.prefix}token:{{{self.id(key)}}}"

    def lock(self, key: str) -> str:
        """The key of the fetch lock."""
        return f"{self.prefix}lock:{{{self.id(key)}}}"

    def channel(self, key: str) -> str:
        """The pub/sub channel announcing stored tokens and released locks."""
        return f"{self.prefix}notify:{{{self.id(key)}}}"


def _describe_target(url: str) -> str:
    """A URL without user name or password, for logs and repr."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _is_cluster_client(client: Any) -> bool:
    import redis.asyncio.cluster
    import redis.cluster

    return isinstance(client, (redis.cluster.RedisCluster, redis.asyncio.cluster.RedisCluster))


def _describe_client(client: Any) -> str:
    from httpx_pingone_worker.caches._redis_sentinel import describe_sentinel_client

    sentinel = describe_sentinel_client(client)
    if sentinel is not None:
        return sentinel
    if _is_cluster_client(client):
        nodes = getattr(getattr(client, "nodes_manager", None), "startup_nodes", None)
        first = next(iter(nodes.values()), None) if isinstance(nodes, dict) else None
        if first is None:  # pragma: no cover - a cluster client always has startup nodes
            return "redis-cluster"
        return f"redis-cluster://{first.host}:{first.port}"
    try:
        kwargs = client.connection_pool.connection_kwargs
    except AttributeError:  # pragma: no cover - unusual client objects
        return type(client).__name__
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisClusterException

    import redis

    # RedisClusterException (no reachable node, slot not covered) is not a RedisError.
    return (redis.RedisError, RedisClusterException, OSError, asyncio.TimeoutError)


class _LazyCluster:
    """A sync ``RedisCluster`` made on first use: its constructor already asks a node for the
    slot map, so an unreachable cluster at start-up is degraded mode, not a crash."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
        return getattr(self._client, name)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def _aredis_errors() -> tuple[type[BaseException], ...]:
    """Failures of a redis.asyncio client: also ``RuntimeError`` ("Event loop is closed",
    "attached to a different loop"), which a client used on a second event loop raises; the
    cache degrades instead of failing the request."""
    return (*_redis_errors(), RuntimeError)


def _close_dead_loop_client(client: Any) -> None:
    """Close the sockets of a redis.asyncio client whose event loop is closed.

    ``aclose()`` needs the dead loop, so this is best effort with what asyncio and redis-py
    leave reachable: mark each transport closing (``abort()``; its wake-up call fails on the
    closed loop), close the socket under it, and detach the streams so neither the
    transport nor the connection complains about being unclosed when collected.
    """
    from httpx_pingone_worker.caches._redis_sentinel import sentinel_clients

    for sentinel in sentinel_clients(client):  # a master_for client's sentinel connections
        _close_dead_loop_client(sentinel)
    pool = getattr(client, "connection_pool", None)
    conns = [
        *getattr(pool, "_available_connections", ()),
        *getattr(pool, "_in_use_connections", ()),
    ]
    for conn in conns:
        transport = getattr(getattr(conn, "_writer", None), "transport", None)
        try:
            if transport is not None:
                with contextlib.suppress(RuntimeError):  # "Event loop is closed"
                    transport.abort()
                raw = getattr(transport, "_sock", None)
                if isinstance(raw, socket.socket):
                    transport._sock = None
                    raw.close()
            conn._reader = conn._writer = None
        except Exception:  # noqa: BLE001 - best effort on a dead loop's connection
            _log.debug("could not close a connection of a closed event loop's Redis client")


def _is_stored(message: Any) -> bool:
    """True for a pub/sub ``stored`` message (bytes or, with decode_responses, str);
    ``smessage`` is the sharded (cluster) form."""
    if not isinstance(message, dict) or message.get("type") not in (
        "message",
        "smessage",
        b"message",
        b"smessage",
    ):
        return False
    return message.get("data") in (b"stored", "stored")


class _Breaker:
    """Degraded-mode switch: after a Redis failure, skip Redis for ``interval`` seconds.
    ``on_recover`` runs (must not block or raise) when Redis answers again after failures."""

    def __init__(
        self, interval: float, target: str, *, on_recover: Callable[[], None] | None = None
    ) -> None:
        self._interval = interval
        self._target = target
        self._on_recover = on_recover
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        fork_register(self)

    def _after_fork(self) -> None:
        """A fresh lock in a forked child (a parent thread may have held it)."""
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self._down

    def available(self) -> bool:
        return not self._down or time.monotonic() >= self._retry_at

    def failure(self, exc: BaseException, operation: str) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + self._interval
        if first:
            # Type only: a driver message may echo a URL with a password in it.
            log_event(
                EventKind.ERROR,
                "redis token cache unavailable; fetching tokens directly until it returns",
                level=logging.WARNING,
                logger="cache.redis",
                type=type(exc).__name__,
                operation=operation,
                target=self._target,
                retry_in=f"{self._interval:g}s",
            )
        else:
            _log.debug("redis still unavailable (%s during %s)", type(exc).__name__, operation)

    def success(self) -> None:
        if self._down:
            self._recover()

    def _recover(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        if not was_down:  # another thread logged the recovery
            return
        if self._on_recover is not None:
            self._on_recover()
        log_event(
            EventKind.CACHE,
            "redis token cache reachable again; sharing tokens",
            logger="cache.redis",
            target=self._target,
        )


class _Renewal:
    """The daemon thread that keeps one held fetch lock alive until ``stop``."""

    def __init__(self, target: Callable[[threading.Event], None]) -> None:
        self.stopped = threading.Event()
        self._thread = threading.Thread(
            target=target, args=(self.stopped,), name="pingone-redis-lock-renewal", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Tell the thread to stop (no I/O: safe in a cancelled async context)."""
        self.stopped.set()

    def join(self, timeout: float) -> None:
        """Stop and wait (bounded) until a renewal in flight has finished."""
        self.stopped.set()
        self._thread.join(timeout)
