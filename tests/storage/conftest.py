"""Fixtures for the storage tests: an in-memory keyring and private directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from storage_support import MemoryKeyring

from httpx_pingone_worker.credentials import _crypto


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Every storage test gets a fresh in-memory keyring and a fresh "warned once" flag."""
    # The suite-wide fixture pins the key file backend; storage tests exercise the keyring.
    monkeypatch.delenv("PINGONE_WORKER_KEY_BACKEND", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setattr(_crypto, "_fallback_warned", False)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """A credential store directory that does not exist yet."""
    return tmp_path / "store"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A token cache directory that does not exist yet."""
    return tmp_path / "tokens"
