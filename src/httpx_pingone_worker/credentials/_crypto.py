"""At-rest encryption shared by the credential store and the encrypted file token cache.

Keys (256-bit, text form ``hpw-key-v1:…``) live in the OS keyring (service
``httpx-pingone-worker``) through ``keyring``. Where no usable backend exists (headless Linux:
``keyring.backends.fail``, an empty chainer, a backend that errors or does not keep what it
is given) a key goes to a 0600 key file in the data directory instead, and a
``KeyringFallbackWarning`` says so once per process. ``PINGONE_WORKER_KEY_BACKEND=file``
chooses the key file on purpose (no warning).

A sealed blob is ``magic | key id | nonce | AES-256-GCM(plaintext)`` with the file name as
associated data, so a modified, truncated, renamed or foreign-key file fails with a
``StorageError`` that names it. Files are written atomically (temporary file in the same
directory, ``fsync``, ``os.replace``) with mode 0600 in 0700 directories.

One cohesive thing (over 400 lines): key handling, sealing and the private-file helpers are
the one at-rest format both stores rely on, kept in one place so it cannot drift between them.
``cryptography``, ``keyring`` and ``filelock`` are imported on first use.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from httpx_pingone_worker._core._errors import StorageError
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._secrets import Secret, sealed_frames

__all__ = [
    "APP_NAME",
    "KEYRING_SERVICE",
    "KEY_BACKEND_ENV",
    "KeyPurpose",
    "KeyringFallbackWarning",
    "atomic_write",
    "ensure_private_directory",
    "generate_key",
    "key_file_path",
    "load_key",
    "parse_key",
    "seal",
    "unseal",
]

APP_NAME = "httpx-pingone-worker"
#: Keyring service name under which keys are kept.
KEYRING_SERVICE = APP_NAME
#: ``keyring`` (default: keyring, falling back to a key file) or ``file`` (key file only).
KEY_BACKEND_ENV = "PINGONE_WORKER_KEY_BACKEND"

KeyPurpose = Literal["credentials", "tokens"]

_KEY_PREFIX = "hpw-key-v1:"
_KEY_LEN = 32
_NONCE_LEN = 12
_KEY_ID_LEN = 4
_TAG_LEN = 16
_POSIX = os.name == "posix"

_log = get_logger("storage")


class KeyringFallbackWarning(UserWarning):
    """No usable OS keyring: the encryption key is kept in a 0600 key file instead."""


# --- small file helpers -----------------------------------------------------------------


def ensure_private_directory(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700 (POSIX).

    An existing directory we own that is readable by others is tightened, with a log line.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the directory {path} ({type(exc).__name__}: {exc.strerror})",
            path=str(path),
            hint="check that the parent exists and is writable, or choose another directory",
        ) from exc
    if not path.is_dir():
        raise StorageError(
            f"{path} exists but is not a directory",
            path=str(path),
            hint="remove it or choose another directory",
        )
    if _POSIX:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            with contextlib.suppress(OSError):
                os.chmod(path, 0o700)
                _log.warning("tightened permissions of %s to 0700", path)
    return path


def _fsync_directory(path: Path) -> None:
    if not _POSIX:  # pragma: no cover - Windows has no directory fsync
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes, *, mtime: float | None = None) -> None:
    """Replace ``path`` with ``data`` all at once, mode 0600.

    A temporary file in the same directory is written, flushed, ``fsync``-ed and renamed over
    ``path``; a failure at any point leaves the previous file untouched (raises
    ``StorageError`` naming the file). ``mtime`` (epoch seconds) is set on the file
    before the rename, so nobody ever sees the new file with another modification time.
    """
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            if _POSIX:
                os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise StorageError(
            f"could not write {path} ({type(exc).__name__}: {exc.strerror or exc}); "
            "the previous content is unchanged",
            path=str(path),
            hint="check free space and permissions of the directory",
        ) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_directory(path.parent)


@contextlib.contextmanager
def _interprocess_lock(path: Path, timeout: float) -> Iterator[None]:
    import filelock

    lock = filelock.FileLock(str(path), timeout=timeout, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise StorageError(
            f"timed out after {timeout:g}s waiting for the lock {path}",
            path=str(path),
            hint="another process holds it; if none is running, delete the lock file",
        ) from exc
    try:
        yield
    finally:
        lock.release()


# --- keys -------------------------------------------------------------------------------


def generate_key() -> str:
    """A new random 256-bit key in the text form ``parse_key`` accepts.

    Pass it as ``EncryptedFileTokenCache(key=...)`` to share a cache between hosts or
    containers that cannot share a keyring.
    """
    return _encode_key(secrets.token_bytes(_KEY_LEN))


def _encode_key(raw: bytes) -> str:
    return _KEY_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


@sealed_frames  # its locals hold the (damaged) key
def parse_key(value: str | bytes | Secret, *, source: str = "key") -> bytes:
    """Turn a key (32 raw bytes, ``hpw-key-v1:<base64>`` or bare urlsafe base64) into bytes.

    Raises ``StorageError`` naming ``source`` (never showing the value) when it is not
    a 256-bit key.
    """
    if isinstance(value, Secret):
        value = value.get_secret_value()
    if isinstance(value, bytes) and len(value) == _KEY_LEN:
        return value
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    if not isinstance(text, str):
        raise StorageError(f"{source} must be str or bytes, not {type(value).__name__}")
    text = text.strip()
    text = text.removeprefix(_KEY_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raw = b""
    if len(raw) != _KEY_LEN:
        raise StorageError(
            f"{source} is not a 256-bit key",
            path=source if os.sep in source else None,
            hint="use 32 raw bytes or the text generate_key() returns",
        )
    return raw


def _key_id(key: bytes) -> bytes:
    # 32 bits of a hash of a 256-bit random key: enough to tell "wrong key" from
    # "tampered", useless for recovering the key.
    return hashlib.sha256(b"httpx-pingone-worker key id\0" + key).digest()[:_KEY_ID_LEN]


def key_file_path(directory: Path, purpose: KeyPurpose) -> Path:
    """Where the fallback key file for ``purpose`` lives inside ``directory``."""
    return directory / f".{purpose}.key"


_fallback_warned = False
_fallback_lock = threading.Lock()


def _warn_fallback(reason: str, key_file: Path) -> None:
    global _fallback_warned  # noqa: PLW0603 - "say so once" is per process by design
    with _fallback_lock:
        if _fallback_warned:
            return
        _fallback_warned = True
    _log.warning("encryption key kept in the key file %s (%s)", key_file, reason)
    warnings.warn(
        f"the encryption key is kept in the 0600 key file {key_file}, not in the OS keyring "
        f"({reason}). Install a keyring backend, or set {KEY_BACKEND_ENV}=file to choose "
        "the key file on purpose.",
        KeyringFallbackWarning,
        stacklevel=4,
    )


def _usable_keyring() -> tuple[Any, str]:
    """The configured keyring backend, or ``(None, reason)`` when it cannot hold a key."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - any import/config failure means "no keyring"
        return None, f"keyring could not be loaded: {type(exc).__name__}"
    if isinstance(backend, fail.Keyring):
        return None, "no usable keyring: keyring found no backend"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None, "no usable keyring: its chainer has no backends"
    return backend, ""


