"""A real ``redis-server`` on a free loopback port in a temp dir, for the Redis cache tests.

The binary is ``$REDIS_SERVER`` or ``redis-server`` on PATH (Debian package ``redis-server``;
``.ci/run`` installs it). Without it every test here is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_support import (
    REDIS_SERVER,
    TLS_PASSWORD,
    RedisCluster,
    RedisServer,
    SentinelDeployment,
    TlsRedisServer,
    require_redis_binaries,
)


def _start(tmp: Path) -> RedisServer:
    require_redis_binaries("redis-server")
    assert REDIS_SERVER is not None
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


@pytest.fixture(scope="session")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsRedisServer]:
    """A TLS-only redis-server (trustme certificates) whose only user is an ACL user."""
    binaries = require_redis_binaries("redis-server")
    server = TlsRedisServer(
        binaries["redis-server"], tmp_path_factory.mktemp("redis-tls"), TLS_PASSWORD
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Three cluster-enabled redis-server nodes joined into one cluster (no replicas)."""
    binaries = require_redis_binaries("redis-server", "redis-cli")
    cluster = RedisCluster(
        binaries["redis-server"], binaries["redis-cli"], tmp_path_factory.mktemp("redis-cluster")
    )
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster(redis_cluster: RedisCluster) -> RedisCluster:
    """The session's cluster, healthy and emptied before each test."""
    redis_cluster.wait_ok()
    client = redis_cluster.client()
    try:
        client.flushall(target_nodes="primaries")
    finally:
        client.close()
    return redis_cluster


def _sentinel_deployment(directory: Path, *, tls: bool = False) -> Iterator[SentinelDeployment]:
    binaries = require_redis_binaries("redis-server")
    deployment = SentinelDeployment(binaries["redis-server"], directory, tls=tls)
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def _shared_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelDeployment]:
    yield from _sentinel_deployment(tmp_path_factory.mktemp("redis-sentinel"))


@pytest.fixture
def sentinel(_shared_sentinel: SentinelDeployment) -> SentinelDeployment:
    """The session's Sentinel deployment (master, replica, three sentinels), master emptied."""
    port = _shared_sentinel.current_master()
    assert port is not None, "no sentinel answers"
    client = _shared_sentinel.node_client(port)
    try:
        client.flushall()
    finally:
        client.close()
    return _shared_sentinel


@pytest.fixture
def own_sentinel(tmp_path: Path) -> Iterator[SentinelDeployment]:
    """A Sentinel deployment of this test's own, whose master the test may kill."""
    yield from _sentinel_deployment(tmp_path)


@pytest.fixture(scope="session")
def tls_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelDeployment]:
    """A Sentinel deployment speaking TLS only, with an ACL user on the data nodes and a
    password on the sentinels."""
    yield from _sentinel_deployment(tmp_path_factory.mktemp("redis-sentinel-tls"), tls=True)
