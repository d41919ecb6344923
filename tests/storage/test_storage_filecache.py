"""EncryptedFileTokenCache, sync side: round trip, encryption, damage, locks, threads."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import filelock
import httpx
import keyring
import pytest
from keyring.backends import fail
from storage_helpers import CACHE_KEY, RaceSetup, all_bytes_under, make_token, race_for_token
from storage_support import MemoryKeyring

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    EncryptedFileTokenCache,
    PingOneWorkerAuth,
    StorageError,
    TokenCache,
)
from httpx_pingone_worker._core._retry import DEFAULT_RETRY
from httpx_pingone_worker.caches._file import CACHE_DIR_ENV
from httpx_pingone_worker.caches._memory import AsyncTokenCache, SupportsFetchLock
from httpx_pingone_worker.credentials._crypto import (
    KEYRING_SERVICE,
    KeyringFallbackWarning,
    generate_key,
    key_file_path,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (bounded wait)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def cache(cache_dir: Path) -> EncryptedFileTokenCache:
    """A cache with an explicit key in a fresh directory."""
    return EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=5)


def test_implements_every_cache_protocol(cache: EncryptedFileTokenCache) -> None:
    """It is a TokenCache, an AsyncTokenCache and SupportsFetchLock."""
    assert isinstance(cache, TokenCache)
    assert isinstance(cache, AsyncTokenCache)
    assert isinstance(cache, SupportsFetchLock)


def test_round_trip_keeps_every_field(cache: EncryptedFileTokenCache) -> None:
    """A stored token comes back equal, field for field."""
    token = make_token()
    cache.set(CACHE_KEY, token)
    assert cache.get(CACHE_KEY) == token


def test_get_missing_is_none(cache: EncryptedFileTokenCache) -> None:
    """An absent key is a miss, not an error."""
    assert cache.get("pingone:absent") is None


def test_two_instances_share_tokens(cache_dir: Path) -> None:
    """A second cache on the same directory and key reads what the first stored."""
    key = generate_key()
    EncryptedFileTokenCache(cache_dir, key=key).set(CACHE_KEY, make_token())
    assert EncryptedFileTokenCache(cache_dir, key=key).get(CACHE_KEY) == make_token()


def test_delete_and_clear(cache: EncryptedFileTokenCache) -> None:
    """delete removes one entry (absent is fine); clear removes all tokens."""
    cache.set("pingone:a", make_token("token-a-value"))
    cache.set("pingone:b", make_token("token-b-value"))
    cache.delete("pingone:a")
    cache.delete("pingone:a")
    assert cache.get("pingone:a") is None
    assert cache.get("pingone:b") is not None
    cache.clear()
    assert cache.get("pingone:b") is None


@posix_only
def test_files_are_0600_and_directory_0700(cache: EncryptedFileTokenCache) -> None:
    """The cache directory is 0700, token and lock files 0600."""
    cache.set(CACHE_KEY, make_token())
    with cache.fetch_lock(CACHE_KEY):
        pass
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o700
    files = [p for p in cache.path.iterdir() if p.is_file()]
    assert {p.suffix for p in files} >= {".token", ".lock"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_token_file_name_is_a_hash_of_the_key(cache: EncryptedFileTokenCache) -> None:
    """File names are hashes: the cache key does not show on disk."""
    cache.set(CACHE_KEY, make_token())
    names = [p.name for p in cache.path.iterdir()]
    assert names == [cache.token_path(CACHE_KEY).name]
    assert CACHE_KEY.split(":")[1] not in names[0]


def test_key_from_keyring_when_none_given(cache_dir: Path, memory_keyring: MemoryKeyring) -> None:
    """Without key= the key is a keyring entry, shared by every cache of this user."""
    first = EncryptedFileTokenCache(cache_dir)
    first.set(CACHE_KEY, make_token())
    assert (KEYRING_SERVICE, "tokens-key") in memory_keyring.passwords
    assert not key_file_path(cache_dir, "tokens").exists()
    assert EncryptedFileTokenCache(cache_dir).get(CACHE_KEY) == make_token()


def test_key_file_fallback_without_keyring(cache_dir: Path) -> None:
    """With no usable keyring the key goes to a key file in the cache directory, with a warning."""
    keyring.set_keyring(fail.Keyring())
    with pytest.warns(KeyringFallbackWarning):
        first = EncryptedFileTokenCache(cache_dir)
    first.set(CACHE_KEY, make_token())
    assert key_file_path(cache_dir, "tokens").is_file()
    assert EncryptedFileTokenCache(cache_dir).get(CACHE_KEY) == make_token()


def test_default_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PINGONE_WORKER_CACHE_DIR moves the default cache directory."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "c"))
    assert EncryptedFileTokenCache(key=generate_key()).path == tmp_path / "c"


@pytest.mark.parametrize("bad", ["short", b"x" * 31, "hpw-key-v1:AAAA"])
def test_bad_key_is_rejected(cache_dir: Path, bad: str | bytes) -> None:
    """A key that is not 256 bits is a StorageError that does not echo it."""
    with pytest.raises(StorageError, match="not a 256-bit key") as info:
        EncryptedFileTokenCache(cache_dir, key=bad)
    assert str(bad) not in str(info.value)


def test_bad_lock_timeout_is_rejected(cache_dir: Path) -> None:
    """A negative or non-numeric lock timeout is rejected with a hint."""
    with pytest.raises(StorageError, match=">= 0"):
        EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=-1)
    with pytest.raises(StorageError, match="number of seconds"):
        EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout="5")  # type: ignore[arg-type]


def test_refuses_pickling_and_hides_key(cache: EncryptedFileTokenCache) -> None:
    """The cache holds its key: no pickling, and repr shows only path and timeout."""
    with pytest.raises(TypeError, match="refuses to be pickled"):
        pickle.dumps(cache)
    assert repr(cache) == f"EncryptedFileTokenCache(path={str(cache.path)!r}, lock_timeout=5)"


def test_set_rejects_non_tokens(cache: EncryptedFileTokenCache) -> None:
    """Storing something that is not a Token is a TypeError, not a corrupt file."""
    with pytest.raises(TypeError, match="takes a Token"):
        cache.set(CACHE_KEY, "a-token")  # type: ignore[arg-type]


# --- damage -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:-1] + bytes([b[-1] ^ 1]), id="flipped-bit"),
        pytest.param(lambda _: b"", id="empty"),
        pytest.param(lambda _: b"not a token file", id="garbage"),
    ],
)
def test_corrupted_file_is_a_logged_miss_then_rewritten(
    cache: EncryptedFileTokenCache, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    """A damaged token file reads as a miss with a warning naming it; the next set fixes it."""
    cache.set(CACHE_KEY, make_token("first-token-value"))
    path = cache.token_path(CACHE_KEY)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert cache.get(CACHE_KEY) is None
    assert str(path) in caplog.text
    cache.set(CACHE_KEY, make_token("second-token-value"))
    assert cache.get(CACHE_KEY) == make_token("second-token-value")


def test_wrong_key_is_a_logged_miss(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file written with another key is a miss that says "different key"."""
    EncryptedFileTokenCache(cache_dir, key=generate_key()).set(CACHE_KEY, make_token())
    other = EncryptedFileTokenCache(cache_dir, key=generate_key())
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert other.get(CACHE_KEY) is None
    assert "different key" in caplog.text