@sealed_frames  # its locals hold the file's text: a key, or whatever damaged it
def _read_key_file(path: Path) -> bytes:
    if _POSIX:
        st = path.stat()
        if st.st_mode & 0o077:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
                _log.warning("tightened permissions of the key file %s to 0600", path)
    try:
        text = path.read_text("ascii")
    except OSError as exc:
        raise StorageError(
            f"cannot read the key file {path} ({type(exc).__name__})",
            path=str(path),
            hint="check its permissions; it must hold the line generate_key() writes",
        ) from exc
    except UnicodeDecodeError:  # not chained: the error holds the file's bytes
        raise StorageError(
            f"cannot read the key file {path} (UnicodeDecodeError: it is not ASCII text)",
            path=str(path),
            hint="it must hold the line generate_key() writes",
        ) from None
    return parse_key(text, source=str(path))


def _keyring_failed(
    purpose: KeyPurpose, username: str, error: str, key_file: Path, *, creating: bool
) -> StorageError:
    """The error for a keyring that exists but failed (locked, D-Bus down …) while data
    sealed with a key it may hold exists: a new key file would orphan that data for good."""
    return StorageError(
        f"the OS keyring failed ({error}) while reading {KEYRING_SERVICE}/{username}, and "
        + (
            f"{key_file.parent} already holds {purpose} encrypted with a key it may keep: no "
            "key file was created (it would leave them unreadable)"
            if creating
            else f"the {purpose} key is in no key file either"
        ),
        path=str(key_file),
        hint="unlock the keyring (or start its service) and try again; if this host has no "
        f"working keyring for good, set {KEY_BACKEND_ENV}=file (files sealed with the keyring's "
        "key then stay unreadable)",
    )


