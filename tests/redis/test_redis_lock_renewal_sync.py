"""Fetch-lock renewal (sync ``fetch_lock`` and trio) against a real redis-server."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from redis_support import (
    KEY,
    RedisServer,
    bound_cache,
    eval_calls,
    renewal_threads,
    wait_until,
)

from canary import assert_no_canary
from httpx_pingone_worker.caches._redis_lock import RedisLock

TTL = 1.2  # seconds; renewed every TTL/3 (0.4 s: a loaded CI machine can stall a thread that long)
HOLD = 3.3 * TTL  # the holder works more than three lock TTLs


class Section:
    """Counts entries into a critical section and the most holders seen inside at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.entries: list[str] = []

    def enter(self, who: str) -> None:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.entries.append(who)

    def leave(self) -> None:
        with self._lock:
            self.inside -= 1


def hold_while_waiter_tries(server: RedisServer) -> tuple[Section, list[bytes | None]]:
    """The holder keeps the lock for HOLD while a second cache waits; returns (section, owners
    seen in Redis during the hold)."""
    holder = bound_cache(server.url, lock_ttl=TTL)
    waiter = bound_cache(server.url, lock_ttl=TTL, poll_interval=0.05, lock_timeout=10)
    client = server.client()
    section = Section()
    waiter_entered = threading.Event()

    def wait_for_lock() -> None:
        with waiter.fetch_lock(KEY):
            section.enter("waiter")
            waiter_entered.set()
            section.leave()

    seen: list[bytes | None] = []
    t = threading.Thread(target=wait_for_lock)
    with holder.fetch_lock(KEY):
        section.enter("holder")
        owner = client.get(holder.lock_key(KEY))
        t.start()
        end = time.monotonic() + HOLD
        while time.monotonic() < end and not waiter_entered.is_set():
            seen.append(client.get(holder.lock_key(KEY)))
            time.sleep(0.05)
        seen.append(owner)
        section.leave()
    t.join(10)
    assert waiter_entered.is_set(), "the waiter never got the lock after release"
    client.close()
    holder.close()
    waiter.close()
    return section, seen


def test_holder_keeps_the_lock_three_ttls_and_the_waiter_waits(redis_server: RedisServer) -> None:
    """A holder working 3x lock_ttl still owns the lock; the waiter gets in only after release."""
    section, seen = hold_while_waiter_tries(redis_server)
    owner = seen[-1]
    assert owner is not None
    assert seen[:-1]  # never expired, never taken:
    assert all(value == owner for value in seen[:-1])
    assert section.entries == ["holder", "waiter"]
    assert section.most == 1


def test_control_without_renewal_the_waiter_gets_in(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: with renewal disabled the same hold lets the waiter in (so the test can fail)."""

    def no_renewal(self: Any, key: str, owner: str, stopped: threading.Event) -> None:
        stopped.wait()

    monkeypatch.setattr(RedisLock, "_renew_loop", no_renewal)
    section, _ = hold_while_waiter_tries(redis_server)
    assert section.most == 2  # the waiter entered while the holder was still inside


def test_renewal_keeps_pttl_within_lock_ttl_and_stops_on_release(
    redis_server: RedisServer,
) -> None:
    """While held the lock's PTTL is renewed up to lock_ttl (never beyond); after release the
    key is gone, the renewal thread has ended and no more renewals reach Redis."""
    cache = bound_cache(redis_server.url, lock_ttl=TTL)
    client = redis_server.client()
    lock = cache.lock_key(KEY)
    before = eval_calls(client)
    with cache.fetch_lock(KEY):
        assert len(renewal_threads()) == 1
        end = time.monotonic() + HOLD
        while time.monotonic() < end:
            assert 0 < client.pttl(lock) <= TTL * 1000
            time.sleep(0.05)
    assert eval_calls(client) - before >= 3  # at least two renewals, plus the release
    assert client.exists(lock) == 0
    assert renewal_threads() == []
    after_release = eval_calls(client)
    time.sleep(TTL)  # three renewal periods: a renewer still running would call EVAL
    assert eval_calls(client) == after_release
    assert client.exists(lock) == 0
    client.close()
    cache.close()


@pytest.mark.parametrize("underneath", ["deleted", "taken over"])
def test_renewal_notices_a_lost_lock_and_stops(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, underneath: str
) -> None:
    """A lock deleted or retaken underneath the holder: renewal stops with one warning, never
    recreates or extends the key, and neither renewal nor release raises."""
    cache = bound_cache(redis_server.url, lock_ttl=TTL)
    client = redis_server.client()
    lock = cache.lock_key(KEY)
    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"), cache.fetch_lock(KEY):
        if underneath == "deleted":
            client.delete(lock)
        else:
            client.set(lock, b"another-owner", px=60_000)
        assert wait_until(lambda: renewal_threads() == []), "renewal did not stop"
        if underneath == "deleted":
            assert client.exists(lock) == 0
        else:
            assert client.get(lock) == b"another-owner"
            assert client.pttl(lock) > TTL * 1000  # not cut down to our lock_ttl
    lost = [r for r in caplog.records if "lock lost" in r.getMessage()]
    assert len(lost) == 1
    assert lost[0].levelno == logging.WARNING
    assert lock in lost[0].getMessage()
    if underneath == "taken over":
        assert client.get(lock) == b"another-owner"  # fencing: release left it alone
    assert_no_canary("\n".join(r.getMessage() for r in caplog.records))
    client.close()
    cache.close()


def test_renewal_stops_quietly_when_redis_goes_away(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stopped while the lock is held: renewal stops, one ⛔ line, release does not raise."""
    cache = bound_cache(own_redis_server.url, lock_ttl=TTL, socket_timeout=0.3, retry_interval=60)
    with caplog.at_level(logging.INFO, logger="httpx_pingone_worker"), cache.fetch_lock(KEY):
        own_redis_server.stop()
        assert wait_until(lambda: renewal_threads() == []), "renewal did not stop"
        assert cache.degraded
    errors = [r for r in caplog.records if "⛔" in r.getMessage()]
    assert len(errors) == 1
    assert errors[0].levelno == logging.WARNING
    cache.close()


def test_trio_holder_keeps_the_lock_three_ttls(redis_server: RedisServer) -> None:
    """Under trio (sync client in worker threads) afetch_lock is renewed and stops on release."""
    import trio

    holder = bound_cache(redis_server.url, lock_ttl=TTL)
    waiter = bound_cache(redis_server.url, lock_ttl=TTL, poll_interval=0.05, lock_timeout=10)
    client = redis_server.client()
    section = Section()

    def wait_for_lock() -> None:
        with waiter.fetch_lock(KEY):
            section.enter("waiter")
            section.leave()

    t = threading.Thread(target=wait_for_lock)
    seen: list[bytes | None] = []

    async def main() -> None:
        async with holder.afetch_lock(KEY):
            section.enter("holder")
            owner = client.get(holder.lock_key(KEY))
            assert owner is not None
            t.start()
            end = time.monotonic() + HOLD
            while time.monotonic() < end and not section.entries[1:]:
                seen.append(client.get(holder.lock_key(KEY)))
                await trio.sleep(0.05)
            assert seen
            assert all(value == owner for value in seen)
            section.leave()

    trio.run(main)
    t.join(10)
    assert section.entries == ["holder", "waiter"]
    assert section.most == 1
    assert renewal_threads() == []  # both holders stopped renewing on release
    client.close()
    holder.close()
    waiter.close()