def test_file_moved_to_another_key_is_a_miss(
    cache: EncryptedFileTokenCache, caplog: pytest.LogCaptureFixture
) -> None:
    """A token file copied under another key's name does not authenticate there."""
    cache.set("pingone:a", make_token())
    cache.token_path("pingone:b").write_bytes(cache.token_path("pingone:a").read_bytes())
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert cache.get("pingone:b") is None
    assert "integrity" in caplog.text


def test_failed_write_keeps_old_token(
    cache: EncryptedFileTokenCache,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If the rename fails, set logs a warning, the old token stays and no temp file is left."""
    cache.set(CACHE_KEY, make_token("old-token-value"))

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        cache.set(CACHE_KEY, make_token("new-token-value"))
    monkeypatch.undo()
    assert "could not store token" in caplog.text
    assert cache.get(CACHE_KEY) == make_token("old-token-value")
    assert list(cache.path.glob("*.tmp")) == []


# --- locks ------------------------------------------------------------------------------


@contextlib.contextmanager
def held_elsewhere(cache: EncryptedFileTokenCache, key: str = CACHE_KEY):  # type: ignore[no-untyped-def]
    """Hold ``key``'s fetch lock through a separate file descriptor (like another process)."""
    other = filelock.FileLock(str(cache.lock_path(key)), thread_local=False)
    other.acquire(timeout=5)
    try:
        yield
    finally:
        other.release()


def test_lock_timeout_is_a_storage_error_naming_the_lock(cache_dir: Path) -> None:
    """When another holder keeps the lock past lock_timeout, fetch_lock raises StorageError."""
    cache = EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=0.05)
    with (
        held_elsewhere(cache),
        pytest.raises(StorageError, match="timed out") as info,
        cache.fetch_lock(CACHE_KEY),
    ):
        pytest.fail("the lock must not be granted while held elsewhere")
    assert info.value.path == str(cache.lock_path(CACHE_KEY))


