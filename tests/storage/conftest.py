"""Fixtures for the storage tests: an in-memory keyring and private directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from httpx_pingone_worker import _storage


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict (tests only)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Every storage test gets a fresh in-memory keyring and a fresh "warned once" flag."""
    # The suite-wide fixture pins the key file backend; storage tests exercise the keyring.
    monkeypatch.delenv("PINGONE_WORKER_KEY_BACKEND", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setattr(_storage, "_fallback_warned", False)
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
