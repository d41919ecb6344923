"""Helpers for the storage tests, importable by spawned worker processes."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

import httpx

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


class CountingTokenServer:
    """A tiny token endpoint on 127.0.0.1 that counts requests and answers slowly (0.2 s).

    Use as a context manager; ``url`` is the token endpoint, ``count`` the requests so far.
    Every answer carries ``token`` (default: a new value per request).
    """

    def __init__(self, token: str | None = None, delay: float = 0.2) -> None:
        import http.server
        import json
        import threading

        self.count = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with outer._lock:
                    outer.count += 1
                    n = outer.count
                time.sleep(delay)
                body = json.dumps(
                    {
                        "access_token": token or f"served-token-{n}",
                        "token_type": "Bearer",
                        "expires_in": 3600,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/as/token"

    def __enter__(self) -> CountingTokenServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@dataclass(frozen=True)
class AuthRaceSetup:
    """What each auth racer needs (picklable for spawned processes)."""

    cache_dir: str
    key_text: str
    token_endpoint: str
    client_id: str
    client_secret: str
    environment_id: str


def auth_race(setup: AuthRaceSetup, start: _Waiter, result_file: str) -> None:
    """One process's PingOneWorkerAuth on the shared file cache asks for a token."""
    from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth

    cache = EncryptedFileTokenCache(setup.cache_dir, key=setup.key_text, lock_timeout=60)
    auth = PingOneWorkerAuth(
        setup.client_id,
        setup.client_secret,
        setup.environment_id,
        token_endpoint=setup.token_endpoint,
        allow_loopback_http=True,
        cache=cache,
    )
    try:
        start.wait(60)
        token = auth.get_token()
    finally:
        auth.close()
    Path(result_file).write_text(token.access_token.get_secret_value(), encoding="ascii")


OLD_SECRET = "old-secret-aaaaaaaaaaaaaaaa"
NEW_SECRET = "new-secret-bbbbbbbbbbbbbbbb"


class RotatingServer:
    """A token endpoint (MockTransport) accepting one secret at a time, counting requests."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests = 0
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        _client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        if scheme != "Basic" or unquote(secret) != self.secret:
            return httpx.Response(
                401, json={"error": "invalid_client", "error_description": "bad secret"}
            )
        body = {"access_token": f"tok-{self.requests}", "token_type": "Bearer", "expires_in": 3600}
        return httpx.Response(200, content=json.dumps(body).encode())


def store(directory: Path, secret: str) -> None:
    """Store the test app's credentials with ``secret``."""
    from canary import CANARY_CLIENT_ID, CANARY_ENV_ID
    from httpx_pingone_worker import ClientCredentials
    from httpx_pingone_worker.credentials._store import secure_store

    secure_store(ClientCredentials(CANARY_CLIENT_ID, secret, CANARY_ENV_ID), directory=directory)