def test_fresh_read_never_takes_the_lock(cache_dir: Path) -> None:
    """get() returns the token while another holder has the fetch lock (lock_timeout=0)."""
    cache = EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=0)
    cache.set(CACHE_KEY, make_token())
    with held_elsewhere(cache):
        assert cache.get(CACHE_KEY) == make_token()


def test_locks_are_per_key(cache_dir: Path) -> None:
    """Fetching for one key does not wait for another key's fetch."""
    cache = EncryptedFileTokenCache(cache_dir, key=generate_key(), lock_timeout=0)
    with held_elsewhere(cache, "pingone:other"), cache.fetch_lock(CACHE_KEY):
        pass


def test_lock_is_released_after_an_error(cache: EncryptedFileTokenCache) -> None:
    """An exception inside fetch_lock releases it for the next caller."""
    with pytest.raises(RuntimeError), cache.fetch_lock(CACHE_KEY):
        raise RuntimeError("fetch failed")
    probe = filelock.FileLock(str(cache.lock_path(CACHE_KEY)), thread_local=False)
    probe.acquire(timeout=0)
    probe.release()


@posix_only
def test_lock_of_a_killed_process_is_not_stale(cache_dir: Path) -> None:
    """A process SIGKILLed while holding the fetch lock does not block the next one."""
    key = generate_key()
    script = textwrap.dedent(
        f"""
        import sys, time
        from httpx_pingone_worker import EncryptedFileTokenCache
        cache = EncryptedFileTokenCache({str(cache_dir)!r}, key={key!r})
        with cache.fetch_lock({CACHE_KEY!r}):
            print("locked", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        cache = EncryptedFileTokenCache(cache_dir, key=key, lock_timeout=0)
        with pytest.raises(StorageError):  # really held: the test can fail
            cache.fetch_lock(CACHE_KEY).__enter__()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    cache = EncryptedFileTokenCache(cache_dir, key=key, lock_timeout=5)
    with cache.fetch_lock(CACHE_KEY):
        pass


def _race_in_threads(tmp_path: Path, *, use_lock: bool, racers: int = 8) -> tuple[int, set[str]]:
    setup = RaceSetup(str(tmp_path / "tokens"), generate_key(), str(tmp_path / "fetches"))
    start = threading.Barrier(racers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            race_for_token(setup, start, str(tmp_path / f"result-{i}"), use_lock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    fetches = Path(setup.counter_file).read_text(encoding="ascii").splitlines()
    results = {(tmp_path / f"result-{i}").read_text(encoding="ascii") for i in range(racers)}
    return len(fetches), results


def test_threads_with_fetch_lock_fetch_once(tmp_path: Path) -> None:
    """8 threads racing on an empty cache with fetch_lock make one fetch and share its token."""
    fetches, results = _race_in_threads(tmp_path, use_lock=True)
    assert fetches == 1
    assert len(results) == 1


def test_race_without_the_lock_fetches_more_than_once(tmp_path: Path) -> None:
    """Control: the same race without fetch_lock fetches several times (the count can fail)."""
    fetches, _ = _race_in_threads(tmp_path, use_lock=False)
    assert fetches > 1


# --- canary -----------------------------------------------------------------------------


def test_no_token_in_any_file_or_log(cache_dir: Path, debug_logs: pytest.LogCaptureFixture) -> None:
    """After caching the canary token it is in no file under the cache dir and no log line."""
    cache = EncryptedFileTokenCache(cache_dir)
    cache.set(CACHE_KEY, make_token(CANARY_TOKEN))
    got = cache.get(CACHE_KEY)
    assert got is not None
    assert got.access_token.get_secret_value() == CANARY_TOKEN
    with cache.fetch_lock(CACHE_KEY):
        pass
    assert_no_canary(all_bytes_under(cache_dir))
    assert_no_canary(debug_logs.text + repr(cache) + repr(got))


# --- lock wait vs. a retrying holder --------------------------------------------------


def test_default_lock_timeout_outlasts_a_retrying_fetch(cache_dir: Path) -> None:
    """The default lock wait is longer than a fetch retrying under the default policy can take.

    Budget + one request timeout (the auth's internal client uses 10 s) + one discovery
    request: a shorter wait lets waiters give up while the holder waits out a 429's
    Retry-After, and then every process hits the throttled token endpoint.
    """
    cache = EncryptedFileTokenCache(cache_dir, key=generate_key())
    request_timeout = 10.0
    assert cache.lock_timeout >= DEFAULT_RETRY.total_budget + 2 * request_timeout


def test_waiter_outwaits_a_holder_sleeping_on_retry_after(cache_dir: Path) -> None:
    """While one auth sleeps on a 429's Retry-After holding the lock, another auth on the same
    cache waits for its token instead of asking the throttled endpoint itself."""
    key = generate_key()
    requests: list[int] = []
    b_at_lock = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(1)
        if len(requests) == 1:
            return httpx.Response(429, headers={"Retry-After": "5"})
        body = {"access_token": f"tok-{len(requests)}", "token_type": "Bearer", "expires_in": 3600}
        return httpx.Response(200, json=body)

    def leader_sleep(seconds: float) -> None:
        assert seconds == 5.0
        # Hold the lock until B is waiting for it, then a little longer.
        assert b_at_lock.wait(10), "the second auth never reached the fetch lock"
        time.sleep(0.2)

    class SpyCache(EncryptedFileTokenCache):
        def fetch_lock(self, key: str):  # type: ignore[no-untyped-def]
            b_at_lock.set()
            return super().fetch_lock(key)

    def make(cache: EncryptedFileTokenCache, sleep: Any = time.sleep) -> PingOneWorkerAuth:
        return PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            "secret-value-1234567890",
            CANARY_ENV_ID,
            cache=cache,
            sleep=sleep,
            http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        )

    a = make(EncryptedFileTokenCache(cache_dir, key=key), leader_sleep)
    b = make(SpyCache(cache_dir, key=key, lock_timeout=5))
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(a.get_token)
        assert wait_for(lambda: len(requests) == 1)
        second = b.get_token()
        token_a = first.result(timeout=10)
    assert len(requests) == 2  # the 429 and the retry; B made none
    assert second.access_token == token_a.access_token
