"""A lock attempt that times out on our side leaves no lock behind when Redis resumes.

A ``SET NX`` sent to a stalled Redis (paused, ``DEBUG SLEEP``, a long fork for persistence)
times out in the client but still runs when Redis resumes. Nobody renews or releases that
lock, so before the fix the fleet skipped refreshes and callers without a valid token waited
``lock_ttl``. The timeout path now compare-and-deletes its owner token, as the cancel path does.
The server is paused with SIGSTOP (the kernel still accepts the bytes), resumed with SIGCONT.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis_support import RedisServer

import redis
from httpx_pingone_worker import RedisTokenCache

LOCK_TTL = 60.0  # far longer than the bound below: a left-over lock would outlive it
GONE_WITHIN = 10.0


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@contextmanager
def paused(server: RedisServer) -> Iterator[None]:
    """SIGSTOP the server until the block ends (waits until the kernel reports it stopped)."""
    assert server.proc is not None
    pid = server.proc.pid
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while _state(pid) not in {"T", "t"}:
        assert time.monotonic() < deadline, "redis-server did not stop"
        time.sleep(0.01)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _lock_gone(server: RedisServer, lock_key: str) -> bool:
    """Poll (bounded) until ``lock_key`` does not exist; True if it went within the bound."""
    probe = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5)
    try:
        deadline = time.monotonic() + GONE_WITHIN
        # Redis must have processed the late SET before "absent" means anything: a PING
        # round trip on a new connection runs after the resumed server read its sockets.
        probe.ping()
        while time.monotonic() < deadline:
            if not probe.exists(lock_key):
                # Absent twice, a sweep apart: not merely "the late SET has not run yet".
                time.sleep(0.6)
                if not probe.exists(lock_key):
                    return True
            time.sleep(0.05)
        return False
    finally:
        probe.close()


def _cache(server: RedisServer, **kw: object) -> RedisTokenCache:
    return RedisTokenCache(
        server.url,
        encryption_key=os.urandom(32),
        lock_ttl=LOCK_TTL,
        socket_timeout=0.3,
        retry_interval=0.0,
        poll_interval=0.25,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("wait", [True, False], ids=["fetch_lock", "try_fetch_lock"])
def test_a_timed_out_lock_attempt_leaves_no_lock(own_redis_server: RedisServer, wait: bool) -> None:
    """The caller goes ahead alone (degraded) and the late SET NX is cleaned up."""
    cache = _cache(own_redis_server)
    try:
        assert cache.get("k") is None  # connect before the stall: the SET goes out at once
        with paused(own_redis_server):
            lock = cache.fetch_lock("k") if wait else cache.try_fetch_lock("k")
            with lock as lead:
                assert lead in (None, True)  # degraded: this process goes ahead alone
        assert _lock_gone(own_redis_server, cache.lock_key("k"))
    finally:
        cache.close()


def test_a_timed_out_async_lock_attempt_leaves_no_lock(own_redis_server: RedisServer) -> None:
    """The same through the asyncio client (atry_fetch_lock)."""
    cache = _cache(own_redis_server)

    async def main() -> None:
        assert await cache.aget("k") is None
        with paused(own_redis_server):
            async with cache.atry_fetch_lock("k") as lead:
                assert lead is True
        # Keep the loop alive while the sweeper (thread or task) works.
        await asyncio.to_thread(_assert_gone)
        await cache.aclose()

    def _assert_gone() -> None:
        assert _lock_gone(own_redis_server, cache.lock_key("k"))

    try:
        asyncio.run(main())
    finally:
        cache.close()
