"""``EncryptedFileTokenCache``: one token, many processes, one token request.

Each cache key maps to two files in the cache directory (default
``platformdirs.user_cache_dir("httpx-pingone-worker") / "tokens"``, or
``$PINGONE_WORKER_CACHE_DIR``, or ``path=``):

```text
<sha256(key)>.token   AES-256-GCM(JSON token), written atomically, 0600
<sha256(key)>.lock    filelock lock file for the fetch
```

How the auth engine uses it (see ``_cache``): a fresh token is read with ``get``,
which never takes a lock (``os.replace`` makes every read see a whole file). On a miss, the
engine takes ``fetch_lock``, reads again (another process may have fetched meanwhile),
fetches only if still needed and ``set``-s the result. So N processes with an empty
cache make one token request.

Stale locks: filelock uses OS locks (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows) that the kernel drops when the holding process dies, so a crashed process never
leaves a lock behind; the ``.lock`` file that may remain on disk is not the lock. Only on
file systems without OS locking does filelock fall back to a lock file's existence; a lock
left there by a dead process costs each waiter ``lock_timeout`` seconds, after which
``fetch_lock`` raises ``StorageError`` and the engine fetches without the lock.

A corrupted, truncated or foreign-key ``.token`` file is a miss with a WARNING log line,
and the next ``set`` replaces it.

Expired entries clean themselves up
-----------------------------------
A ``.token`` file's modification time is the token's expiry (set before the atomic rename).
Every ``set`` then sweeps the directory (``sweep``): files whose time is still ahead
are live and skipped with one ``stat``; the others are opened to confirm the expiry (a file
this key cannot read goes once it is ``LEFTOVER_AGE`` seconds past its time). So expired
tokens are gone no later than the next write to the same directory, and a host that rotates
through many apps and scopes keeps only live entries. The read path never sweeps and never
locks.

The sweep takes no lock either. It renames an expired file to a unique ``.sweep`` name and
deletes it only if it is still the file it judged (same inode and time); if a writer replaced
it in between, the live file is put back (``os.link``, which never overwrites an even newer
one). A reader racing that moment may see a miss for a few microseconds; it then takes the
fetch lock and reads again, as on any miss. Leftovers of crashed writers (``.tmp``) go after
``LEFTOVER_AGE`` seconds, and a ``.lock`` file whose token is gone goes once it has been
unused that long and can be taken without waiting (on the rare race with a process that
opened it at that very moment, two processes may fetch once each).

One cohesive thing (over 400 lines): one cache class whose read, write, lock and sweep paths
share the file format and the race rules above, in sync and async form; the at-rest crypto is
in ``credentials/_crypto``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from httpx_pingone_worker._core._asynclib import current_time, sleep, to_thread
from httpx_pingone_worker._core._errors import StorageError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._input import BadJSON, check_path, parse_json
from httpx_pingone_worker._core._logging import EventKind, get_logger, log_event
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import Token, token_document, token_from_document
from httpx_pingone_worker.credentials._crypto import (
    APP_NAME,
    atomic_write,
    ensure_private_directory,
    load_key,
    parse_key,
)
from httpx_pingone_worker.credentials._crypto import seal as _seal
from httpx_pingone_worker.credentials._crypto import unseal as _unseal

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_LOCK_TIMEOUT",
    "LEFTOVER_AGE",
    "CacheEntry",
    "EncryptedFileTokenCache",
    "default_cache_directory",
]

#: Environment variable overriding the token cache directory.
CACHE_DIR_ENV = "PINGONE_WORKER_CACHE_DIR"

_MAGIC = b"HPWT1"
_TOKEN_SUFFIX = ".token"
_LOCK_SUFFIX = ".lock"
_POLL_INTERVAL = 0.05  # seconds between lock attempts, as filelock does
#: Default seconds ``EncryptedFileTokenCache.fetch_lock`` waits for another process's
#: fetch: longer than a fetch retrying under the default policy can take.
DEFAULT_LOCK_TIMEOUT = 60.0
#: Seconds before the sweep removes what it cannot judge by content: unreadable token files
#: (past their time), crashed writers' temporary files, unused lock files without a token.
LEFTOVER_AGE = 600.0
_SWEEP_SUFFIX = ".sweep"
_TMP_SUFFIX = ".tmp"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One file of the token cache as ``EncryptedFileTokenCache.entries`` sees it: never
    the token, only its fingerprint (first 8 hex characters of its SHA-256)."""

    #: The file name without ``.token`` (a hash of the cache key).
    name: str
    #: Fingerprint of the token, or ``None`` when this key cannot read the file.
    fingerprint: str | None
    #: Epoch seconds the token expires (for an unreadable file: the file's time).
    expires_at: float
    expired: bool
    readable: bool


