"""Encrypted credential storage: one AES-GCM file per client id, the key in the OS keyring.

Layout of a store directory (default ``platformdirs.user_data_dir("httpx-pingone-worker")
/ "credentials"``, or ``$PINGONE_WORKER_DATA_DIR``, or ``directory=``):

```text
<client id>.cred          one entry per worker app (hashed name for unusual ids)
.credentials.key          only when no usable keyring exists (0600)
.credentials-key.lock     serialises key creation between processes
```

Every file is written atomically (temporary file in the same directory, ``fsync``,
``os.replace``) with mode 0600; the directory is 0700. An entry is
``magic | key id | nonce | AES-256-GCM(JSON)`` with the file name as associated data, so a
modified, truncated, renamed or foreign-key file fails with a ``StorageError`` that
names it, and one unreadable entry never hides the others.

The key lives in the OS keyring (service ``httpx-pingone-worker``) through ``keyring``.
Where no usable backend exists (headless Linux: ``keyring.backends.fail``, an empty chainer,
a backend that errors or does not keep what it is given) the key goes to a 0600 key file
in the store directory instead, and a ``KeyringFallbackWarning`` says so once per
process. ``PINGONE_WORKER_KEY_BACKEND=file`` chooses the key file on purpose (no warning).

``cryptography``, ``keyring``, ``filelock`` and ``platformdirs`` are imported on first use.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from httpx_pingone_worker._core._errors import PingOneError, StorageError
from httpx_pingone_worker._core._input import BadJSON, check_path, parse_json
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._secrets import sealed_frames
from httpx_pingone_worker.credentials._credentials import ClientCredentials
from httpx_pingone_worker.credentials._crypto import (
    APP_NAME,
    _fsync_directory,
    atomic_write,
    ensure_private_directory,
    load_key,
    seal,
    unseal,
)

__all__ = [
    "DATA_DIR_ENV",
    "StoredEntry",
    "default_store_directory",
    "scan_store",
    "secure_delete",
    "secure_list",
    "secure_retrieve",
    "secure_store",
    "stored_credentials_lookup",
]

#: Environment variable overriding the credential store directory.
DATA_DIR_ENV = "PINGONE_WORKER_DATA_DIR"

_CRED_MAGIC = b"HPWC1"
_CRED_SUFFIX = ".cred"
_SAFE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

_log = get_logger("storage")


# --- credential store -------------------------------------------------------------------


def default_store_directory() -> Path:
    """``$PINGONE_WORKER_DATA_DIR`` or the platform's user data directory + ``credentials``."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return check_path(override, what=DATA_DIR_ENV)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "credentials"


def _store_dir(directory: str | os.PathLike[str] | None) -> Path:
    if directory is None:
        return default_store_directory()
    return check_path(directory, what="credential store directory")


def _entry_name(client_id: str) -> str:
    if _SAFE_ID_RE.fullmatch(client_id):
        return client_id + _CRED_SUFFIX
    return "id-" + hashlib.sha256(client_id.encode()).hexdigest()[:40] + _CRED_SUFFIX


def _check_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not client_id.strip():
        raise StorageError(
            "client_id must be a non-empty str",
            hint="pass the worker app's client id (a UUID in PingOne)",
        )
    return client_id.strip()


