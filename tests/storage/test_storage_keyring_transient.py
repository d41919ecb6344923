"""A keyring that fails once (locked, D-Bus hiccup) never orphans stored credentials.

Before: a ``KeyringLocked`` during ``secure_store`` created a ``.credentials.key`` file, which
from then on took precedence over the keyring: once the keyring recovered, every stored entry
read as "encrypted with a different key" and storing again renamed it ``.unreadable-…``.
"""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.errors
import pytest
from storage_support import MemoryKeyring

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import (
    ClientCredentials,
    StorageError,
    secure_list,
    secure_retrieve,
    secure_store,
)
from httpx_pingone_worker.credentials._crypto import key_file_path

OTHER_ID = "0e2a7c1d-3b4f-4a5b-8c6d-7e8f9a0b1c2d"


class FlakyKeyring(MemoryKeyring):
    """A working in-memory keyring whose next ``failures`` calls raise KeyringLocked."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise keyring.errors.KeyringLocked("the keyring is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail()
        super().set_password(service, username, password)


@pytest.fixture
def flaky() -> FlakyKeyring:
    backend = FlakyKeyring()
    keyring.set_keyring(backend)  # the autouse fixture puts the previous keyring back
    return backend


def creds(client_id: str) -> ClientCredentials:
    return ClientCredentials(client_id, CANARY_SECRET, CANARY_ENV_ID, region="EU")


@pytest.mark.parametrize("failures", [1, 2, 3])
def test_a_locked_keyring_during_store_orphans_nothing(
    store_dir: Path, flaky: FlakyKeyring, failures: int
) -> None:
    secure_store(creds(CANARY_CLIENT_ID), directory=store_dir)
    flaky.failures = failures  # the first read fails (and the retry under the lock, too)
    error: StorageError | None = None
    try:
        secure_store(creds(OTHER_ID), directory=store_dir)
    except StorageError as exc:
        error = exc
    assert not key_file_path(store_dir, "credentials").exists()
    if error is not None:
        assert "keyring failed (KeyringLocked)" in error.message
        assert error.hint is not None
        assert "unlock" in error.hint
    flaky.failures = 0  # the keyring recovers
    assert secure_retrieve(CANARY_CLIENT_ID, directory=store_dir).client_id == CANARY_CLIENT_ID
    secure_store(creds(CANARY_CLIENT_ID), directory=store_dir)
    secure_store(creds(OTHER_ID), directory=store_dir)
    assert sorted(secure_list(directory=store_dir)) == sorted([CANARY_CLIENT_ID, OTHER_ID])
    assert not [p for p in store_dir.iterdir() if ".unreadable-" in p.name]


def test_a_locked_keyring_during_retrieve_says_so(store_dir: Path, flaky: FlakyKeyring) -> None:
    secure_store(creds(CANARY_CLIENT_ID), directory=store_dir)
    flaky.failures = 1
    with pytest.raises(StorageError, match=r"keyring failed \(KeyringLocked\)"):
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert secure_retrieve(CANARY_CLIENT_ID, directory=store_dir).client_id == CANARY_CLIENT_ID


def test_a_failing_keyring_on_an_empty_store_still_falls_back_to_a_key_file(
    store_dir: Path, flaky: FlakyKeyring
) -> None:
    """Nothing can be orphaned yet: the key file is the fallback, as for a missing keyring."""
    flaky.failures = 10
    with pytest.warns(UserWarning, match="KeyringLocked"):
        secure_store(creds(CANARY_CLIENT_ID), directory=store_dir)
    assert key_file_path(store_dir, "credentials").exists()
    flaky.failures = 0
    assert secure_retrieve(CANARY_CLIENT_ID, directory=store_dir).client_id == CANARY_CLIENT_ID
