"""The file token cache clears expired tokens by itself, lock-free, and stays bounded."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from httpx_pingone_worker import EncryptedFileTokenCache, Secret, Token
from httpx_pingone_worker.caches._file import LEFTOVER_AGE
from httpx_pingone_worker.credentials._crypto import generate_key

KEY = generate_key()


def token(value: str, *, expires_in: int = 3600, age: float = 0.0) -> Token:
    """A token obtained ``age`` seconds ago (expired when age > expires_in)."""
    return Token(
        access_token=Secret(value),
        token_type="Bearer",
        expires_in=expires_in,
        obtained_at=time.time() - age,
        scopes=frozenset({"openid"}),
        requested_scopes=frozenset({"openid"}),
        scope_returned=True,
    )


def token_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.token"))


@pytest.fixture
def cache(tmp_path: Path) -> EncryptedFileTokenCache:
    return EncryptedFileTokenCache(tmp_path / "tokens", key=KEY, lock_timeout=5)


def test_the_file_time_is_the_expiry(cache: EncryptedFileTokenCache) -> None:
    """set() stamps the file with the token's expiry (what the sweep judges by first)."""
    tok = token("live-1")
    cache.set("pingone:a", tok)
    assert cache.token_path("pingone:a").stat().st_mtime == pytest.approx(tok.expires_at, abs=1)


def test_next_write_removes_expired_entries_and_keeps_live_ones(tmp_path: Path) -> None:
    """Another process's next write (any key) removes expired entries; live ones stay."""
    first = EncryptedFileTokenCache(tmp_path / "tokens", key=KEY)
    first.set("pingone:live", token("live-1"))
    first.set("pingone:old", token("expired-1", expires_in=60, age=120))
    assert first.token_path("pingone:old").exists()  # kept: nothing written since it expired
    second = EncryptedFileTokenCache(tmp_path / "tokens", key=KEY)  # another process
    second.set("pingone:other", token("live-2"))
    assert not first.token_path("pingone:old").exists()
    live = first.get("pingone:live")
    assert live is not None
    assert live.access_token == Secret("live-1")
    assert second.get("pingone:other") is not None


def test_the_entry_just_written_is_kept_whatever_its_time(
    cache: EncryptedFileTokenCache,
) -> None:
    """A caller with another clock (tests, emulators) reads back what it just stored."""
    cache.set("pingone:x", token("from-a-fake-clock", expires_in=60, age=10_000))
    got = cache.get("pingone:x")
    assert got is not None
    assert got.access_token == Secret("from-a-fake-clock")


def test_a_host_rotating_through_many_keys_stays_bounded(cache: EncryptedFileTokenCache) -> None:
    """100 apps/scopes one after another, each token expired by the time the next is stored:
    the directory never holds more than the newest entry and one not yet swept."""
    most = 0
    for i in range(100):
        cache.set(f"pingone:app-{i}", token(f"t-{i}", expires_in=60, age=61))
        most = max(most, len(token_files(cache.path)))
    assert most <= 2
    assert token_files(cache.path) == [cache.token_path("pingone:app-99").name]


def test_a_live_file_written_during_the_sweep_is_put_back(
    cache: EncryptedFileTokenCache,
) -> None:
    """The sweep judged an expired file; before it removed it another process replaced it
    with a live token: the live token survives (the lock-free compare step)."""
    path = cache.token_path("pingone:k")
    cache.set("pingone:k", token("expired", expires_in=60, age=120))
    judged = os.stat(path)
    other = EncryptedFileTokenCache(cache.path, key=KEY)
    other.set("pingone:k", token("fresh"))  # the other process's write lands here
    assert cache._remove_if_unchanged(path, judged) == 0
    got = cache.get("pingone:k")
    assert got is not None
    assert got.access_token == Secret("fresh")
    assert not list(cache.path.glob(".*.sweep"))
    # Control: unchanged, the judged file does go.
    cache.set("pingone:k", token("expired-again", expires_in=60, age=120))
    assert cache._remove_if_unchanged(path, os.stat(path)) == 1
    assert cache.get("pingone:k") is None


def test_reads_never_sweep(cache: EncryptedFileTokenCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot read path does no housekeeping (and takes no lock)."""
    cache.set("pingone:a", token("live"))

    def boom(*args: object, **kwargs: object) -> int:
        raise AssertionError("get() swept")

    monkeypatch.setattr(cache, "sweep", boom)
    monkeypatch.setattr(cache, "_new_lock", boom)
    assert cache.get("pingone:a") is not None


def test_leftovers_go_after_their_age(cache: EncryptedFileTokenCache) -> None:
    """Crashed writers' temp files, unreadable entries and unused lock files without a
    token go once LEFTOVER_AGE has passed; recent ones and held locks stay."""
    old = time.time() - LEFTOVER_AGE - 10
    stale_tmp = cache.path / ".abc.token.x1.tmp"
    fresh_tmp = cache.path / ".abc.token.x2.tmp"
    garbage = cache.path / ("f" * 40 + ".token")
    for path in (stale_tmp, fresh_tmp, garbage):
        path.write_bytes(b"not a token")
    os.utime(stale_tmp, (old, old))
    os.utime(garbage, (old, old))
    with cache.fetch_lock("pingone:unused"):
        pass
    with cache.fetch_lock("pingone:held"):
        pass
    for name in ("pingone:unused", "pingone:held"):
        os.utime(cache.lock_path(name), (old, old))
    with cache.fetch_lock("pingone:held"):
        os.utime(cache.lock_path("pingone:held"), (old, old))
        cache.set("pingone:live", token("live"))  # the write sweeps
        assert cache.lock_path("pingone:held").exists()  # in use: stays
    assert not stale_tmp.exists()
    assert fresh_tmp.exists()
    assert not garbage.exists()
    assert not cache.lock_path("pingone:unused").exists()
    assert cache.get("pingone:live") is not None


def test_an_unreadable_entry_is_left_alone_for_a_while(cache: EncryptedFileTokenCache) -> None:
    """A file this key cannot read (another key, a partial copy) is not removed at once."""
    garbage = cache.path / ("e" * 40 + ".token")
    garbage.write_bytes(b"HPWT1 something else")
    cache.set("pingone:live", token("live"))
    assert garbage.exists()


def random_writes(seed: int) -> list[tuple[int, bool]]:
    rng = random.Random(seed)
    return [(rng.randrange(5), rng.random() < 0.5) for _ in range(rng.randint(1, 12))]


@pytest.mark.parametrize("seed", range(40))
def test_property_live_entries_survive_and_expired_ones_go(tmp_path: Path, seed: int) -> None:
    """Any sequence of writes (5 keys, live or expired tokens; 40 seeded random sequences):
    after it, every key whose last token is live reads back that token; every expired one
    except the last write is gone."""
    writes = random_writes(seed)
    cache = EncryptedFileTokenCache(tmp_path / "tokens", key=KEY)
    last: dict[int, tuple[str, bool]] = {}
    for n, (k, live) in enumerate(writes):
        value = f"t{n}-{'live' if live else 'dead'}"
        cache.set(f"pingone:{k}", token(value) if live else token(value, expires_in=60, age=61))
        last[k] = (value, live)
    final_key = writes[-1][0]
    for k, (value, live) in last.items():
        got = cache.get(f"pingone:{k}")
        if live or k == final_key:
            assert got is not None
            assert got.access_token == Secret(value)
        else:
            assert got is None
            assert not cache.token_path(f"pingone:{k}").exists()
