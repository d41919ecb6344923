"""RedisTokenCache over Redis Sentinel: a master, a replica and three sentinels the suite starts
(``redis-server --sentinel``), reached with a ``redis+sentinel://`` URL or a ``master_for``
client, sync and async."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis_support import (
    KEY,
    SENTINEL_ACL_PASSWORD,
    SENTINEL_NODE_PASSWORD,
    SENTINEL_SENTINELS_PASSWORD,
    SENTINEL_SERVICE,
    TEST_SOCKET_TIMEOUT,
    SentinelDeployment,
    TokenServer,
    credentials,
    make_token,
    wait_until,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache


def test_sentinel_url_round_trip_on_the_master(sentinel: SentinelDeployment) -> None:
    """The URL's cache stores on the master the sentinels name; its lock and repr work, and
    the repr shows the sentinels and service but not the password."""
    cache = RedisTokenCache(sentinel.url(), socket_timeout=TEST_SOCKET_TIMEOUT)
    cache.bind(credentials())
    text = repr(cache)
    assert f"redis+sentinel://127.0.0.1:{sentinel.sentinel_ports[0]}," in text
    assert f"/{SENTINEL_SERVICE}/0" in text
    assert SENTINEL_NODE_PASSWORD not in text
    assert cache.get(KEY) is None
    cache.set(KEY, make_token())
    master = sentinel.current_master()
    assert master is not None
    node = sentinel.node_client(master)
    try:
        assert node.exists(cache.token_key(KEY)) == 1
        with cache.fetch_lock(KEY):
            assert node.exists(cache.lock_key(KEY)) == 1
        assert node.exists(cache.lock_key(KEY)) == 0
    finally:
        node.close()
    token = cache.get(KEY)
    assert token is not None
    assert token.access_token == make_token().access_token
    assert not cache.degraded
    cache.close()


def test_sentinel_url_async_round_trip(sentinel: SentinelDeployment) -> None:
    """On asyncio the cache makes a redis.asyncio Sentinel client per loop: the async view
    reads what the sync view wrote, and its lock is taken on the master."""
    cache = RedisTokenCache(sentinel.url(), socket_timeout=TEST_SOCKET_TIMEOUT)
    cache.bind(credentials())
    cache.set(KEY, make_token())

    async def main() -> None:
        import redis.asyncio

        token = await cache.aget(KEY)
        assert token is not None
        client = cache._clients.aclient()  # the per-loop client: really redis.asyncio, no thread
        assert isinstance(client, redis.asyncio.Redis)
        async with cache.afetch_lock(KEY):
            assert await client.exists(cache.lock_key(KEY)) == 1
        assert await client.exists(cache.lock_key(KEY)) == 0
        await cache.adelete(KEY)
        assert await cache.aget(KEY) is None
        await cache.aclose()

    asyncio.run(main())
    assert not cache.degraded
    cache.close()


def test_master_for_clients_are_accepted(sentinel: SentinelDeployment) -> None:
    """``Sentinel(...).master_for(service)`` clients of redis.sentinel and
    redis.asyncio.sentinel are used as they are; the repr names the sentinels."""
    import redis.asyncio.sentinel
    import redis.sentinel

    addresses = [("127.0.0.1", port) for port in sentinel.sentinel_ports]
    manager = redis.sentinel.Sentinel(addresses, socket_timeout=TEST_SOCKET_TIMEOUT)
    client = manager.master_for(
        SENTINEL_SERVICE, password=SENTINEL_NODE_PASSWORD, socket_timeout=TEST_SOCKET_TIMEOUT
    )
    cache = RedisTokenCache(client, secret=CANARY_SECRET)
    assert repr(cache).startswith(
        f"RedisTokenCache(target='redis+sentinel://127.0.0.1:{addresses[0][1]},"
    )
    cache.set(KEY, make_token())
    assert cache.get(KEY) is not None

    async def main() -> None:
        amanager = redis.asyncio.sentinel.Sentinel(addresses, socket_timeout=TEST_SOCKET_TIMEOUT)
        aclient = amanager.master_for(SENTINEL_SERVICE, password=SENTINEL_NODE_PASSWORD)
        acache = RedisTokenCache(aclient, secret=CANARY_SECRET)
        assert "redis+sentinel://" in repr(acache)
        assert await acache.aget(KEY) is not None
        async with acache.afetch_lock(KEY):
            assert await aclient.exists(acache.lock_key(KEY)) == 1
        assert await aclient.exists(acache.lock_key(KEY)) == 0
        await aclient.aclose()
        for s in amanager.sentinels:
            await s.aclose()

    asyncio.run(main())
    assert not cache.degraded
    client.close()
    for s in manager.sentinels:
        s.close()


def test_two_auths_share_one_token_through_sentinel(sentinel: SentinelDeployment) -> None:
    """Two PingOneWorkerAuth objects with their own Sentinel-URL caches: one token request."""
    with TokenServer(delay=0.0) as server:
        auths = [
            PingOneWorkerAuth(
                CANARY_CLIENT_ID,
                CANARY_SECRET,
                CANARY_ENV_ID,
                token_endpoint=server.url,
                allow_loopback_http=True,
                cache=RedisTokenCache(sentinel.url(), socket_timeout=TEST_SOCKET_TIMEOUT),
            )
            for _ in range(2)
        ]
        first, second = (a.get_token() for a in auths)
        assert first.access_token == second.access_token
        assert server.requests == 1
        for a in auths:
            a.close()


def test_wrong_password_degrades_without_leaking_it(
    sentinel: SentinelDeployment, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong data-node password: the request still succeeds (degraded mode, one warning),
    and neither password nor the canary secret is logged or shown in the repr."""
    wrong = "not-the-sentinel-pw-0000"
    with TokenServer(delay=0.0) as server, caplog.at_level(logging.DEBUG):
        auth = PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            CANARY_SECRET,
            CANARY_ENV_ID,
            token_endpoint=server.url,
            allow_loopback_http=True,
            cache=RedisTokenCache(sentinel.url(password=wrong), socket_timeout=5.0),
        )
        assert auth.get_token() is not None
        assert auth.cache.degraded  # type: ignore[attr-defined]
        assert server.requests == 1
        auth.close()
    text = caplog.text + repr(auth.cache)
    assert "redis token cache unavailable" in text
    assert_no_canary(text, extra=[SENTINEL_NODE_PASSWORD, wrong])


