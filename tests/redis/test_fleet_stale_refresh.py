"""A stale token in a shared cache is refreshed ahead of expiry by exactly one process.

8 short-lived processes (sync, asyncio and trio mixed), each with its own PingOneWorkerAuth,
meet a token at 85% of its lifetime in the shared cache (file or a real redis-server) and call
get_token() once. The token endpoint holds the one refresh request open until the other 7
processes have printed their answer and exited: they used the valid token at once and did not
wait. Then it answers; the refreshing process stores the new token before it returns, and a
new process afterwards reads that token without a token request.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis_support import HERE, TokenServer, credentials, worker_env

from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth, Secret, Token
from httpx_pingone_worker._core._token import fingerprint

N = 8
MODES = ["sync", "asyncio", "trio"]
LIFETIME = 3600
WORKER = HERE / "stale_worker.py"


@pytest.fixture
def gated_server() -> Iterator[tuple[TokenServer, threading.Event]]:
    gate = threading.Event()
    with TokenServer(delay=0.0, gate=gate) as server:
        yield server, gate
        gate.set()


def stale_token() -> Token:
    """A token 85% through its lifetime: past refresh_ratio=0.8, still valid."""
    return Token(
        access_token=Secret("stale-shared-token-0001"),
        token_type="Bearer",
        expires_in=LIFETIME,
        obtained_at=time.time() - 0.85 * LIFETIME,
        scopes=frozenset(),
        requested_scopes=frozenset(),
        scope_returned=False,
    )


def seed(kind: str, location: str, token_url: str, env: dict[str, str]) -> Token:
    """Store the stale token where the members will look (their auth's cache key)."""
    from httpx_pingone_worker import RedisTokenCache

    probe = PingOneWorkerAuth(
        credentials().client_id,
        credentials().client_secret,
        credentials().environment_id,
        token_endpoint=token_url,
        allow_loopback_http=True,
    )
    key = probe.cache_key
    probe.close()
    cache: Any
    if kind == "file":
        cache = EncryptedFileTokenCache(location, key=env["STALE_TEST_FILE_KEY"])
    else:
        cache = RedisTokenCache(location, socket_timeout=5.0)
        cache.bind(credentials())
    token = stale_token()
    cache.set(key, token)
    assert cache.get(key) is not None
    return token


def spawn(mode: str, kind: str, location: str, token_url: str, env: dict[str, str]) -> Any:
    return subprocess.Popen(
        [sys.executable, str(WORKER), mode, kind, location, token_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def finish(proc: Any, timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()[-3000:]
    return out.decode().split()[0]


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_eight_processes_one_refresh_nobody_else_waits(
    kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    gated_server: tuple[TokenServer, threading.Event],
) -> None:
    server, gate = gated_server
    env = worker_env()
    env["STALE_TEST_FILE_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    if kind == "file":
        location = str(tmp_path / "tokens")
    else:
        location = request.getfixturevalue("redis_server").url
    stale = seed(kind, location, server.url, env)

    procs = [spawn(MODES[i % 3], kind, location, server.url, env) for i in range(N)]
    try:
        # Exactly one member asks for a new token; the endpoint holds that request open.
        assert server.arrived.wait(240), "no process refreshed the stale shared token"
        # Meanwhile the other seven answer with the valid token and exit: they do not wait.
        done: dict[int, str] = {}
        deadline = time.monotonic() + 240
        while len(done) < N - 1:
            assert time.monotonic() < deadline, f"only {len(done)} members finished"
            for i, p in enumerate(procs):
                if i not in done and p.poll() is not None:
                    done[i] = finish(p)
            time.sleep(0.02)  # polling the processes' state, not a synchronisation sleep
        waiting = [i for i in range(N) if i not in done]
        assert len(waiting) == 1, waiting  # at most one caller waits for the refresh
        assert set(done.values()) == {stale.fingerprint}
        assert server.requests == 1
        gate.set()
        refreshed = finish(procs[waiting[0]])
        assert server.requests == 1
        assert refreshed == fingerprint(Secret(server.issued[0]))
        # The refreshed token landed in the shared cache: a new process reads it.
        later = finish(spawn("sync", kind, location, server.url, env))
        assert later == refreshed
        assert server.requests == 1
    finally:
        gate.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
