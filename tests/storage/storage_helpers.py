"""Helpers for the storage tests, importable by spawned worker processes."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from httpx_pingone_worker import Secret, Token

CACHE_KEY = "pingone:0123456789abcdef0123456789abcdef"


class _Waiter(Protocol):
    def wait(self, timeout: float | None = ...) -> Any: ...


def all_bytes_under(*roots: Path) -> bytes:
    """Names and content of every file below ``roots`` (for canary checks)."""
    chunks = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                chunks.append(path.name.encode())
                chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def make_token(value: str = "tok-value-1234567890", *, obtained_at: float = 1000.0) -> Token:
    """A token with every field set to something distinctive."""
    return Token(
        access_token=Secret(value),
        token_type="Bearer",
        expires_in=3600,
        obtained_at=obtained_at,
        scopes=frozenset({"p1:read:user", "openid"}),
        requested_scopes=frozenset({"p1:read:user"}),
        scope_returned=False,
    )


@dataclass(frozen=True)
class RaceSetup:
    """Where racers find the shared cache (picklable for spawned processes)."""

    cache_dir: str
    key_text: str
    counter_file: str
    cache_key: str = CACHE_KEY


def race_for_token(setup: RaceSetup, start: _Waiter, result_file: str, use_lock: bool) -> None:
    """What the auth engine does on a miss: get → fetch_lock → get again → fetch → set.

    Each "fetch" appends a line to ``counter_file`` and takes 0.2 s (a slow token endpoint),
    so without the lock several racers would fetch.
    """
    from httpx_pingone_worker import EncryptedFileTokenCache

    cache = EncryptedFileTokenCache(setup.cache_dir, key=setup.key_text, lock_timeout=30)
    start.wait(60)
    key = setup.cache_key
    token = cache.get(key)
    if token is None:
        guard = cache.fetch_lock(key) if use_lock else contextlib.nullcontext()
        with guard:
            token = cache.get(key)
            if token is None:
                with open(setup.counter_file, "a", encoding="ascii") as counter:
                    counter.write(f"{os.getpid()}\n")
                time.sleep(0.2)
                token = make_token(f"token-from-{os.getpid()}-{time.monotonic_ns()}")
                cache.set(key, token)
    Path(result_file).write_text(token.access_token.get_secret_value(), encoding="ascii")
