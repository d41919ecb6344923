"""Done-when: 8 processes, each with its own PingOneWorkerAuth, one Redis, one token request."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from redis_support import WORKER, RedisCluster, RedisServer, TokenServer, worker_env

N = 8


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A counting token endpoint for this test."""
    with TokenServer() as server:
        yield server


def wait_ready(client: object, n: int, procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait (bounded) until n members are ready for the next phase (the bound is generous:
    eight interpreters starting on a loaded 2-core machine can take a minute)."""
    deadline = time.monotonic() + 240
    while int(client.get("test:ready") or 0) < n:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "fleet members did not get ready"
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(p.communicate()[1].decode())
        time.sleep(0.02)
    client.set("test:ready", 0)  # type: ignore[attr-defined]


def go(client: object, names: list[str]) -> None:
    """Start the waiting members all at once."""
    pipe = client.pipeline()  # type: ignore[attr-defined]
    for name in names:
        pipe.rpush(f"test:go:{name}", 1)
    pipe.execute()


def run_auth_fleet(
    server: RedisServer | RedisCluster, token_server: TokenServer, cache: str
) -> tuple[int, int, list[list[str]]]:
    """Run N auth processes; return (token requests at start, at the refresh point, outputs)."""
    client = server.client()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "auth", server.url, str(i), token_server.url, cache],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(),
        )
        for i in range(N)
    ]
    try:
        wait_ready(client, N, procs)
        go(client, [str(i) for i in range(N)])
        wait_ready(client, N, procs)  # every member has its first token
        first_phase = token_server.requests
        go(client, [f"{i}:refresh" for i in range(N)])
        outputs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
            outputs.append(out.decode().split())
        return first_phase, token_server.requests - first_phase, outputs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        client.close()


def test_eight_auth_processes_one_token_request_and_one_refresh(
    redis_server: RedisServer, token_server: TokenServer
) -> None:
    """Empty cache: one token request for the fleet; at the refresh point: one more."""
    initial, refresh, outputs = run_auth_fleet(redis_server, token_server, "redis")
    assert (initial, refresh) == (1, 1)
    firsts = {o[0] for o in outputs}
    seconds = {o[1] for o in outputs}
    assert len(firsts) == 1, outputs  # everybody got the same token …
    assert len(seconds) == 1, outputs  # … and the same refreshed one
    assert firsts != seconds


def test_eight_auth_processes_on_a_cluster_one_request_and_one_refresh(
    cluster: RedisCluster, token_server: TokenServer
) -> None:
    """The same fleet on a three-node Redis Cluster: one token request, one refresh."""
    initial, refresh, outputs = run_auth_fleet(cluster, token_server, "cluster")
    assert (initial, refresh) == (1, 1)
    assert len({o[0] for o in outputs}) == 1, outputs
    assert len({o[1] for o in outputs}) == 1, outputs


def test_without_redis_each_process_asks_for_its_own(
    redis_server: RedisServer, token_server: TokenServer
) -> None:
    """Control: in-memory caches only, the same fleet makes 2 requests per process."""
    initial, refresh, outputs = run_auth_fleet(redis_server, token_server, "memory")
    assert (initial, refresh) == (N, N)
    assert len({o[0] for o in outputs}) == N
