"""RedisTokenCache on a real three-node Redis Cluster (started by the suite)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from redis_support import (
    KEY,
    RedisCluster,
    TokenServer,
    credentials,
    make_token,
    wait_until,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import ConfigurationError, PingOneWorkerAuth, RedisTokenCache


def cluster_cache(cluster: RedisCluster, **kwargs: Any) -> RedisTokenCache:
    kwargs.setdefault("socket_timeout", 5.0)
    cache = RedisTokenCache(cluster.url, cluster=True, **kwargs)
    cache.bind(credentials())
    return cache


def shard_subscribers(client: Any, channel: str) -> int:
    node = client.get_node_from_key(channel)
    answer = client.execute_command("PUBSUB SHARDNUMSUB", channel, target_nodes=node)
    if answer and isinstance(answer[0], tuple):
        pairs = answer
    else:  # older redis-py: the flat reply
        pairs = list(zip(answer[::2], answer[1::2], strict=True))
    return int(dict(pairs).get(channel.encode(), 0))


def test_url_with_cluster_true_stores_on_the_slot_of_the_entry(cluster: RedisCluster) -> None:
    """cluster=True builds a RedisCluster client; the token lands on the node of its slot."""
    cache = cluster_cache(cluster)
    assert cache.cluster
    assert "+cluster://" in repr(cache)
    assert cache.get(KEY) is None
    cache.set(KEY, make_token())
    token = cache.get(KEY)
    assert token is not None
    assert token.access_token == make_token().access_token
    client = cluster.client()
    node = client.get_node_from_key(cache.token_key(KEY))
    assert client.get_node_from_key(cache.lock_key(KEY)).name == node.name
    assert client.exists(cache.token_key(KEY)) == 1
    cache.delete(KEY)
    assert cache.get(KEY) is None
    client.close()
    cache.close()


def test_a_cluster_client_is_accepted_and_left_open(cluster: RedisCluster) -> None:
    """redis.cluster.RedisCluster and redis.asyncio.cluster.RedisCluster clients work."""
    import redis.asyncio.cluster

    client = cluster.client()
    cache = RedisTokenCache(client, secret=CANARY_SECRET, socket_timeout=5.0)
    assert cache.cluster
    cache.set(KEY, make_token())
    assert cache.get(KEY) is not None

    async def run() -> None:
        aclient = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=cluster.ports[1])
        acache = RedisTokenCache(aclient, secret=CANARY_SECRET)
        assert acache.cluster
        assert await acache.aget(KEY) is not None
        await acache.adelete(KEY)
        assert await acache.aget(KEY) is None
        async with acache.afetch_lock(KEY):
            assert await aclient.exists(acache.lock_key(KEY)) == 1
        assert await aclient.exists(acache.lock_key(KEY)) == 0
        await aclient.aclose()

    asyncio.run(run())
    cache.close()
    assert client.ping()
    client.close()


def test_mixed_cluster_and_single_clients_are_rejected(cluster: RedisCluster) -> None:
    """A cluster sync client with a single-node async client is a configuration error."""
    import redis.asyncio

    client = cluster.client()
    with pytest.raises(ConfigurationError, match="RedisCluster and the other is not"):
        RedisTokenCache(client, async_client=redis.asyncio.Redis(port=cluster.ports[0]))
    with pytest.raises(ConfigurationError, match="URL only"):
        RedisTokenCache(client, cluster=True)
    with pytest.raises(ConfigurationError, match="scheme"):
        RedisTokenCache("unix:///tmp/x.sock", cluster=True)
    with pytest.raises(ConfigurationError, match="True or False"):
        RedisTokenCache(cluster.url, cluster="yes")  # type: ignore[arg-type]
    client.close()


def test_waiter_wakes_on_the_sharded_channel(cluster: RedisCluster) -> None:
    """A waiter subscribed (SSUBSCRIBE) on the entry's node goes on when the token is stored,
    while the holder still holds the lock: the wake-up channel works in cluster mode."""
    holder = cluster_cache(cluster, lock_ttl=30)
    waiter = cluster_cache(cluster, poll_interval=10, lock_timeout=20)
    client = cluster.client()
    seen: list[object] = []

    def wait_for_token() -> None:
        with waiter.fetch_lock(KEY):
            seen.append(waiter.get(KEY))

    with holder.fetch_lock(KEY):
        t = threading.Thread(target=wait_for_token)
        t.start()
        assert wait_until(lambda: shard_subscribers(client, holder.notify_channel(KEY)) > 0, 20)
        assert not seen
        holder.set(KEY, make_token())
        t.join(10)
        assert not t.is_alive()
        assert seen
        assert seen[0] is not None
        assert client.get(holder.lock_key(KEY)) is not None  # still the holder's lock
    assert client.exists(holder.lock_key(KEY)) == 0  # released by compare-and-delete
    client.close()
    holder.close()
    waiter.close()


def pttl_calls(client: Any, key: str) -> int:
    node = client.get_node_from_key(key)
    stats = client.info("commandstats", target_nodes=node)
    return int(stats.get("cmdstat_pttl", {}).get("calls", 0))


def test_async_waiter_wakes_when_the_token_is_stored(cluster: RedisCluster) -> None:
    """The asyncio twin: redis.asyncio.cluster wakes on the sharded channel; where redis-py's
    asyncio RedisCluster has no pub/sub (before 5.1) the waiter polls and notices the new
    value. Either way it goes on while the holder still holds the lock."""
    import redis.asyncio.cluster

    holder = cluster_cache(cluster, lock_ttl=30)
    waiter = cluster_cache(cluster, poll_interval=0.2, lock_timeout=20)
    client = cluster.client()
    sharded = hasattr(redis.asyncio.cluster.RedisCluster, "pubsub")
    channel, lock = holder.notify_channel(KEY), holder.lock_key(KEY)
    polls_before = pttl_calls(client, lock)

    def listening() -> bool:
        if sharded:
            return shard_subscribers(client, channel) > 0
        return pttl_calls(client, lock) > polls_before  # it has read the old value, then PTTL

    async def run() -> object:
        async def wait_for_token() -> object:
            async with waiter.afetch_lock(KEY):
                return await waiter.aget(KEY)

        async with holder.afetch_lock(KEY):
            task = asyncio.create_task(wait_for_token())
            # Store only once the waiter listens (or, polling, has read the old value).
            for _ in range(2000):
                if task.done() or listening():
                    break
                await asyncio.sleep(0.01)
            assert not task.done()
            await holder.aset(KEY, make_token())
            result = await asyncio.wait_for(task, 20)
        await holder.aclose()
        await waiter.aclose()
        return result

    assert asyncio.run(run()) is not None
    client.close()


def test_token_requests_across_processes_share_one_token(cluster: RedisCluster) -> None:
    """Two auths (two 'processes') on the cluster: one token request."""
    with TokenServer(delay=0.0) as server:
        auths = [
            PingOneWorkerAuth(
                CANARY_CLIENT_ID,
                CANARY_SECRET,
                CANARY_ENV_ID,
                token_endpoint=server.url,
                allow_loopback_http=True,
                cache=RedisTokenCache(cluster.url, cluster=True, socket_timeout=5.0),
            )
            for _ in range(2)
        ]
        tokens = {a.get_token().access_token.get_secret_value() for a in auths}
        assert len(tokens) == 1
        assert server.requests == 1
        for a in auths:
            a.close()


def test_node_stopped_mid_run_degrades_and_recovers(cluster: RedisCluster) -> None:
    """Stop the node owning the entry's slot: requests keep succeeding (degraded mode, one
    direct fetch each); restart it: sharing resumes by itself."""
    with TokenServer(delay=0.0) as server:

        def auth() -> PingOneWorkerAuth:
            return PingOneWorkerAuth(
                CANARY_CLIENT_ID,
                CANARY_SECRET,
                CANARY_ENV_ID,
                token_endpoint=server.url,
                allow_loopback_http=True,
                cache=RedisTokenCache(
                    cluster.url, cluster=True, socket_timeout=1.0, retry_interval=0.0
                ),
            )

        first = auth()
        first.get_token()
        assert server.requests == 1
        probe = cluster.client()
        port = probe.get_node_from_key(first.cache.token_key(first.cache_key)).port  # type: ignore[attr-defined]
        probe.close()
        cluster.stop_node(port)
        try:
            during = auth()
            assert during.get_token() is not None  # fetched directly
            assert during.cache.degraded  # type: ignore[attr-defined]
            assert server.requests == 2
        finally:
            cluster.start_node(port)
            cluster.wait_ok()
        # Sharing resumes by itself (retry_interval=0): a token fetched now reaches the
        # cluster again (the restarted node lost its data: no persistence) …

        def shared_again() -> bool:
            during.invalidate()
            during.get_token()
            return not during.cache.degraded  # type: ignore[attr-defined]

        assert wait_until(shared_again, 30)
        # … and the next process reads it instead of asking the token endpoint.
        requests = server.requests
        after = auth()
        assert after.get_token().access_token == during.get_token().access_token
        assert server.requests == requests
        assert not after.cache.degraded  # type: ignore[attr-defined]
        for a in (first, during, after):
            a.close()
