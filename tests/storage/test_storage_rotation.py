"""Secret rotation through the store: an auth built from_store picks up a new stored secret."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from storage_helpers import NEW_SECRET, OLD_SECRET, RotatingServer, store
from storage_support import MemoryKeyring

from canary import CANARY_CLIENT_ID, assert_no_canary
from httpx_pingone_worker import PingOneWorkerAuth, StorageError, TokenRequestError


def test_from_store_picks_up_a_secret_rotated_in_the_store(store_dir: Path) -> None:
    """After the secret changes server-side and in the store, the running auth recovers."""
    server = RotatingServer(OLD_SECRET)
    store(store_dir, OLD_SECRET)
    with httpx.Client(transport=server.transport) as client:
        auth = PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID, directory=str(store_dir), http_client=client
        )
        assert auth.get_token().access_token.get_secret_value() == "tok-1"
        server.secret = NEW_SECRET
        store(store_dir, NEW_SECRET)
        auth.invalidate()
        token = auth.get_token()
    assert token.access_token.get_secret_value() == "tok-3"
    assert server.requests == 3  # ok, invalid_client with the old secret, ok with the new


def test_stale_store_is_read_once_then_the_error_surfaces(
    store_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """If the store still holds the old secret, it is re-read once and invalid_client raised."""
    server = RotatingServer(OLD_SECRET)
    store(store_dir, OLD_SECRET)
    with httpx.Client(transport=server.transport) as client:
        auth = PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID, directory=str(store_dir), http_client=client
        )
        auth.get_token()
        server.secret = NEW_SECRET
        auth.invalidate()
        reads_before = memory_keyring.calls  # each store read asks the keyring for the key
        with pytest.raises(TokenRequestError) as info:
            auth.get_token()
    assert info.value.error == "invalid_client"
    assert memory_keyring.calls - reads_before == 1
    assert server.requests == 2  # the same secret again is not worth a second request
    assert_no_canary(str(info.value) + repr(info.value))


def test_from_store_without_an_entry_names_the_file(store_dir: Path) -> None:
    """from_store for a client id that was never stored is a StorageError naming the file."""
    with pytest.raises(StorageError, match=CANARY_CLIENT_ID):
        PingOneWorkerAuth.from_store(CANARY_CLIENT_ID, directory=str(store_dir))