def load_key(
    directory: Path,
    purpose: KeyPurpose,
    *,
    create: bool = True,
    lock_timeout: float = 30.0,
    holds_data: Callable[[], bool] | None = None,
) -> bytes:
    """The 256-bit key for ``purpose`` (``credentials`` or ``tokens``).

    Order: ``$PINGONE_WORKER_KEY_BACKEND=file`` → key file; an existing key file in
    ``directory`` → it (so a store created on a headless host stays readable); a usable
    keyring → its entry (service ``httpx-pingone-worker``, user ``<purpose>-key``); else a
    new key file (with a one-time ``KeyringFallbackWarning``). With ``create=False`` a
    missing key raises ``StorageError`` instead of making a new one (readers never
    invent a key that cannot open existing files).

    A keyring that exists but fails (``KeyringLocked``, an unreachable D-Bus service) is
    not the same as no keyring: it may hold the key of files already written. When
    ``holds_data()`` says ``directory`` has such files, a failing keyring raises
    ``StorageError`` instead of creating a key file (which would take precedence from
    then on and orphan them once the keyring recovers). Without files, the key file is the
    fallback as for a missing keyring.
    """
    key_file = key_file_path(directory, purpose)
    chosen = os.environ.get(KEY_BACKEND_ENV, "keyring").strip().lower()
    if chosen not in ("keyring", "file"):
        raise StorageError(
            f"{KEY_BACKEND_ENV} must be 'keyring' or 'file', not {chosen!r}",
            hint="unset it to use the OS keyring with a key-file fallback",
        )
    if key_file.exists():
        if chosen != "file":
            _warn_fallback("it was created when no keyring was usable", key_file)
        return _read_key_file(key_file)
    username = f"{purpose}-key"
    backend, reason = (None, f"{KEY_BACKEND_ENV}=file") if chosen == "file" else _usable_keyring()
    failed: str | None = None  # the keyring exists but raised: it may hold the key
    if backend is not None:
        try:
            stored = backend.get_password(KEYRING_SERVICE, username)
        except Exception as exc:  # noqa: BLE001 - locked/unreachable keyrings raise anything
            failed = type(exc).__name__
            backend, reason = None, f"keyring backend failed: {failed}"
        else:
            if stored is not None:
                return parse_key(stored, source=f"keyring entry {KEYRING_SERVICE}/{username}")
    if failed is not None and not create:
        raise _keyring_failed(purpose, username, failed, key_file, creating=False)
    if not create:
        raise StorageError(
            f"no {purpose} key found (keyring entry {KEYRING_SERVICE}/{username} and key file "
            f"{key_file} are both missing)",
            path=str(key_file),
            hint="files encrypted with a lost key cannot be read; delete them and store again",
        )
    ensure_private_directory(directory)
    with _interprocess_lock(directory / f".{purpose}-key.lock", lock_timeout):
        if key_file.exists():  # another process won the race to the file
            return _read_key_file(key_file)
        if backend is not None:
            try:
                stored = backend.get_password(KEYRING_SERVICE, username)
                if stored is None:
                    backend.set_password(KEYRING_SERVICE, username, generate_key())
                    stored = backend.get_password(KEYRING_SERVICE, username)
            except Exception as exc:  # noqa: BLE001 - see above
                failed = type(exc).__name__
                reason = f"keyring backend failed: {failed}"
            else:
                if stored is not None:
                    _log.debug("using key %s-key from keyring %s", purpose, type(backend).__name__)
                    return parse_key(stored, source=f"keyring entry {KEYRING_SERVICE}/{username}")
                reason = f"keyring backend {type(backend).__name__} did not keep the key"
        if failed is not None and holds_data is not None and holds_data():
            raise _keyring_failed(purpose, username, failed, key_file, creating=True)
        if chosen != "file":
            _warn_fallback(reason, key_file)
        atomic_write(key_file, (generate_key() + "\n").encode("ascii"))
        return _read_key_file(key_file)


# --- sealing ----------------------------------------------------------------------------


def seal(key: bytes, magic: bytes, name: str, plaintext: bytes) -> bytes:
    """``magic | key id | nonce | AES-GCM(plaintext)`` with ``magic + name`` as associated data."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_LEN)
    aad = magic + b"\0" + name.encode()
    return magic + _key_id(key) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, magic: bytes, name: str, blob: bytes, *, path: Path, what: str) -> bytes:
    """Inverse of ``seal``; every failure is a ``StorageError`` naming ``path``."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = len(magic) + _KEY_ID_LEN + _NONCE_LEN
    if not blob.startswith(magic):
        problem = "is empty" if not blob else f"is not an httpx-pingone-worker {what} file"
        raise StorageError(
            f"{what} file {path} {problem}",
            path=str(path),
            hint="restore it from a backup or delete it and store it again",
        )
    if len(blob) < header + _TAG_LEN:
        raise StorageError(
            f"{what} file {path} is truncated",
            path=str(path),
            hint="restore it from a backup or delete it and store it again",
        )
    if blob[len(magic) : len(magic) + _KEY_ID_LEN] != _key_id(key):
        raise StorageError(
            f"{what} file {path} was encrypted with a different key",
            path=str(path),
            hint="the keyring entry or key file changed since it was written; "
            "restore that key, or delete the file and store it again",
        )
    nonce = blob[len(magic) + _KEY_ID_LEN : header]
    try:
        return AESGCM(key).decrypt(nonce, blob[header:], magic + b"\0" + name.encode())
    except InvalidTag:
        raise StorageError(
            f"{what} file {path} failed its integrity check: it was modified, truncated or renamed",
            path=str(path),
            hint="restore it from a backup or delete it and store it again",
        ) from None
