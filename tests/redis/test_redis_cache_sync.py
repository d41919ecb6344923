"""RedisTokenCache (sync API) against a real redis-server."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from redis_support import KEY, RedisServer, bound_cache, make_token, subscribers, wait_until

from canary import CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import RedisTokenCache, StorageError


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ⛔ lines logged so far."""
    return [r.getMessage() for r in caplog.records if "⛔" in r.getMessage()]


def test_round_trip_preserves_every_field(redis_server: RedisServer) -> None:
    """A stored token reads back with the same value, type, lifetime and scopes."""
    cache = bound_cache(redis_server.url)
    token = make_token()
    assert cache.get(KEY) is None
    cache.set(KEY, token)
    back = cache.get(KEY)
    assert back is not None
    assert back.access_token.get_secret_value() == CANARY_TOKEN
    assert (back.token_type, back.expires_in, back.obtained_at) == (
        token.token_type,
        token.expires_in,
        token.obtained_at,
    )
    assert back.scopes == token.scopes
    assert back.requested_scopes == token.requested_scopes
    cache.delete(KEY)
    assert cache.get(KEY) is None
    cache.delete(KEY)  # absent: no error
    cache.close()


def test_second_process_view_shares_the_token(redis_server: RedisServer) -> None:
    """Another cache instance holding the same secret reads the token the first stored."""
    writer = bound_cache(redis_server.url)
    reader = bound_cache(redis_server.url)
    writer.set(KEY, make_token())
    got = reader.get(KEY)
    assert got is not None
    assert got.access_token.get_secret_value() == CANARY_TOKEN
    writer.close()
    reader.close()


