"""Token caches: the ``TokenCache`` protocol and the in-memory default.

Contract every backend follows (the auth engine relies on it):

- ``get(key)`` returns the stored ``Token`` or ``None``; it never raises for a
  missing, expired or unreadable entry (a corrupt entry is a miss, logged).
- ``set(key, token)`` stores it; ``delete(key)`` removes it (no error when absent).
- Keys come from ``cache_key``: issuer/token endpoint + client id + sorted scopes,
  hashed, never containing the raw secret.
- Optional async twins ``aget``/``aset``/``adelete`` (see ``AsyncTokenCache``): the async
  auth flow uses them when present, else calls the sync methods (fine for memory; backends
  that do blocking I/O should provide them).
- Optional cross-process single-flight (see ``SupportsFetchLock``): ``fetch_lock(key)``
  and ``afetch_lock(key)`` are context managers held around "re-read the cache, fetch if
  still needed, store". With them, N processes with an empty cache make one token request.
  A lock that cannot be taken within the backend's timeout raises
  [`StorageError`][httpx_pingone_worker.StorageError]; the engine then fetches without it
  (availability beats deduplication).
- Optional atomic compare-and-delete: ``delete_if(key, token)`` (and ``adelete_if``) removes
  the entry only if it still holds ``token`` (same access token) and returns whether it did.
  The auth uses it after a 401, so a worker never deletes the fresh token another worker
  stored meanwhile. Memory: under its lock; Redis: a Lua script comparing the stored value;
  file cache: under its fetch lock (the lock every token write of the engine holds). A cache
  without it gets ``get`` then ``delete``, which is not atomic.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Protocol, runtime_checkable

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._token import Token

__all__ = [
    "AsyncTokenCache",
    "MemoryTokenCache",
    "SupportsFetchLock",
    "TokenCache",
    "cache_key",
]


@runtime_checkable
class TokenCache(Protocol):
    """Where tokens are kept between requests (and, for shared backends, between processes)."""

    def get(self, key: str) -> Token | None:
        """Return the token stored under ``key``, or ``None``."""
        ...

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the entry under ``key`` if there is one."""
        ...


@runtime_checkable
class AsyncTokenCache(Protocol):
    """Async twins a backend with blocking I/O provides for the async auth flow."""

    async def aget(self, key: str) -> Token | None: ...

    async def aset(self, key: str, token: Token) -> None: ...

    async def adelete(self, key: str) -> None: ...


@runtime_checkable
class SupportsFetchLock(Protocol):
    """A backend that can serialise token fetches across processes."""

    def fetch_lock(self, key: str) -> AbstractContextManager[None]: ...

    def afetch_lock(self, key: str) -> AbstractAsyncContextManager[None]: ...


def cache_key(token_endpoint: str, client_id: str, scopes: Iterable[str] = ()) -> str:
    """Stable cache key: ``pingone:<sha256(endpoint|client_id|sorted scopes)[:32]>``.

    Hashing keeps keys short and file/Redis-safe; the secret is never part of a key.
    """
    material = "\n".join([token_endpoint.rstrip("/"), client_id, " ".join(sorted(set(scopes)))])
    return "pingone:" + hashlib.sha256(material.encode()).hexdigest()[:32]


class MemoryTokenCache:
    """Thread-safe in-process cache, the default (one per ``PingOneWorkerAuth``).

    Share one instance between auth objects to share tokens inside a process.
    ``max_entries`` bounds memory; the least recently used entry goes first.
    """

    def __init__(self, *, max_entries: int = 1024) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError(
                f"max_entries must be an int of at least 1, not {max_entries!r}",
                hint="the default is 1024 tokens",
            )
        self._max = max_entries
        self._data: OrderedDict[str, Token] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Token | None:
        with self._lock:
            token = self._data.get(key)
            if token is not None:
                self._data.move_to_end(key)
            return token

    def set(self, key: str, token: Token) -> None:
        with self._lock:
            self._data[key] = token
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def delete_if(self, key: str, token: Token) -> bool:
        """Remove the entry only if it is ``token`` (atomic compare-and-delete)."""
        with self._lock:
            held = self._data.get(key)
            if held is None or held.access_token != token.access_token:
                return False
            del self._data[key]
            return True

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        try:
            return f"MemoryTokenCache(entries={len(self._data)}, max_entries={self._max})"
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "MemoryTokenCache(<not initialised>)"
