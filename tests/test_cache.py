"""``MemoryTokenCache`` (LRU bound, thread safety) and ``cache_key``."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canary import CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ConfigurationError,
    MemoryTokenCache,
    PingOneWorkerAuth,
    Secret,
    Token,
    TokenCache,
    cache_key,
)
from httpx_pingone_worker.caches._memory import AsyncTokenCache, SupportsFetchLock

ENDPOINT = "https://auth.pingone.com/env/as/token"


def tok(n: int = 0) -> Token:
    return Token(Secret(f"{CANARY_TOKEN}-{n}"), "Bearer", 3600, float(n))


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads very often so that races would show."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_protocols() -> None:
    """MemoryTokenCache is a TokenCache; it offers neither async twins nor a fetch lock."""
    cache = MemoryTokenCache()
    assert isinstance(cache, TokenCache)
    assert not isinstance(cache, AsyncTokenCache)
    assert not isinstance(cache, SupportsFetchLock)


def test_get_set_delete() -> None:
    """Stored tokens come back; delete removes them; deleting twice is fine."""
    cache = MemoryTokenCache()
    assert cache.get("k") is None
    t = tok()
    cache.set("k", t)
    assert cache.get("k") is t
    cache.delete("k")
    cache.delete("k")
    assert cache.get("k") is None
    cache.set("a", t)
    cache.clear()
    assert len(cache) == 0


def test_lru_bound() -> None:
    """Beyond max_entries the least recently used entry goes first; get refreshes recency."""
    cache = MemoryTokenCache(max_entries=3)
    for key in "abc":
        cache.set(key, tok())
    assert cache.get("a") is not None  # a is now most recent
    cache.set("d", tok())
    assert cache.get("b") is None
    assert [k for k in "acd" if cache.get(k) is not None] == ["a", "c", "d"]
    assert len(cache) == 3
    cache.set("c", tok(1))  # overwrite: no eviction
    assert len(cache) == 3


def test_max_entries_validated() -> None:
    """max_entries below 1, or not an int (NaN, inf, 2.5), is a ConfigurationError."""
    for bad in (0, -1, float("nan"), float("inf"), 2.5, True):
        with pytest.raises(ConfigurationError, match="at least 1"):
            MemoryTokenCache(max_entries=bad)  # type: ignore[arg-type]


def test_repr_has_no_token() -> None:
    """repr shows counts, never tokens."""
    cache = MemoryTokenCache(max_entries=5)
    cache.set("k", tok())
    assert repr(cache) == "MemoryTokenCache(entries=1, max_entries=5)"
    assert_no_canary(repr(cache))


class YieldingKey(str):
    """A key whose hashing gives up the GIL: dict operations interleave between threads."""

    __slots__ = ()

    def __hash__(self) -> int:
        time.sleep(0)
        return str.__hash__(self)


def run_threads(work: Callable[[int], None], n: int) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def guarded(i: int) -> None:
        try:
            start.wait(timeout=10)
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


@pytest.mark.usefixtures("fast_switching")
def test_thread_safety_counts() -> None:
    """8 threads x 100 set/get/delete keep exact counts and never raise."""
    threads_n, per_thread = 8, 100
    cache = MemoryTokenCache(max_entries=threads_n * per_thread)
    hits = [0] * threads_n

    def work(i: int) -> None:
        for j in range(per_thread):
            key = YieldingKey(f"{i}-{j}")
            t = tok(j)
            cache.set(key, t)
            if cache.get(key) is t:
                hits[i] += 1
            cache.get(YieldingKey(f"{(i + 1) % threads_n}-{j}"))
            if j % 2:
                cache.delete(key)

    run_threads(work, threads_n)
    assert sum(hits) == threads_n * per_thread
    assert len(cache) == threads_n * per_thread // 2


@pytest.mark.usefixtures("fast_switching")
def test_thread_safety_eviction_bound() -> None:
    """Concurrent inserts past the bound leave exactly max_entries entries."""
    threads_n, per_thread, bound = 8, 100, 50
    cache = MemoryTokenCache(max_entries=bound)

    def work(i: int) -> None:
        for j in range(per_thread):
            cache.set(YieldingKey(f"{i}-{j}"), tok(j))
            cache.get(YieldingKey(f"{i - 1}-{j}"))

    run_threads(work, threads_n)
    # Eviction racing without the lock pops too many (undershoot) or hits KeyErrors.
    assert len(cache) == bound


def test_cache_key_shape() -> None:
    """Keys are 'pingone:' + 32 hex chars."""
    assert re.fullmatch(r"pingone:[0-9a-f]{32}", cache_key(ENDPOINT, "client", ["a"]))


def test_cache_key_scope_order_insensitive() -> None:
    """Scope order and duplicates do not change the key."""
    assert cache_key(ENDPOINT, "c", ["b", "a"]) == cache_key(ENDPOINT, "c", ("a", "b", "a"))
    assert cache_key(ENDPOINT, "c", frozenset({"a", "b"})) == cache_key(ENDPOINT, "c", ["a", "b"])


def test_cache_key_distinguishes() -> None:
    """Endpoint, client id and scopes each change the key; a trailing slash does not."""
    base = cache_key(ENDPOINT, "c", ["a"])
    assert cache_key(ENDPOINT + "/", "c", ["a"]) == base
    assert cache_key(ENDPOINT.replace(".com", ".eu"), "c", ["a"]) != base
    assert cache_key(ENDPOINT, "d", ["a"]) != base
    assert cache_key(ENDPOINT, "c", ["a", "b"]) != base
    assert cache_key(ENDPOINT, "c") != base


def test_cache_key_never_contains_secret() -> None:
    """Nothing secret can reach a key: it is a hash of public inputs only."""
    key = cache_key(ENDPOINT, CANARY_SECRET, [CANARY_SECRET])
    assert_no_canary(key)


class _OnlyGet:
    def get(self, key: str) -> None:
        return None


@pytest.mark.parametrize(
    "bad",
    ["not a cache", 1, object(), {}, _OnlyGet(), MemoryTokenCache],
    ids=["str", "int", "object", "dict", "only-get", "the-class"],
)
def test_a_cache_that_is_not_one_is_refused_at_construction(bad: object) -> None:
    """`cache=` that cannot be a token cache (a string, a dict, an object missing `set` and
    `delete`, the class instead of an instance) fails when the auth is built, saying what was
    passed and what to pass, instead of failing as a miss on every request."""
    with pytest.raises(ConfigurationError) as info:
        PingOneWorkerAuth(
            "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f",
            CANARY_SECRET,
            "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
            cache=bad,  # type: ignore[arg-type]
        )
    message = str(info.value)
    assert "cache must be a token cache" in message
    assert type(bad).__name__ in message or getattr(bad, "__name__", "") in message
    assert CANARY_SECRET not in message


@given(
    st.one_of(
        st.text(),
        st.binary(),
        st.integers(),
        st.floats(allow_nan=True),
        st.booleans(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        st.tuples(st.text(max_size=5)),
        st.sampled_from([object(), _OnlyGet(), MemoryTokenCache, TokenCache, len]),
    )
)
@settings(max_examples=100, deadline=None)
def test_any_non_cache_is_a_configuration_error(bad: object) -> None:
    """Whatever is passed as `cache=` that is not a token cache, the auth refuses it with a
    `ConfigurationError` (never a raw builtin exception), naming its type, never the secret."""
    with pytest.raises(ConfigurationError) as info:
        PingOneWorkerAuth(
            "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f",
            CANARY_SECRET,
            "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
            cache=bad,  # type: ignore[arg-type]
        )
    assert "cache must be a token cache" in str(info.value)
    assert CANARY_SECRET not in str(info.value)
