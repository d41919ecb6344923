"""The file token cache and the credential store against corrupted files.

The file cache's ``get`` promises never to raise; an entry it returns must never count as
fresh forever. The credential store raises StorageError naming the file, never the content.
"""

from __future__ import annotations

import importlib
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from fuzz_support import CANARY, garbage_bodies, number_literals, raises_library_error
from hypothesis import example, given
from hypothesis import strategies as st

from httpx_pingone_worker import (
    ClientCredentials,
    EncryptedFileTokenCache,
    StorageError,
    TokenState,
    secure_retrieve,
    secure_store,
)

KEY = "fuzz-cache-key"
THIRTY_DAYS = 30 * 86400
ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> EncryptedFileTokenCache:
    """One file cache for the module (its key is created once)."""
    return EncryptedFileTokenCache(tmp_path_factory.mktemp("fuzz-cache"), key=os.urandom(32))


def _seal_plaintext(cache: EncryptedFileTokenCache, plaintext: bytes) -> None:
    """Write ``plaintext`` as the entry for KEY, sealed with the cache's real key."""
    # Found through the class's module so that the test survives the module moving.
    module: Any = importlib.import_module(type(cache).__module__)
    path = cache.token_path(KEY)
    path.write_bytes(module._seal(cache._key, module._MAGIC, path.name, plaintext))


def _assert_not_fresh_forever(cache: EncryptedFileTokenCache) -> None:
    token = cache.get(KEY)
    if token is None:
        return
    assert math.isfinite(token.obtained_at)
    assert math.isfinite(token.expires_at)
    assert 0 < token.expires_in <= THIRTY_DAYS
    later = token.obtained_at + THIRTY_DAYS + 1
    assert token.state(later, 0.8) is TokenState.EXPIRED


@given(blob=st.binary(max_size=300))
def test_random_bytes_are_a_miss(cache: EncryptedFileTokenCache, blob: bytes) -> None:
    """A cache file of random bytes: get() returns None and does not raise."""
    cache.token_path(KEY).write_bytes(blob)
    assert cache.get(KEY) is None


@given(plaintext=garbage_bodies())
@example(plaintext=b"[" * 100_000)
def test_sealed_garbage_is_a_miss(cache: EncryptedFileTokenCache, plaintext: bytes) -> None:
    """Garbage sealed with the real key: get() never raises, never returns a broken token."""
    _seal_plaintext(cache, plaintext)
    _assert_not_fresh_forever(cache)


@given(obtained_at=number_literals(), expires_in=number_literals())
@example(obtained_at="NaN", expires_in="3600")
@example(obtained_at="Infinity", expires_in="3600")
@example(obtained_at="-Infinity", expires_in="3600")
@example(obtained_at="1000", expires_in=str(10**12))
@example(obtained_at="9" * 400, expires_in="3600")
@example(obtained_at="1e400", expires_in="3600")
def test_sealed_entries_with_any_times(
    cache: EncryptedFileTokenCache, obtained_at: str, expires_in: str
) -> None:
    """An entry with any obtained_at/expires_in: a miss, or a token that expires."""
    fields = {
        "v": 1,
        "key": KEY,
        "access_token": CANARY,
        "token_type": "Bearer",
        "scopes": [],
        "requested_scopes": [],
        "scope_returned": True,
    }
    body = json.dumps(fields)[:-1] + f', "obtained_at": {obtained_at}, "expires_in": {expires_in}}}'
    _seal_plaintext(cache, body.encode())
    _assert_not_fresh_forever(cache)


# --- credential store --------------------------------------------------------------------


@given(blob=st.one_of(st.binary(max_size=300), garbage_bodies()))
def test_corrupted_credential_file(tmp_path: Path, blob: bytes) -> None:
    """A credential file overwritten with anything: StorageError, never the content."""
    directory = tmp_path / "store"
    path = secure_store(ClientCredentials(CLIENT_ID, CANARY, ENV), directory=directory)
    path.write_bytes(blob)
    raises_library_error(lambda: secure_retrieve(CLIENT_ID, directory=directory), StorageError)