_log = get_logger("cache.file")


def default_cache_directory() -> Path:
    """``$PINGONE_WORKER_CACHE_DIR`` or the platform's user cache directory + ``tokens``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return check_path(override, what=CACHE_DIR_ENV)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "tokens"


class EncryptedFileTokenCache:
    """A token cache on disk, encrypted, shared safely by every process of a host.

    Implements [`TokenCache`][httpx_pingone_worker.TokenCache], its async twins (``aget`` …, run in
    a worker thread so the event loop never blocks on the disk; ``afetch_lock`` polls) and
    ``fetch_lock``/``afetch_lock`` (cross-process single-flight through ``filelock``).

    - ``path``: the cache directory (created 0700); default ``$PINGONE_WORKER_CACHE_DIR`` or
      the platform's user cache directory.
    - ``key``: a 256-bit key (32 bytes, or as text: ``hpw-key-v1:`` + URL-safe base64);
      default: kept in the OS keyring (service ``httpx-pingone-worker``), or a 0600 key file
      in ``path`` where no keyring exists. Every process sharing the cache must use the same
      key.
    - ``lock_timeout``: seconds ``fetch_lock`` waits before raising
      ``StorageError`` (then the engine fetches without the lock). The default,
      ``DEFAULT_LOCK_TIMEOUT`` (60 s), outlasts a holder that is retrying under the
      default [`RetryPolicy`][httpx_pingone_worker.RetryPolicy] (30 s budget, 10 s request
      timeout, plus discovery): with a shorter one, waiters would give up while the holder
      waits out a ``429 Retry-After`` and every process would hit the throttled endpoint.
      A dead holder costs nothing here (the kernel drops its lock at once).

    Tokens are sealed with AES-256-GCM; the file name is the hash of the cache key and the
    raw token exists only inside the ciphertext. Writes are atomic and 0600. ``get``/``set``
    never raise for I/O trouble: a cache must not break requests; problems are logged.
    """

    # Its arguments (a secret, a key, a URL with a password) stay out of an error's traceback.
    @sealed_frames
    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        key: str | bytes | Secret | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)):
            raise StorageError(
                f"lock_timeout must be a number of seconds, not {type(lock_timeout).__name__}"
            )
        if not lock_timeout >= 0 or lock_timeout == math.inf:
            raise StorageError(
                f"lock_timeout must be a finite number >= 0, not {lock_timeout}",
                hint="use 0 to fail at once when another process is fetching",
            )
        self._dir = ensure_private_directory(
            check_path(path, what="EncryptedFileTokenCache path")
            if path is not None
            else default_cache_directory()
        )
        self._key = (
            parse_key(key, source="EncryptedFileTokenCache key")
            if key is not None
            else load_key(self._dir, "tokens", create=True)
        )
        self._lock_timeout = float(lock_timeout)
        self._held: set[Any] = set()  # lock objects held now (for the fork reset)
        fork_register(self)

    @property
    def path(self) -> Path:
        """The cache directory."""
        return self._dir

    @property
    def lock_timeout(self) -> float:
        """Seconds ``fetch_lock`` waits for another process."""
        return self._lock_timeout

    def _stem(self, key: str) -> str:
        if not isinstance(key, str) or not key:
            raise TypeError(f"cache key must be a non-empty str, not {type(key).__name__}")
        return hashlib.sha256(key.encode()).hexdigest()[:40]

    def token_path(self, key: str) -> Path:
        """The file that holds the token for ``key``."""
        return self._dir / (self._stem(key) + _TOKEN_SUFFIX)

    def lock_path(self, key: str) -> Path:
        """The lock file ``fetch_lock`` uses for ``key``."""
        return self._dir / (self._stem(key) + _LOCK_SUFFIX)

    # --- TokenCache -------------------------------------------------------------------

    def get(self, key: str) -> Token | None:
        """The token stored under ``key``, or ``None`` (missing or unreadable: never raises)."""
        path = self.token_path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn(path, f"cannot read it ({type(exc).__name__})")
            return None
        try:
            plaintext = _unseal(self._key, _MAGIC, path.name, blob, path=path, what="token cache")
        except StorageError as exc:
            self._warn(path, exc.message)
            return None
        token = _decode_token(plaintext, key)
        if token is None:
            self._warn(path, "it holds no usable token for this key")
        return token

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` under ``key`` (atomic replace; failures are logged, not raised),
        then remove expired entries (``sweep``)."""
        if not isinstance(token, Token):
            raise TypeError(f"set() takes a Token, not {type(token).__name__}")
        path = self.token_path(key)
        blob = _seal(self._key, _MAGIC, path.name, _encode_token(key, token))
        try:
            atomic_write(path, blob, mtime=token.expires_at)
        except StorageError as exc:
            log_event(
                EventKind.ERROR,
                "could not store token in file cache",
                level=logging.WARNING,
                logger="cache.file",
                error=exc.message,
            )
            return
        log_event(
            EventKind.CACHE,
            "stored token",
            level=logging.DEBUG,
            logger="cache.file",
            key=key,
            ttl=f"{token.expires_in}s",
        )
        self.sweep(keep=key)

    def delete(self, key: str) -> None:
        """Remove the entry under ``key``, if any (failures are logged, not raised)."""
        path = self.token_path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            _log.warning("could not delete token cache file %s (%s)", path, type(exc).__name__)

    def delete_if(self, key: str, token: Token) -> bool:
        """Remove the entry only if it still holds ``token``, under the fetch lock (which the
        engine holds for every token it writes), so a token another process stored
        meanwhile stays. When the lock cannot be taken within ``lock_timeout`` nothing is
        deleted (the auth has already dropped the token from memory; a process that reads
        it gets its own 401 and deletes it then)."""
        try:
            with self.fetch_lock(key):
                held = self.get(key)
                if held is None or held.access_token != token.access_token:
                    return False
                self.delete(key)
                return True
        except StorageError as exc:
            _log.warning("token cache compare-and-delete skipped: %s", exc.message)
            return False

    async def adelete_if(self, key: str, token: Token) -> bool:
        """``delete_if`` in a worker thread."""
        return await to_thread(self.delete_if, key, token)

    def clear(self, *, expired_only: bool = False) -> int:
        """Remove every cached token, or only expired ones; return how many were removed
        (lock files stay: they may be held right now)."""
        if expired_only:
            return self.sweep()
        removed = 0
        for path in self._dir.glob("*" + _TOKEN_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        return removed

    # --- housekeeping -----------------------------------------------------------------

    def _read_any(self, path: Path) -> Token | None:
        """The token in ``path`` whatever its cache key, or ``None`` (no warning)."""
        try:
            blob = path.read_bytes()
            plaintext = _unseal(self._key, _MAGIC, path.name, blob, path=path, what="token cache")
            doc = parse_json(plaintext)  # bounded depth and size: a sealed entry is input too
        except (OSError, StorageError, BadJSON):
            return None
        doc_key = doc.get("key") if isinstance(doc, Mapping) else None
        if not isinstance(doc_key, str) or not doc_key or self.token_path(doc_key) != path:
            return None
        return _token_from_doc(doc, doc_key)

    def entries(self) -> list[CacheEntry]:
        """What the cache holds: fingerprints and expiry only (for ``pingone-worker cache``)."""
        now = time.time()
        found = []
        for path in sorted(self._dir.glob("*" + _TOKEN_SUFFIX)):
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue
            token = self._read_any(path)
            expires_at = token.expires_at if token is not None else mtime
            found.append(
                CacheEntry(
                    name=path.name[: -len(_TOKEN_SUFFIX)],
                    fingerprint=token.fingerprint if token is not None else None,
                    expires_at=expires_at,
                    expired=expires_at <= now,
                    readable=token is not None,
                )
            )
        return found

    def sweep(self, *, keep: str | None = None) -> int:
        """Remove expired tokens and leftovers; return how many token files went.

        ``keep``: a cache key whose entry stays whatever its expiry (``set`` keeps what it
        just wrote: the caller's clock may differ from this host's). Never raises and never
        takes a lock: an expired file is renamed away and deleted only if it is still the
        file it judged (a live file a writer put there meanwhile is put back); leftovers of
        crashed writers go after ``LEFTOVER_AGE`` seconds.
        """
        kept = self.token_path(keep).name if keep is not None else None
        now = time.time()
        removed = 0
        try:
            with os.scandir(self._dir) as it:
                names = [entry.name for entry in it]
        except OSError:
            return 0
        present = set(names)
        for name in names:
            path = self._dir / name
            try:
                if name == kept:
                    continue
                if name.endswith(_TOKEN_SUFFIX) and not name.startswith("."):
                    removed += self._sweep_token(path, now)
                elif name.startswith(".") and name.endswith((_TMP_SUFFIX, _SWEEP_SUFFIX)):
                    if path.stat().st_mtime < now - LEFTOVER_AGE:
                        path.unlink()
                elif name.endswith(_LOCK_SUFFIX) and not name.startswith("."):
                    stem = name[: -len(_LOCK_SUFFIX)]
                    if stem + _TOKEN_SUFFIX not in present:
                        self._sweep_lock(path, now)
            except OSError:  # vanished meanwhile, or not ours to remove: leave it
                continue
        if removed:
            _log.debug("removed %d expired token(s) from %s", removed, self._dir)
        return removed

    def _sweep_token(self, path: Path, now: float) -> int:
        seen = path.stat()
        if seen.st_mtime > now:  # its time (the token's expiry) is ahead: live
            return 0
        token = self._read_any(path)
        if token is not None:
            if token.expires_at > now:  # written by a version that did not set the time
                return 0
        elif seen.st_mtime > now - LEFTOVER_AGE:  # unreadable: give it a while
            return 0
        return self._remove_if_unchanged(path, seen)

    def _remove_if_unchanged(self, path: Path, seen: os.stat_result) -> int:
        """Delete ``path`` only if it is still the file ``seen`` described (lock-free)."""
        tomb = path.with_name(f".{path.name}.{secrets.token_hex(4)}{_SWEEP_SUFFIX}")
        try:
            os.rename(path, tomb)
        except FileNotFoundError:
            return 0
        now = os.stat(tomb)
        if (now.st_ino, now.st_dev, now.st_mtime_ns) == (
            seen.st_ino,
            seen.st_dev,
            seen.st_mtime_ns,
        ):
            os.unlink(tomb)
            return 1
        # A writer replaced it between our look and the rename: put the live entry back,
        # unless an even newer one is already there.
        with contextlib.suppress(FileExistsError):
            os.link(tomb, path)
        os.unlink(tomb)
        return 0

    def _sweep_lock(self, path: Path, now: float) -> None:
        import filelock

        if path.stat().st_mtime > now - LEFTOVER_AGE:
            return
        lock = filelock.FileLock(str(path), timeout=0, mode=0o600, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except (filelock.Timeout, OSError):
            return  # in use right now
        try:
            path.unlink()
        finally:
            lock.release()

    # --- AsyncTokenCache --------------------------------------------------------------

    async def aget(self, key: str) -> Token | None:
        """``get`` in a worker thread."""
        return await to_thread(self.get, key)

    async def aset(self, key: str, token: Token) -> None:
        """``set`` in a worker thread."""
        await to_thread(self.set, key, token)

    async def adelete(self, key: str) -> None:
        """``delete`` in a worker thread."""
        await to_thread(self.delete, key)

    # --- SupportsFetchLock ------------------------------------------------------------

    def _new_lock(self, key: str) -> Any:
        import filelock

        # A fresh lock object per acquisition: filelock objects are reentrant, so a shared one
        # would let a second holder in. With one object each, two holders in one process
        # (threads, tasks, auth instances) exclude each other because each opens its own file
        # descriptor (flock locks belong to the open file, not to the process or thread).
        return filelock.FileLock(
            str(self.lock_path(key)), timeout=self._lock_timeout, mode=0o600, thread_local=False
        )

    def _timeout_error(self, key: str, exc: BaseException) -> StorageError:
        import filelock

        path = self.lock_path(key)
        # filelock.Timeout is a TimeoutError, itself an OSError: test for it first.
        if not isinstance(exc, filelock.Timeout):
            return StorageError(
                f"cannot open the token cache lock {path} ({type(exc).__name__})",
                path=str(path),
                hint="check the cache directory's permissions",
            )
        return StorageError(
            f"timed out after {self._lock_timeout:g}s waiting for the token cache lock {path}",
            path=str(path),
            hint="another process is fetching a token; raise lock_timeout if fetches are slow",
        )

    @contextlib.contextmanager
    def fetch_lock(self, key: str) -> Iterator[None]:
        """Hold the cross-process lock for ``key`` (``StorageError`` after ``lock_timeout``)."""
        import filelock

        lock = self._new_lock(key)
        try:
            lock.acquire()
        except (filelock.Timeout, OSError) as exc:
            raise self._timeout_error(key, exc) from None
        self._touch(key)
        self._held.add(lock)
        try:
            yield
        finally:
            self._held.discard(lock)
            lock.release()

    @contextlib.contextmanager
    def try_fetch_lock(self, key: str) -> Iterator[bool]:
        """Take the lock for ``key`` only if it is free, without waiting: yields True (held,
        or the lock cannot be used at all: go ahead alone) or False (another process holds
        it, e.g. it is refreshing the shared token: use the valid token you have)."""
        import filelock

        lock = self._new_lock(key)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            yield False
            return
        except OSError:
            yield True
            return
        self._touch(key)
        try:
            yield True
        finally:
            lock.release()

    @contextlib.asynccontextmanager
    async def atry_fetch_lock(self, key: str) -> AsyncIterator[bool]:
        """Async ``try_fetch_lock`` (one non-blocking attempt: never waits)."""
        with self.try_fetch_lock(key) as lead:
            yield lead

    @contextlib.asynccontextmanager
    async def afetch_lock(self, key: str) -> AsyncIterator[None]:
        """``fetch_lock`` for async code: the event loop never waits on the lock.

        Non-blocking attempts alternate with sleeps on the event loop (filelock itself polls
        the same way), so a cancelled waiter stops at once and never ends up holding the lock.
        """
        import filelock

        lock = self._new_lock(key)
        deadline = current_time() + self._lock_timeout
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except filelock.Timeout as exc:
                if current_time() >= deadline:
                    raise self._timeout_error(key, exc) from None
            except OSError as exc:
                raise self._timeout_error(key, exc) from None
            await sleep(_POLL_INTERVAL)
        self._touch(key)
        self._held.add(lock)
        try:
            yield
        finally:
            self._held.discard(lock)
            lock.release()

    def _touch(self, key: str) -> None:
        """Mark the lock file as used now (the sweep leaves recently used lock files alone)."""
        with contextlib.suppress(OSError):
            os.utime(self.lock_path(key))

    # --- fork -------------------------------------------------------------------------

    def _after_fork(self) -> None:
        """In a forked child: let go of the lock descriptors inherited from the parent.

        An ``flock`` lock belongs to the open file, which a fork shares: through an
        inherited descriptor a child could unlock the parent's lock (a release in the child
        unlocks the shared open file). The child forgets the parent's held locks; filelock 4
        closes inherited descriptors itself, with older versions they are closed here
        (closed, never unlocked).
        """
        held, self._held = self._held, set()
        import filelock

        if int(filelock.__version__.split(".")[0]) >= 4:
            return
        for lock in held:
            context: Any = getattr(lock, "_context", None)
            fd = getattr(context, "lock_file_fd", None)
            if isinstance(fd, int):
                with contextlib.suppress(OSError):
                    os.close(fd)
                context.lock_file_fd = None
                context.lock_counter = 0

    # --- misc -------------------------------------------------------------------------

    def _warn(self, path: Path, problem: str) -> None:
        log_event(
            EventKind.CACHE,
            "ignoring unreadable token cache entry; the next token replaces it",
            level=logging.WARNING,
            logger="cache.file",
            file=str(path),
            problem=problem,
        )

    def __repr__(self) -> str:
        path = getattr(self, "_dir", None)
        timeout = getattr(self, "_lock_timeout", None)
        if path is None or timeout is None:  # half-built (__init__ raised): still repr'd
            return "EncryptedFileTokenCache(<not initialised>)"
        return f"EncryptedFileTokenCache(path={str(path)!r}, lock_timeout={timeout:g})"

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "EncryptedFileTokenCache refuses to be pickled: it holds its encryption key. "
            "Create one per process with the same path (and key)."
        )


def _encode_token(key: str, token: Token) -> bytes:
    doc = {"v": 1, "key": key, **token_document(token)}
    return json.dumps(doc, separators=(",", ":")).encode()


def _decode_token(plaintext: bytes, key: str) -> Token | None:
    try:
        doc = parse_json(plaintext)
    except BadJSON:
        return None
    return _token_from_doc(doc, key)


def _token_from_doc(doc: Any, key: str) -> Token | None:
    """The token of a decrypted entry, or ``None`` for anything but the exact format written
    by ``_encode_token`` (a sealed entry may still hold garbage: a bug, a foreign writer
    with the key, a bit flip before sealing)."""
    if not isinstance(doc, Mapping) or doc.get("v") != 1 or doc.get("key") != key:
        return None
    return token_from_document(doc)