def _serialise(credentials: ClientCredentials) -> bytes:
    doc = {
        "v": 1,
        "client_id": credentials.client_id,
        "client_secret": (
            None
            if credentials.client_secret is None
            else credentials.client_secret.get_secret_value()
        ),
        "environment_id": credentials.environment_id,
        "region": credentials.region.value,
        "scopes": sorted(credentials.scopes),
        "auth_method": credentials.auth_method,
        "private_key": (
            None if credentials.private_key is None else credentials.private_key.get_secret_value()
        ),
        "key_id": credentials.key_id,
        "stored_at": int(time.time()),
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _deserialise(plaintext: bytes, path: Path) -> ClientCredentials:
    def unusable(reason: str) -> StorageError:
        return StorageError(
            f"credential file {path} decrypted but holds no usable credentials ({reason})",
            path=str(path),
            hint="it may come from a newer version; delete it and store the credentials again",
        )

    try:
        doc = parse_json(plaintext)
    except BadJSON as exc:
        raise unusable(exc.describe("its content")) from None
    if not isinstance(doc, Mapping) or doc.get("v") != 1:
        raise unusable("unsupported format version")
    try:
        return ClientCredentials(
            doc["client_id"],
            doc.get("client_secret"),
            doc["environment_id"],
            doc.get("region"),
            doc.get("scopes") or None,
            auth_method=doc.get("auth_method") or "client_secret_basic",
            private_key=doc.get("private_key"),
            key_id=doc.get("key_id"),
        )
    except (KeyError, TypeError, AttributeError, PingOneError) as exc:
        raise unusable(type(exc).__name__) from None


@sealed_frames  # its locals (and _deserialise's) hold the key and the decrypted secret
def _read_entry(path: Path, key: bytes) -> ClientCredentials:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise StorageError(
            f"cannot read credential file {path} ({type(exc).__name__})",
            path=str(path),
            hint="check its permissions",
        ) from exc
    plaintext = unseal(key, _CRED_MAGIC, path.name, blob, path=path, what="credential")
    return _deserialise(plaintext, path)


def _keep_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for n in range(1000):
        aside = path.with_name(f"{path.name}.unreadable-{stamp}" + (f"-{n}" if n else ""))
        if not aside.exists():
            try:
                os.replace(path, aside)
            except OSError as exc:
                # Never overwrite what could not be moved aside: it may be recoverable.
                raise StorageError(
                    f"could not keep the unreadable credential file {path} aside "
                    f"({type(exc).__name__}: {exc.strerror or exc}); nothing was changed",
                    path=str(path),
                    hint="check the directory's permissions, or move or delete the file yourself",
                ) from exc
            return aside
    raise StorageError(f"too many unreadable copies of {path}", path=str(path))  # pragma: no cover


def _holds_entries(store: Path) -> bool:
    """Whether ``store`` holds any credential file (sealed with a key that must not be lost)."""
    try:
        return any(p.name.endswith(_CRED_SUFFIX) for p in store.iterdir())
    except OSError:
        return False


def secure_store(
    credentials: ClientCredentials, *, directory: str | os.PathLike[str] | None = None
) -> Path:
    """Encrypt ``credentials`` and store them under their client id; return the file path.

    Replaces an earlier entry for the same client id atomically. An existing entry that
    cannot be read (tampered, other key) is not overwritten: it is renamed to
    ``<name>.unreadable-<timestamp>`` and a warning is logged.
    """
    if not isinstance(credentials, ClientCredentials):
        raise StorageError(
            f"secure_store() takes ClientCredentials, not {type(credentials).__name__}",
            hint="build them with ClientCredentials(client_id, client_secret, environment_id)",
        )
    store = ensure_private_directory(_store_dir(directory))
    key = load_key(store, "credentials", create=True, holds_data=lambda: _holds_entries(store))
    path = store / _entry_name(credentials.client_id)
    if path.exists():
        try:
            _read_entry(path, key)
        except StorageError as exc:
            aside = _keep_aside(path)
            _log.warning("kept unreadable credential file aside as %s: %s", aside, exc.message)
    atomic_write(path, seal(key, _CRED_MAGIC, path.name, _serialise(credentials)))
    _log.info("stored credentials client_id=%s file=%s", credentials.client_id, path)
    return path


def secure_retrieve(
    client_id: str, *, directory: str | os.PathLike[str] | None = None
) -> ClientCredentials:
    """Read and decrypt the credentials stored for ``client_id``.

    Raises ``StorageError`` (naming the file) when there is no entry, or when it was
    modified, truncated or encrypted with another key.
    """
    client_id = _check_client_id(client_id)
    store = _store_dir(directory)
    path = store / _entry_name(client_id)
    if not path.is_file():
        raise StorageError(
            f"no stored credentials for client id {client_id} in {store}",
            path=str(path),
            hint="store them first with secure_store(credentials)",
        )
    credentials = _read_entry(path, load_key(store, "credentials", create=False))
    if credentials.client_id != client_id:
        raise StorageError(
            f"credential file {path} holds another client id",
            path=str(path),
            hint="delete it and store the credentials again",
        )
    return credentials


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One file of the credential store: its client id when readable, else the error."""

    path: Path
    client_id: str | None
    environment_id: str | None = None
    error: StorageError | None = None


def scan_store(*, directory: str | os.PathLike[str] | None = None) -> list[StoredEntry]:
    """Every entry of the store, readable or not, sorted by file name (no secrets)."""
    store = _store_dir(directory)
    try:
        paths = sorted(p for p in store.iterdir() if p.name.endswith(_CRED_SUFFIX))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StorageError(
            f"cannot list the credential store {store} ({type(exc).__name__})",
            path=str(store),
            hint="check its permissions",
        ) from exc
    if not paths:
        return []
    try:
        key: bytes | None = load_key(store, "credentials", create=False)
        key_error: StorageError | None = None
    except StorageError as exc:
        key, key_error = None, exc
    entries: list[StoredEntry] = []
    for path in paths:
        if key is None:
            entries.append(StoredEntry(path, None, error=key_error))
            continue
        try:
            creds = _read_entry(path, key)
        except StorageError as exc:
            entries.append(StoredEntry(path, None, error=exc))
        else:
            entries.append(StoredEntry(path, creds.client_id, creds.environment_id))
    return entries


def secure_list(*, directory: str | os.PathLike[str] | None = None) -> list[str]:
    """Client ids of the readable entries, sorted. Unreadable entries are logged (WARNING)
    and skipped; ``scan_store`` reports them too."""
    ids = []
    for entry in scan_store(directory=directory):
        if entry.client_id is not None:
            ids.append(entry.client_id)
        elif entry.error is not None:
            _log.warning("skipping unreadable credential file: %s", entry.error.message)
    return sorted(ids)


def secure_delete(client_id: str, *, directory: str | os.PathLike[str] | None = None) -> bool:
    """Delete the entry for ``client_id`` (readable or not); ``False`` when there was none."""
    client_id = _check_client_id(client_id)
    path = _store_dir(directory) / _entry_name(client_id)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StorageError(
            f"cannot delete credential file {path} ({type(exc).__name__})",
            path=str(path),
            hint="check the directory's permissions",
        ) from exc
    _fsync_directory(path.parent)
    _log.info("deleted stored credentials client_id=%s", client_id)
    return True


def stored_credentials_lookup(
    client_id: str | None, *, directory: str | os.PathLike[str] | None = None
) -> ClientCredentials | None:
    """The ``stored=`` source for ``resolve_settings``: the last configuration source.

    With a client id: its stored credentials, or ``None`` when none are stored (an entry that
    exists but cannot be read raises ``StorageError``: never silently ignored). Without
    one: the only readable entry when the store holds exactly one, else ``None``. An empty or
    missing store touches neither the keyring nor the disk.
    """
    if client_id is not None:
        client_id = _check_client_id(client_id)
        path = _store_dir(directory) / _entry_name(client_id)
        if not path.is_file():
            return None
        return secure_retrieve(client_id, directory=directory)
    readable = [e for e in scan_store(directory=directory) if e.client_id is not None]
    if len(readable) != 1 or readable[0].client_id is None:
        return None
    return secure_retrieve(readable[0].client_id, directory=directory)
