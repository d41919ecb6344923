"""RedisTokenCache over TLS (``rediss://…?ssl_ca_certs=…``) with an ACL user, against a real
TLS-only redis-server whose default user is off (certificates from trustme)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis_support import (
    KEY,
    TLS_PASSWORD,
    TlsRedisServer,
    TokenServer,
    bound_cache,
    make_token,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache


def test_tls_url_with_acl_user_round_trip(tls_redis: TlsRedisServer) -> None:
    """get/set/delete and the fetch lock over TLS as the ACL user (keys under pingone:)."""
    cache = bound_cache(tls_redis.url())
    assert cache.get(KEY) is None
    with cache.fetch_lock(KEY):
        cache.set(KEY, make_token())
    token = cache.get(KEY)
    assert token is not None
    assert token.access_token == make_token().access_token
    assert not cache.degraded
    text = repr(cache)
    assert text.startswith("RedisTokenCache(target='rediss://127.0.0.1:")
    assert TLS_PASSWORD not in text
    assert tls_redis.user not in text
    cache.delete(KEY)
    assert cache.get(KEY) is None
    cache.close()


def test_tls_async_round_trip(tls_redis: TlsRedisServer) -> None:
    """The asyncio client the cache builds from the same URL speaks TLS and ACL too."""
    cache = bound_cache(tls_redis.url())

    async def run() -> None:
        async with cache.afetch_lock(KEY):
            await cache.aset(KEY, make_token())
        assert await cache.aget(KEY) is not None
        await cache.adelete(KEY)
        assert await cache.aget(KEY) is None
        await cache.aclose()

    asyncio.run(run())
    assert not cache.degraded
    cache.close()


def test_two_auths_share_one_token_over_tls(tls_redis: TlsRedisServer) -> None:
    """Two 'processes' on the TLS server: one token request."""
    client = tls_redis.client()
    client.delete(bound_cache(tls_redis.url()).token_key(KEY))
    with TokenServer(delay=0.0) as server:
        auths = [
            PingOneWorkerAuth(
                CANARY_CLIENT_ID,
                CANARY_SECRET,
                CANARY_ENV_ID,
                scopes="tls-test",
                token_endpoint=server.url,
                allow_loopback_http=True,
                cache=RedisTokenCache(tls_redis.url(), socket_timeout=5.0),
            )
            for _ in range(2)
        ]
        assert len({a.get_token().access_token for a in auths}) == 1
        assert server.requests == 1
        for a in auths:
            a.close()
    client.close()


@pytest.mark.parametrize(
    ("problem", "url_kwargs"),
    [
        ("wrong password", {"password": "not-the-password-0000"}),
        ("unknown CA", {"ca": False}),
    ],
)
def test_tls_or_acl_failure_degrades_without_leaking_the_password(
    tls_redis: TlsRedisServer,
    caplog: pytest.LogCaptureFixture,
    problem: str,
    url_kwargs: dict[str, object],
) -> None:
    """A wrong ACL password or an untrusted certificate: requests still succeed (degraded
    mode, one warning), and neither the password nor the user's secret is logged."""
    url = tls_redis.url(**url_kwargs)  # type: ignore[arg-type]
    with TokenServer(delay=0.0) as server, caplog.at_level(logging.DEBUG):
        auth = PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            CANARY_SECRET,
            CANARY_ENV_ID,
            token_endpoint=server.url,
            allow_loopback_http=True,
            cache=RedisTokenCache(url, socket_timeout=5.0),
        )
        assert auth.get_token() is not None, problem
        assert auth.cache.degraded  # type: ignore[attr-defined]
        assert server.requests == 1
        auth.close()
    text = caplog.text + repr(auth.cache)
    assert "redis token cache unavailable" in text
    assert_no_canary(text, extra=[TLS_PASSWORD, "not-the-password-0000"])
