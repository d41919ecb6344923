"""``--emulator --cache file``: the file cache, with keys scoped to one emulator instance.

An emulator's tokens are signed with keys of that emulator object and known only to it; a
later run (a new process, a new emulator) has other keys, so a token cached by the last run
fails with "JWT signature is invalid". The cache key of the auth (token endpoint, client id,
scopes) is the same for every emulator with the same seed, so the console adds the emulator
instance to every key it stores under: runs that share one emulator object share its tokens,
other runs never see them. This holds whether the emulator's signing keys are random or
derived from its seed.
"""

from __future__ import annotations

import contextlib
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from httpx_pingone_worker.caches._file import EncryptedFileTokenCache

if TYPE_CHECKING:
    from httpx_pingone_worker._core._token import Token
    from httpx_pingone_worker.emulator import PingOneEmulator

__all__ = ["EmulatorScopedFileCache", "emulator_instance_id"]

_INSTANCES: weakref.WeakKeyDictionary[PingOneEmulator, str] = weakref.WeakKeyDictionary()


def emulator_instance_id(emulator: PingOneEmulator) -> str:
    """A random id of this emulator object, the same for as long as it lives."""
    found = _INSTANCES.get(emulator)
    if found is None:
        found = _INSTANCES.setdefault(emulator, uuid.uuid4().hex)
    return found


class EmulatorScopedFileCache(EncryptedFileTokenCache):
    """An ``EncryptedFileTokenCache`` whose every key names one emulator instance.

    The scoping is idempotent (a key already scoped stays as it is), so the base class's own
    calls between its methods (``delete_if`` → ``fetch_lock`` → ``get``) see the same key.
    """

    def __init__(self, path: str | Path | None, *, instance: str) -> None:
        super().__init__(path)
        self._suffix = f"#emulator:{instance}"

    def _scoped(self, key: str) -> str:
        if not isinstance(key, str) or not key or key.endswith(self._suffix):
            return key  # the base class rejects a bad key with its own message
        return key + self._suffix

    def token_path(self, key: str) -> Path:
        return super().token_path(self._scoped(key))

    def lock_path(self, key: str) -> Path:
        return super().lock_path(self._scoped(key))

    def get(self, key: str) -> Token | None:
        return super().get(self._scoped(key))

    def set(self, key: str, token: Token) -> None:
        super().set(self._scoped(key), token)

    def delete(self, key: str) -> None:
        super().delete(self._scoped(key))

    def delete_if(self, key: str, token: Token) -> bool:
        return super().delete_if(self._scoped(key), token)

    async def adelete_if(self, key: str, token: Token) -> bool:
        return await super().adelete_if(self._scoped(key), token)

    async def aget(self, key: str) -> Token | None:
        return await super().aget(self._scoped(key))

    async def aset(self, key: str, token: Token) -> None:
        await super().aset(self._scoped(key), token)

    async def adelete(self, key: str) -> None:
        await super().adelete(self._scoped(key))

    @contextlib.contextmanager
    def fetch_lock(self, key: str) -> Iterator[None]:
        with super().fetch_lock(self._scoped(key)):
            yield

    @contextlib.contextmanager
    def try_fetch_lock(self, key: str) -> Iterator[bool]:
        with super().try_fetch_lock(self._scoped(key)) as won:
            yield won

    @contextlib.asynccontextmanager
    async def afetch_lock(self, key: str) -> AsyncIterator[None]:
        async with super().afetch_lock(self._scoped(key)):
            yield

    @contextlib.asynccontextmanager
    async def atry_fetch_lock(self, key: str) -> AsyncIterator[bool]:
        async with super().atry_fetch_lock(self._scoped(key)) as won:
            yield won

    def sweep(self, *, keep: str | None = None) -> int:
        return super().sweep(keep=None if keep is None else self._scoped(keep))
