"""Shared helpers for the storage tests (a uniquely named module: `conftest` is ambiguous
when several test folders are collected together)."""

from __future__ import annotations

import keyring.backend


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
