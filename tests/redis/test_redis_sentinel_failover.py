"""A Sentinel failover during traffic: the master is killed (SIGKILL), or the sentinels are told
to fail over (``SENTINEL FAILOVER``: the old master lives on as a replica and answers writes
with READONLY), while sync threads and asyncio tasks get tokens through ``redis+sentinel://``
caches. No caller sees an error, sharing resumes on the promoted replica, and no fetch lock is
left without an owner."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from redis_support import (
    SENTINEL_SERVICE,
    SentinelDeployment,
    TokenServer,
    wait_until,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache

SYNC_THREADS = 4
ASYNC_TASKS = 3
#: Every so many calls a member invalidates the shared token, so the fleet keeps taking the
#: fetch lock, storing and announcing (not only reading) while the master dies.
INVALIDATE_EVERY = 7


class Traffic:
    """Members that each build a new auth per call (a new process's first call) on their own
    Sentinel-URL cache; counts successes and keeps every caller error."""

    def __init__(self, url: str, token_url: str) -> None:
        self.url = url
        self.token_url = token_url
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.calls = 0
        self._lock = threading.Lock()

    def cache(self) -> RedisTokenCache:
        # retry_interval short: a member that saw the dead master tries Redis again soon.
        return RedisTokenCache(
            self.url, secret=CANARY_SECRET, socket_timeout=2.0, retry_interval=0.2
        )

    def auth(self, cache: RedisTokenCache) -> PingOneWorkerAuth:
        return PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            CANARY_SECRET,
            CANARY_ENV_ID,
            token_endpoint=self.token_url,
            allow_loopback_http=True,
            cache=cache,
        )

    def _count(self) -> int:
        with self._lock:
            self.calls += 1
            return self.calls

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(exc)

    def sync_member(self) -> None:
        cache = self.cache()
        try:
            while not self.stop.is_set():
                auth = self.auth(cache)
                try:
                    assert auth.get_token().access_token.get_secret_value()
                    if self._count() % INVALIDATE_EVERY == 0:
                        auth.invalidate()
                except BaseException as exc:  # every caller error is a failure
                    self._failed(exc)
                finally:
                    auth.close()
        finally:
            cache.close()

    async def _async_member(self) -> None:
        cache = self.cache()
        try:
            while not self.stop.is_set():
                auth = self.auth(cache)
                try:
                    assert (await auth.aget_token()).access_token.get_secret_value()
                    if self._count() % INVALIDATE_EVERY == 0:
                        await auth.ainvalidate()
                except BaseException as exc:
                    self._failed(exc)
                finally:
                    await auth.aclose()
        finally:
            await cache.aclose()
            cache.close()

    def async_members(self) -> None:
        async def main() -> None:
            await asyncio.gather(*(self._async_member() for _ in range(ASYNC_TASKS)))

        asyncio.run(main())


@pytest.mark.parametrize("how", ["kill", "sentinel failover"])
def test_failover_during_traffic(own_sentinel: SentinelDeployment, how: str) -> None:
    """Fail the master over mid-traffic: no caller error; after the sentinels promote the
    replica, the members store on it and a new auth reads that token without a request of
    its own; no fetch lock remains."""
    deployment = own_sentinel
    old_master = deployment.master_port
    with TokenServer(delay=0.02) as server:
        traffic = Traffic(deployment.url(), server.url)
        threads = [
            threading.Thread(target=traffic.sync_member, name=f"sync-{i}")
            for i in range(SYNC_THREADS)
        ]
        threads.append(threading.Thread(target=traffic.async_members, name="asyncio"))
        for t in threads:
            t.start()
        new_master: Any = None
        try:
            assert wait_until(lambda: traffic.calls >= 40, 30), "traffic did not start"
            if how == "kill":
                deployment.kill(old_master)
            else:
                admin = deployment.sentinel_client(deployment.sentinel_ports[0])
                try:
                    admin.execute_command("SENTINEL FAILOVER", SENTINEL_SERVICE)
                finally:
                    admin.close()
            killed_at = traffic.calls
            assert wait_until(lambda: deployment.current_master() == deployment.replica_port, 30)
            new_master = deployment.node_client(deployment.replica_port)
            # What the replica held before it was promoted may be the old master's entry:
            # remove it, and wait (bounded) until a member stores a token on the new master.
            names = traffic.cache()
            token_key = names.token_key(traffic.auth(names).cache_key)
            names.close()
            new_master.delete(token_key)
            failover_calls = traffic.calls
            assert wait_until(lambda: new_master.exists(token_key) == 1, 20), (
                "no member stored a token on the promoted replica"
            )
            assert wait_until(lambda: traffic.calls >= failover_calls + 40, 20)
        finally:
            traffic.stop.set()
            for t in threads:
                t.join(30)
        assert not [t.name for t in threads if t.is_alive()]
        assert traffic.errors == [], traffic.errors[:3]
        assert traffic.calls > killed_at
        assert new_master is not None

        # Sharing resumed: what one new auth stores on the new master (or finds there, from
        # a member), another new auth reads without a token request of its own.
        writer_cache = traffic.cache()
        writer = traffic.auth(writer_cache)
        written = writer.get_token()
        assert new_master.get(token_key) is not None
        requests = server.requests
        fresh_cache = traffic.cache()
        fresh = traffic.auth(fresh_cache)
        token = fresh.get_token()
        assert server.requests == requests, "the new auth asked for its own token"
        assert token.access_token == written.access_token
        assert not fresh_cache.degraded
        assert not writer_cache.degraded
        for auth, cache in ((writer, writer_cache), (fresh, fresh_cache)):
            auth.close()
            cache.close()

        # No lock without an owner: every holder released (or swept) its lock; bounded well
        # below lock_ttl (15 s), so an abandoned lock expiring by itself does not pass.
        lock_key = fresh_cache.lock_key(fresh.cache_key)
        assert wait_until(lambda: new_master.exists(lock_key) == 0, 5), "a fetch lock remains"
        new_master.close()
