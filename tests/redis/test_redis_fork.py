"""RedisTokenCache in a forked child: every piece of the cache resets its own per-process state.

Each scenario runs in a fresh interpreter (``subprocess``, hard timeout) that forks; the
child must use the cache promptly (an alarm turns a hang on a lock copied from the parent into
a failure) and reports by exit code. Nothing here sleeps.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from redis_support import RedisServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

PRELUDE = """
import asyncio, logging, os, signal, sys, threading, time, traceback
from httpx_pingone_worker import RedisTokenCache, Secret, Token

URL = sys.argv[1]
KEY = "pingone:fork-test"
SECRET = "fork-test-client-secret-7c1d"

def token(access):
    return Token(access_token=Secret(access), token_type="Bearer", expires_in=3600,
                 obtained_at=time.time(), scopes=frozenset(), requested_scopes=frozenset(),
                 scope_returned=False)

def in_child(body):
    signal.alarm(30)  # a child stuck on a lock copied from the parent fails, it does not hang
    try:
        body()
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)

def wait_child(pid):
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
"""


def run_script(body: str, url: str) -> subprocess.CompletedProcess[str]:
    """Run PRELUDE + body in a new interpreter (warnings about forking threads ignored)."""
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PRELUDE + textwrap.dedent(body), url],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


# Forked while a parent thread holds every lock of the cache's pieces: the clients' lock
# (per-loop async clients), the codec's lock (bound keys) and the breaker's lock. The parent
# has made an async client for a loop of its own. The child binds, reads and writes (sync and
# async), takes the fetch lock both ways and degrades a cache: each needs one of those locks.
HELD_LOCKS = """
cache = RedisTokenCache(URL, socket_timeout=5.0)
cache.bind(SECRET)
dead = RedisTokenCache("redis://127.0.0.1:1/0", secret=SECRET, retry_interval=0)
cache.set(KEY, token("parent-token"))
assert asyncio.run(cache.aget(KEY)).access_token.get_secret_value() == "parent-token"

held, done = threading.Event(), threading.Event()

def hold():
    with cache._clients._lock, cache._codec._bound_lock, dead._breaker._lock:
        held.set()
        done.wait()

threading.Thread(target=hold, daemon=True).start()
held.wait()

def child():
    cache.bind(SECRET, cache_key=KEY)
    cache.set(KEY, token("child-token"))
    assert cache.get(KEY).access_token.get_secret_value() == "child-token"
    async def use():
        got = await cache.aget(KEY)
        assert got.access_token.get_secret_value() == "child-token"
        async with cache.afetch_lock(KEY):
            pass
        await cache.aclose()
    asyncio.run(use())
    with cache.fetch_lock(KEY):
        pass
    assert dead.get(KEY) is None and dead.get(KEY) is None
    assert dead.degraded

pid = os.fork()
if pid == 0:
    in_child(child)
done.set()
sys.exit(wait_child(pid))
"""


def test_a_child_forked_while_the_cache_locks_are_held_uses_the_cache(
    redis_server: RedisServer,
) -> None:
    """Without the after-fork resets the child waits forever on a lock copied locked."""
    result = run_script(HELD_LOCKS, redis_server.url)
    assert result.returncode == 0, result.stderr


# A redis.asyncio client passed in and used by the parent: its connections are the parent's
# sockets, so the child leaves it alone and uses the sync client in a worker thread, without
# a warning about a foreign event loop (the child never used that client on any loop).
PASSED_IN_ASYNC = """
import redis, redis.asyncio

sync = redis.Redis.from_url(URL, socket_timeout=5.0)
holder = {}

async def parent_use():
    client = redis.asyncio.Redis.from_url(URL, socket_timeout=5.0)
    cache = RedisTokenCache(sync, async_client=client, secret=SECRET)
    await cache.aset(KEY, token("parent-token"))
    holder["cache"], holder["client"] = cache, client

asyncio.run(parent_use())
cache = holder["cache"]
warnings = []

class Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())

logging.getLogger("httpx_pingone_worker").addHandler(Collect())

def child():
    async def use():
        assert cache._clients.aclient() is None  # not the parent's client: a worker thread
        got = await cache.aget(KEY)
        assert got.access_token.get_secret_value() == "parent-token"
    asyncio.run(use())
    assert not warnings, warnings

pid = os.fork()
if pid == 0:
    in_child(child)
sys.exit(wait_child(pid))
"""


def test_a_child_does_not_use_the_parents_passed_in_async_client(
    redis_server: RedisServer,
) -> None:
    """The passed-in async client's sockets stay the parent's: the child reads through the
    sync client and logs nothing about a foreign loop."""
    result = run_script(PASSED_IN_ASYNC, redis_server.url)
    assert result.returncode == 0, result.stderr
