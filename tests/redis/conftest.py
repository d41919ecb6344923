"""A real ``redis-server`` on a free loopback port in a temp dir, for the Redis cache tests.

The binary is ``$REDIS_SERVER`` or ``redis-server`` on PATH (Debian package ``redis-server``;
``.ci/run`` installs it). Without it every test here is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_support import REDIS_SERVER, RedisServer


def _start(tmp: Path) -> RedisServer:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    last: Exception | None = None
    for _ in range(3):  # the free port can be taken between probe and bind
        server = RedisServer(REDIS_SERVER, tmp)
        try:
            server.start()
        except RuntimeError as exc:
            server.stop()
            last = exc
            continue
        return server
    raise RuntimeError("could not start redis-server") from last


@pytest.fixture(scope="session")
def _shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = _start(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_server(_shared_redis: RedisServer) -> RedisServer:
    """The session's redis-server, emptied before each test."""
    client = _shared_redis.client()
    try:
        client.flushall()
    finally:
        client.close()
    return _shared_redis


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop and restart."""
    server = _start(tmp_path)
    yield server
    server.stop()
