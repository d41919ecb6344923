"""A fleet member for the multi-process Redis tests (run as a script, one per process).

Modes:
  flight <url> <index> [--no-lock]   get → fetch_lock → re-get → "fetch" (INCR a counter) → set
  hold <url> <lock_ttl>              take the fetch lock, print "locked", then sleep (to be killed)
  auth <url> <index> <token_url> <cache: redis|memory|cluster>
                                     a PingOneWorkerAuth: get_token() when released, then again
                                     when released a second time with its clock moved past the
                                     refresh point (85% of the token's lifetime): that call gets
                                     the valid token and starts the background refresh; one
                                     member's refresh asks, the others read its result

Every member waits on its own start list (BLPOP) so that the test releases all at once.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

from redis_support import KEY, bound_cache, make_token

import redis

FETCHES = "test:fetches"
#: Seconds a member waits for the start signal (eight interpreters starting on a loaded 2-core
#: machine can take a minute); coordination clients need a longer socket timeout than that
#: (redis-py 8's 5 s default would cut the BLPOP short).
START_TIMEOUT = 240
COORD_SOCKET_TIMEOUT = START_TIMEOUT + 30
READY = "test:ready"


def wait_for_start(client: Any, index: str) -> None:
    client.incr(READY)
    if client.blpop([f"test:go:{index}"], timeout=START_TIMEOUT) is None:
        raise SystemExit("never started")


def flight(url: str, index: str, use_lock: bool) -> None:
    client = redis.Redis.from_url(url, socket_timeout=COORD_SOCKET_TIMEOUT)
    cache = bound_cache(url, lock_timeout=20)
    wait_for_start(client, index)
    token = cache.get(KEY)
    if token is None:
        lock = cache.fetch_lock(KEY) if use_lock else contextlib.nullcontext()
        with lock:
            token = cache.get(KEY)
            if token is None:
                client.incr(FETCHES)
                time.sleep(0.2)  # the token request
                cache.set(KEY, make_token(f"token-from-{index}"))
                token = cache.get(KEY)
    assert token is not None
    print(token.access_token.get_secret_value()[:16], flush=True)


def hold(url: str, lock_ttl: float) -> None:
    cache = bound_cache(url, lock_ttl=lock_ttl)
    with cache.fetch_lock(KEY):
        print("locked", flush=True)
        time.sleep(60)


def auth(url: str, index: str, token_url: str, cache_kind: str) -> None:
    import redis.cluster

    from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
    from httpx_pingone_worker import MemoryTokenCache, PingOneWorkerAuth, RedisTokenCache

    offset = [0.0]
    cache: Any
    if cache_kind == "cluster":  # coordination keys live on the cluster too
        client: Any = redis.cluster.RedisCluster.from_url(url, socket_timeout=COORD_SOCKET_TIMEOUT)
        cache = RedisTokenCache(url, cluster=True, secret=CANARY_SECRET, socket_timeout=5.0)
    else:
        client = redis.Redis.from_url(url, socket_timeout=COORD_SOCKET_TIMEOUT)
        cache = (
            RedisTokenCache(url, secret=CANARY_SECRET, socket_timeout=5.0)
            if cache_kind == "redis"
            else MemoryTokenCache()
        )
    worker = PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        token_endpoint=token_url,
        allow_loopback_http=True,
        cache=cache,
        clock=lambda: time.time() + offset[0],
    )
    wait_for_start(client, index)
    first = worker.get_token()
    print(first.fingerprint, flush=True)
    offset[0] = first.expires_in * 0.85  # past refresh_ratio=0.8, before expiry
    wait_for_start(client, f"{index}:refresh")
    stale = worker.get_token()  # refreshes in the background; the valid token is served
    assert stale.access_token == first.access_token
    # One member's refresh asks for the new token; the others' refreshes find the fetch lock
    # taken, keep the valid token and look again shortly (then they read the new token from
    # Redis). Poll this member's own state until it has the new token (bounded).
    deadline = time.monotonic() + 90
    second = stale
    while second.access_token == first.access_token:
        assert time.monotonic() < deadline, "this member never got the refreshed token"
        assert worker.wait_for_refresh(30.0), "the background refresh did not finish"
        second = worker.get_token()
        if second.access_token == first.access_token:
            time.sleep(0.05)  # the deferred member looks again within a second
    print(second.fingerprint, flush=True)
    worker.close()


if __name__ == "__main__":
    mode, url, arg = sys.argv[1:4]
    if mode == "flight":
        flight(url, arg, "--no-lock" not in sys.argv)
    elif mode == "auth":
        auth(url, arg, sys.argv[4], sys.argv[5])
    elif mode == "hold":
        hold(url, float(arg))
    else:
        raise SystemExit(f"unknown mode {mode}")