def test_tls_acl_and_sentinel_password(tls_sentinel: SentinelDeployment) -> None:
    """rediss+sentinel:// with an ACL user on the nodes and a password on the sentinels: two
    auths share one token over TLS, sync and async; the repr shows neither password."""
    url = tls_sentinel.url()
    with TokenServer(delay=0.0) as server:
        auths = [
            PingOneWorkerAuth(
                CANARY_CLIENT_ID,
                CANARY_SECRET,
                CANARY_ENV_ID,
                token_endpoint=server.url,
                allow_loopback_http=True,
                cache=RedisTokenCache(url, socket_timeout=TEST_SOCKET_TIMEOUT),
            )
            for _ in range(2)
        ]
        first = auths[0].get_token()

        async def main() -> None:
            token = await auths[1].aget_token()
            assert token.access_token == first.access_token
            await auths[1].cache.aclose()  # type: ignore[attr-defined]

        asyncio.run(main())
        assert server.requests == 1
        for a in auths:
            assert not a.cache.degraded  # type: ignore[attr-defined]
            text = repr(a.cache)
            assert text.startswith("RedisTokenCache(target='rediss+sentinel://127.0.0.1:")
            assert_no_canary(
                text,
                extra=[
                    SENTINEL_ACL_PASSWORD,
                    SENTINEL_SENTINELS_PASSWORD,
                    str(tls_sentinel.ca_file),
                ],
            )
            a.close()
    master = tls_sentinel.current_master()
    assert master is not None
    node = tls_sentinel.node_client(master)
    try:  # the ACL user wrote under pingone:, on the master the sentinels named
        assert node.keys("pingone:token:*")
    finally:
        node.close()


@pytest.mark.parametrize("which", ["sentinel password", "ACL password"])
def test_tls_wrong_password_degrades_without_leaking_it(
    tls_sentinel: SentinelDeployment, caplog: pytest.LogCaptureFixture, which: str
) -> None:
    """A wrong sentinel or node password over TLS: the request still succeeds (degraded mode),
    and no password is logged."""
    wrong = "not-the-password-0000"
    url = (
        tls_sentinel.url(sentinel_password=wrong)
        if which == "sentinel password"
        else tls_sentinel.url(password=wrong)
    )
    with TokenServer(delay=0.0) as server, caplog.at_level(logging.DEBUG):
        auth = PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            CANARY_SECRET,
            CANARY_ENV_ID,
            token_endpoint=server.url,
            allow_loopback_http=True,
            cache=RedisTokenCache(url, socket_timeout=5.0),
        )
        assert auth.get_token() is not None
        assert auth.cache.degraded  # type: ignore[attr-defined]
        assert server.requests == 1
        auth.close()
    text = caplog.text + repr(auth.cache)
    assert "redis token cache unavailable" in text
    assert_no_canary(text, extra=[SENTINEL_ACL_PASSWORD, SENTINEL_SENTINELS_PASSWORD, wrong])


def test_a_released_lock_replicated_before_a_failover_is_swept(
    sentinel: SentinelDeployment,
) -> None:
    """On a Sentinel deployment the owner deletes its released lock again within lock_ttl: a
    copy reaching the new master by replication (written here by hand) goes within seconds."""
    cache = RedisTokenCache(sentinel.url(), socket_timeout=TEST_SOCKET_TIMEOUT, lock_ttl=60.0)
    cache.bind(credentials())
    master = sentinel.current_master()
    assert master is not None
    node = sentinel.node_client(master)
    try:
        with cache.fetch_lock(KEY):
            owner = node.get(cache.lock_key(KEY))
        assert owner is not None
        node.set(cache.lock_key(KEY), owner, px=60_000)  # the copy on the promoted replica
        assert wait_until(lambda: node.exists(cache.lock_key(KEY)) == 0, 10)
    finally:
        node.close()
        cache.close()
