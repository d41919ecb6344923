"""`GuardedCache`: one auth object's view of its token cache, where a broken cache is a miss.

The cache is the user's (memory, file, Redis or their own): it may be down, slow, full or
buggy. The token engine must not fail because of it, so every call goes through here:

- a read that raises is a miss (the caller fetches);
- a write or a delete that raises is logged and forgotten (the token is still usable from
  memory; a compare-and-delete the cache could not do leaves a token that the next 401
  rejects again);
- a fetch lock the cache cannot take (a `StorageError`) is fetched without: one extra token
  request across a fleet beats a process that cannot get a token at all.

The sync and async twins live side by side; a cache without async methods (memory, or one of
your own) is called directly from the async ones. This module does the cache's I/O, which is
why it is apart from the sans-IO decisions (`_engine.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError, StorageError
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.caches._memory import AsyncTokenCache, SupportsFetchLock, TokenCache

__all__ = ["GuardedCache"]

_log = get_logger("auth")


def _read_failed(exc: BaseException) -> None:
    _log.warning("token cache read failed (%s); treating as a miss", type(exc).__name__)


def _write_failed(exc: BaseException) -> None:
    _log.warning("token cache write failed (%s)", type(exc).__name__)


def _delete_failed(exc: BaseException) -> None:
    _log.warning("token cache delete failed (%s)", type(exc).__name__)


def _lock_failed(exc: BaseException) -> None:
    _log.warning(
        "could not take the cache's fetch lock (%s); fetching without it", type(exc).__name__
    )


def _try_lock_failed(exc: BaseException) -> None:
    _log.warning("could not try the cache's fetch lock (%s)", type(exc).__name__)


#: What the library's own cache classes can do, by exact type: protocol checks look every
#: method up on each call, and the default `MemoryTokenCache` is built with every auth.
_OWN_CAPABILITIES: dict[type, tuple[bool, bool]] = {}


def _capabilities(cache: object) -> tuple[bool, bool]:
    """``(locking, async)`` of a token cache; a `ConfigurationError` for what is none."""
    kind = type(cache)
    known = _OWN_CAPABILITIES.get(kind)
    if known is not None:
        return known
    if isinstance(cache, type):
        raise ConfigurationError(
            f"cache must be a token cache instance, not the class {cache.__name__}",
            hint=f"call it: cache={cache.__name__}(...)",
        )
    if not isinstance(cache, TokenCache):
        raise ConfigurationError(
            f"cache must be a token cache (get, set and delete methods), not {kind.__name__}",
            hint="pass MemoryTokenCache(), EncryptedFileTokenCache(path), "
            "RedisTokenCache(url) or an object with get/set/delete; omit it for the default",
        )
    found = (isinstance(cache, SupportsFetchLock), isinstance(cache, AsyncTokenCache))
    if kind.__module__.startswith("httpx_pingone_worker."):  # no per-instance methods
        _OWN_CAPABILITIES[kind] = found
    return found


class GuardedCache:
    """The token cache of one auth object under one key, never raising on a broken cache."""

    __slots__ = ("async_cache", "cache", "key", "locking")

    def __init__(self, cache: TokenCache, key: str) -> None:
        self.cache = cache
        self.key = key
        #: The cache serialises fetches across processes (file, Redis, or your own); it has
        #: async twins of its methods.
        self.locking, self.async_cache = _capabilities(cache)

    def bind(self, material: Secret | None) -> None:
        """Give a cache that encrypts with a key derived from the secret (`RedisTokenCache`)
        the secret (or private key) of this auth, for this auth's key only."""
        bind = getattr(self.cache, "bind", None)
        if callable(bind) and material is not None:
            bind(material, cache_key=self.key)

    # -- sync -------------------------------------------------------------------------------

    def get(self, key: str) -> Token | None:
        """The token under `key` (a flow's `CacheRead` names it), `None` on a miss or error."""
        try:
            return self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - a broken cache is a miss
            _read_failed(exc)
            return None

    def set(self, key: str, token: Token) -> None:
        """Store `token` under `key`; a failure leaves the token usable from memory."""
        try:
            self.cache.set(key, token)
        except Exception as exc:  # noqa: BLE001 - the token is still usable from memory
            _write_failed(exc)

    def delete_if(self, token: Token | None) -> None:
        """Delete this auth's entry if it holds `token` (compare-and-delete when the cache
        has `delete_if`); with `token` None, delete it whatever it holds."""
        try:
            delete_if = getattr(self.cache, "delete_if", None)
            if token is not None and callable(delete_if):
                delete_if(self.key, token)  # atomic compare-and-delete
                return
            if token is not None:  # a cache without delete_if: get, then delete (not atomic)
                cached = self.cache.get(self.key)
                if cached is None or cached.access_token != token.access_token:
                    return
            self.cache.delete(self.key)
        except Exception as exc:  # noqa: BLE001 - a broken cache must not break callers
            _delete_failed(exc)

    @contextlib.contextmanager
    def fetch_lock(self) -> Iterator[None]:
        """The cache's fetch lock (waited for); nothing for a cache without one."""
        with contextlib.ExitStack() as stack:
            if self.locking:
                try:
                    stack.enter_context(self.cache.fetch_lock(self.key))  # type: ignore[attr-defined]
                except StorageError as exc:
                    _lock_failed(exc)
            yield

    @contextlib.contextmanager
    def lead_lock(self, *, refresh: bool) -> Iterator[bool]:
        """The cache's lock for leading a fetch or a refresh; yields False when another
        process holds it and this is a refresh (a valid token is in hand: use it, do not wait).

        A fetch (no valid token) waits for the fetch lock. A refresh asks a cache with
        `try_fetch_lock` (file, Redis, or your own) once, without waiting, so across a fleet
        exactly one process refreshes a shared token and nobody else waits; a cache with only
        `fetch_lock` is waited for (a waiter then re-reads the cache and finds the new token).
        """
        trying = getattr(self.cache, "try_fetch_lock", None) if refresh else None
        if trying is None:
            with self.fetch_lock():
                yield True
            return
        with contextlib.ExitStack() as stack:
            try:
                lead = bool(stack.enter_context(trying(self.key)))
            except StorageError as exc:
                _try_lock_failed(exc)
                lead = True
            yield lead

    # -- async ------------------------------------------------------------------------------

    async def aget(self, key: str) -> Token | None:
        """Async `get` (the cache's `aget` when it has one)."""
        if not self.async_cache:
            return self.get(key)
        try:
            return await self.cache.aget(key)  # type: ignore[attr-defined, no-any-return]
        except Exception as exc:  # noqa: BLE001 - a broken cache is a miss
            _read_failed(exc)
            return None

    async def aset(self, key: str, token: Token) -> None:
        """Async `set` (the cache's `aset` when it has one)."""
        if not self.async_cache:
            self.set(key, token)
            return
        try:
            await self.cache.aset(key, token)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the token is still usable from memory
            _write_failed(exc)

    async def adelete_if(self, token: Token | None) -> None:
        """Async `delete_if` (the cache's `adelete_if` / `adelete` when it has them)."""
        if not self.async_cache:
            self.delete_if(token)
            return
        cache: Any = self.cache
        try:
            adelete_if = getattr(cache, "adelete_if", None)
            if token is not None and callable(adelete_if):
                await adelete_if(self.key, token)  # atomic compare-and-delete
                return
            if token is not None:
                cached = await cache.aget(self.key)
                if cached is None or cached.access_token != token.access_token:
                    return
            await cache.adelete(self.key)
        except Exception as exc:  # noqa: BLE001 - a broken cache must not break callers
            _delete_failed(exc)

    @contextlib.asynccontextmanager
    async def afetch_lock(self) -> AsyncIterator[None]:
        """Async `fetch_lock`."""
        async with contextlib.AsyncExitStack() as stack:
            if self.locking:
                try:
                    await stack.enter_async_context(
                        self.cache.afetch_lock(self.key)  # type: ignore[attr-defined]
                    )
                except StorageError as exc:
                    _lock_failed(exc)
            yield

    @contextlib.asynccontextmanager
    async def alead_lock(self, *, refresh: bool) -> AsyncIterator[bool]:
        """Async `lead_lock` (the cache's `atry_fetch_lock` for a refresh)."""
        trying = getattr(self.cache, "atry_fetch_lock", None) if refresh else None
        if trying is None:
            async with self.afetch_lock():
                yield True
            return
        async with contextlib.AsyncExitStack() as stack:
            try:
                lead = bool(await stack.enter_async_context(trying(self.key)))
            except StorageError as exc:
                _try_lock_failed(exc)
                lead = True
            yield lead