def test_nothing_in_redis_reveals_token_or_secret(
    redis_server: RedisServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    """redis-cli --scan, DUMP and GET output and the DEBUG logs contain no canary bytes."""
    cache = bound_cache(redis_server.url)
    cache.set(KEY, make_token())
    with cache.fetch_lock(KEY):
        keys = redis_server.cli("--scan").decode().split()
        assert cache.token_key(KEY) in keys
        assert cache.lock_key(KEY) in keys
        dumped = b"".join(redis_server.cli("DUMP", k) for k in keys)
        got = b"".join(redis_server.cli("GET", k) for k in keys)
    assert cache.get(KEY) is not None
    client = redis_server.client()
    raw = b"".join(client.dump(k) or b"" for k in client.scan_iter())
    client.close()
    for blob in (" ".join(keys).encode(), dumped, got, raw):
        assert_no_canary(blob)
        assert CANARY_SECRET.encode() not in blob
    assert_no_canary("\n".join(r.getMessage() for r in debug_logs.records))
    cache.close()


def test_entry_ttl_follows_token_expiry(redis_server: RedisServer) -> None:
    """The entry expires when the token does; an already expired token is not stored."""
    cache = bound_cache(redis_server.url)
    client = redis_server.client()
    cache.set(KEY, make_token(expires_in=3600))
    assert 3590_000 < client.pttl(cache.token_key(KEY)) <= 3600_000
    cache.set(KEY, make_token(expires_in=3600, obtained_at=time.time() - 1000))
    assert 2590_000 < client.pttl(cache.token_key(KEY)) <= 2600_000
    cache.delete(KEY)
    cache.set(KEY, make_token(expires_in=60, obtained_at=time.time() - 120))
    assert client.exists(cache.token_key(KEY)) == 0
    client.close()
    cache.close()


def test_ttl_never_exceeds_the_lifetime_under_a_foreign_clock(redis_server: RedisServer) -> None:
    """A token stamped by a clock far ahead of real time still lives at most its lifetime."""
    cache = bound_cache(redis_server.url)
    client = redis_server.client()
    cache.set(KEY, make_token(expires_in=300, obtained_at=time.time() + 10_000))
    assert 290_000 < client.pttl(cache.token_key(KEY)) <= 300_000
    client.close()
    cache.close()


@pytest.mark.parametrize("how", ["flip", "truncate", "garbage", "moved"])
def test_tampered_value_is_a_miss(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    """A modified, truncated, foreign or relocated value reads as a miss with a ⛔ line."""
    cache = bound_cache(redis_server.url)
    client = redis_server.client()
    cache.set(KEY, make_token())
    rkey = cache.token_key(KEY)
    value: bytes = client.get(rkey)
    if how == "flip":
        pos = len(value) - 5
        value = value[:pos] + (b"A" if value[pos : pos + 1] != b"A" else b"B") + value[pos + 1 :]
        client.set(rkey, value)
    elif how == "truncate":
        client.set(rkey, value[:20])
    elif how == "garbage":
        client.set(rkey, b"\x00\xffnot a token")
    else:  # a valid value of another key, copied here
        other = "pingone:" + "f" * 32
        cache.set(other, make_token("some-other-token-value"))
        client.set(rkey, client.get(cache.token_key(other)))
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert cache.get(KEY) is None
    assert error_lines(caplog)
    client.close()
    cache.close()


def test_wrong_key_is_a_miss(redis_server: RedisServer) -> None:
    """A process with another secret or explicit key cannot read the entry."""
    writer = bound_cache(redis_server.url)
    writer.set(KEY, make_token())
    other_secret = bound_cache(redis_server.url, secret="a-different-client-secret")
    explicit = RedisTokenCache(redis_server.url, encryption_key=os.urandom(32))
    assert other_secret.get(KEY) is None
    assert explicit.get(KEY) is None
    assert writer.get(KEY) is not None
    for c in (writer, other_secret, explicit):
        c.close()


def test_explicit_key_wins_over_bind(redis_server: RedisServer) -> None:
    """With encryption_key= two caches share tokens whatever credentials they are bound to."""
    key = os.urandom(32)
    a = bound_cache(redis_server.url, encryption_key=key)
    b = bound_cache(redis_server.url, secret="ignored-by-explicit", encryption_key=None)
    b_explicit = RedisTokenCache(redis_server.url, encryption_key=key)
    a.set(KEY, make_token())
    assert b_explicit.get(KEY) is not None
    assert b.get(KEY) is None
    for c in (a, b, b_explicit):
        c.close()


def test_per_key_binding_keeps_apps_apart(redis_server: RedisServer) -> None:
    """One shared cache bound per cache key encrypts each app's entry with its own secret."""
    from redis_support import credentials

    other_key = "pingone:" + "e" * 32
    cache = RedisTokenCache(redis_server.url)
    cache.bind(credentials(), cache_key=KEY)
    cache.bind(credentials("second-app-secret"), cache_key=other_key)
    cache.set(KEY, make_token())
    cache.set(other_key, make_token("second-app-token"))
    reader = bound_cache(redis_server.url)  # holds only the first app's secret
    assert reader.get(KEY) is not None
    assert reader.get(other_key) is None
    got = cache.get(other_key)
    assert got is not None
    assert got.access_token.get_secret_value() == "second-app-token"
    cache.close()
    reader.close()


def test_lock_is_exclusive_and_released(redis_server: RedisServer) -> None:
    """While one holder has the lock a second waits; release lets it in and clears the key."""
    holder = bound_cache(redis_server.url)
    waiter = bound_cache(redis_server.url)
    client = redis_server.client()
    entered = threading.Event()
    release = threading.Event()

    def wait_for_lock() -> None:
        with waiter.fetch_lock(KEY):
            entered.set()

    with holder.fetch_lock(KEY):
        owner = client.get(holder.lock_key(KEY))
        assert owner is not None
        assert len(owner) == 32
        assert 0 < client.pttl(holder.lock_key(KEY)) <= 15_000
        t = threading.Thread(target=wait_for_lock)
        t.start()
        assert not entered.wait(0.3)
        release.set()
    assert entered.wait(5)
    t.join(5)
    assert client.exists(holder.lock_key(KEY)) == 0
    client.close()
    holder.close()
    waiter.close()


def test_owner_tokens_are_random(redis_server: RedisServer) -> None:
    """Each acquisition writes a fresh random owner token."""
    cache = bound_cache(redis_server.url)
    client = redis_server.client()
    owners = set()
    for _ in range(5):
        with cache.fetch_lock(KEY):
            owners.add(client.get(cache.lock_key(KEY)))
    assert len(owners) == 5
    client.close()
    cache.close()


def test_release_never_deletes_a_lock_someone_else_took(redis_server: RedisServer) -> None:
    """Fencing: a holder whose lock expired and was retaken does not delete the new lock."""
    cache = bound_cache(redis_server.url)
    client = redis_server.client()
    with cache.fetch_lock(KEY):
        # Simulate expiry and takeover by another process.
        client.set(cache.lock_key(KEY), b"another-owner", px=10_000)
    assert client.get(cache.lock_key(KEY)) == b"another-owner"
    client.close()
    cache.close()


def test_waiting_is_not_a_busy_loop(redis_server: RedisServer) -> None:
    """A waiter blocked for ~1s issues a handful of lock attempts, not thousands."""
    holder = bound_cache(redis_server.url)
    waiter = bound_cache(redis_server.url, poll_interval=0.25)
    client = redis_server.client()
    done = threading.Event()

    def wait_for_lock() -> None:
        with waiter.fetch_lock(KEY):
            done.set()

    with holder.fetch_lock(KEY):
        client.config_resetstat()
        t = threading.Thread(target=wait_for_lock)
        t.start()
        time.sleep(1.0)
        stats = client.info("commandstats")
    assert done.wait(5)
    t.join(5)
    calls = sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_set", "cmdstat_pttl"))
    assert 1 <= calls <= 20, calls
    client.close()
    holder.close()
    waiter.close()


def test_waiter_wakes_on_release_before_poll_interval(redis_server: RedisServer) -> None:
    """A release notifies waiters at once: they do not sleep out a long poll interval."""
    holder = bound_cache(redis_server.url, lock_ttl=30)
    waiter = bound_cache(redis_server.url, poll_interval=10, lock_timeout=20)
    entered = threading.Event()

    def wait_for_lock() -> None:
        with waiter.fetch_lock(KEY):
            entered.set()

    client = redis_server.client()
    with holder.fetch_lock(KEY):
        t = threading.Thread(target=wait_for_lock)
        t.start()
        assert wait_until(lambda: subscribers(client, holder.notify_channel(KEY)) > 0)
    client.close()
    assert entered.wait(3)  # well under poll_interval=10 and the lock's 30s TTL
    t.join(5)
    holder.close()
    waiter.close()


def test_lock_wait_is_bounded(redis_server: RedisServer) -> None:
    """A waiter gives up after lock_timeout with a StorageError naming the lock."""
    holder = bound_cache(redis_server.url, lock_ttl=30)
    waiter = bound_cache(redis_server.url, lock_timeout=0.3)
    with holder.fetch_lock(KEY):
        start = time.monotonic()
        with pytest.raises(StorageError, match="fetch lock") as info, waiter.fetch_lock(KEY):
            pass
        assert time.monotonic() - start < 5
    assert holder.lock_key(KEY) in str(info.value)
    holder.close()
    waiter.close()


def test_expired_lock_is_taken_over(redis_server: RedisServer) -> None:
    """A lock nobody releases is acquired by a waiter once its TTL runs out."""
    client = redis_server.client()
    cache = bound_cache(redis_server.url, lock_timeout=5)
    client.set(cache.lock_key(KEY), b"dead-owner", px=400)
    start = time.monotonic()
    with cache.fetch_lock(KEY):
        assert client.get(cache.lock_key(KEY)) != b"dead-owner"
    assert 0.2 < time.monotonic() - start < 4
    client.close()
    cache.close()


def test_redis_stopped_degrades_then_recovers(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis gone: every operation is a quiet miss (one ⛔ line); restarted: sharing resumes."""
    server = own_redis_server
    cache = bound_cache(server.url, retry_interval=0.2, socket_timeout=0.3)
    other = bound_cache(server.url, retry_interval=0.2, socket_timeout=0.3)
    cache.set(KEY, make_token())
    assert other.get(KEY) is not None
    server.stop()
    with caplog.at_level(logging.INFO, logger="httpx_pingone_worker"):
        for _ in range(3):
            assert cache.get(KEY) is None
            cache.set(KEY, make_token())
            cache.delete(KEY)
            with cache.fetch_lock(KEY):  # yields without locking
                pass
            time.sleep(0.25)  # past retry_interval: each round probes Redis again
        assert cache.degraded
        assert len(error_lines(caplog)) == 1
        server.start()
        time.sleep(0.25)
        cache.set(KEY, make_token())
        assert not cache.degraded
        got = other.get(KEY)  # the other instance recovers on its own too
        if got is None:  # it may still be inside its retry interval
            time.sleep(0.25)
            got = other.get(KEY)
        assert got is not None
        assert any("reachable again" in r.getMessage() for r in caplog.records)
    assert_no_canary("\n".join(r.getMessage() for r in caplog.records))
    cache.close()
    other.close()


def _answers(client: object) -> bool:
    """Whether ``client`` gets a PING answer within its socket timeout."""
    import redis

    try:
        client.ping()  # type: ignore[attr-defined]
    except redis.exceptions.TimeoutError:
        return False
    return True


def test_slow_redis_degrades_within_socket_timeout(own_redis_server: RedisServer) -> None:
    """A Redis that stops answering (DEBUG SLEEP) costs one socket timeout, then a miss."""
    cache = bound_cache(own_redis_server.url, socket_timeout=0.2, retry_interval=60)
    cache.set(KEY, make_token())
    blocker = threading.Thread(target=lambda: own_redis_server.cli("DEBUG", "SLEEP", "1.5"))
    blocker.start()
    # Wait until the server really is asleep (a PING times out), not a fixed guess: under
    # load, starting redis-cli can take longer than any short sleep.
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    probe = own_redis_server.client(socket_timeout=0.1, retry=Retry(NoBackoff(), 0))
    assert wait_until(lambda: not _answers(probe), timeout=10)
    probe.close()
    start = time.monotonic()
    assert cache.get(KEY) is None
    assert cache.degraded
    assert cache.get(KEY) is None  # breaker open: Redis is not even asked
    assert time.monotonic() - start < 1.2
    blocker.join(10)
    cache.close()


def test_async_only_client_is_refused_in_sync_code(redis_server: RedisServer) -> None:
    """A cache built from an asyncio client explains that sync code needs a sync client."""
    import redis.asyncio

    from httpx_pingone_worker import ConfigurationError

    cache = RedisTokenCache(redis.asyncio.Redis.from_url(redis_server.url), secret="s" * 16)
    with pytest.raises(ConfigurationError, match="only an async client"):
        cache.get(KEY)


def test_user_supplied_sync_client_is_used_and_left_open(redis_server: RedisServer) -> None:
    """A redis.Redis passed in (even with decode_responses=True) works and is not closed."""
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    cache = RedisTokenCache(client, secret=CANARY_SECRET, key_prefix="tenant-a:")
    cache.set(KEY, make_token())
    assert cache.get(KEY) is not None
    assert cache.token_key(KEY).startswith("tenant-a:token:")
    cache.close()
    assert client.ping()
    client.close()


def test_waiter_proceeds_when_another_process_stores_the_token(redis_server: RedisServer) -> None:
    """A waiter that hears 'stored' goes on without the lock and reads the new token."""
    holder = bound_cache(redis_server.url, lock_ttl=30)
    waiter = bound_cache(redis_server.url, poll_interval=10, lock_timeout=20)
    client = redis_server.client()
    seen: list[object] = []

    def wait_for_token() -> None:
        with waiter.fetch_lock(KEY):
            seen.append(waiter.get(KEY))

    with holder.fetch_lock(KEY):
        t = threading.Thread(target=wait_for_token)
        t.start()
        # Store only once the waiter listens: a 'stored' sent before it subscribed is not
        # for it (in real use the holder's release wakes it anyway).
        assert wait_until(lambda: subscribers(client, holder.notify_channel(KEY)) > 0)
        assert not seen
        holder.set(KEY, make_token())
        t.join(5)
        assert not t.is_alive()
        assert seen
        assert seen[0] is not None
        owner = client.get(holder.lock_key(KEY))
        assert owner is not None  # the holder still has its lock: the waiter did not take it
    client.close()
    holder.close()
    waiter.close()


def test_a_server_answering_garbage_degrades_instead_of_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pointed at something that is not Redis (an HTTP server), operations are quiet misses."""
    from redis_support import TokenServer

    with TokenServer(delay=0.0) as http_server:
        port = http_server.url.split(":")[2].split("/")[0]
        cache = bound_cache(f"redis://127.0.0.1:{port}/0", socket_timeout=1.0)
        with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
            assert cache.get(KEY) is None
            cache.set(KEY, make_token())
            with cache.fetch_lock(KEY):
                pass
        assert cache.degraded
        assert len(error_lines(caplog)) == 1
        cache.close()
