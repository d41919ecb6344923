"""Thread safety: parallel clients over both adapters; every request counted once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from httpx_pingone_worker.emulator import PingOneEmulator

THREADS = 16
PER_THREAD = 8


def _hammer(emu: PingOneEmulator, client: httpx.Client, token_url: str, api_url: str) -> list[str]:
    secret = emu.credentials.client_secret
    assert secret is not None
    barrier = threading.Barrier(THREADS)

    def worker(_: int) -> list[str]:
        barrier.wait(5)
        tokens = []
        for _ in range(PER_THREAD):
            r = client.post(
                token_url,
                data={"grant_type": "client_credentials"},
                auth=(emu.client_id, secret.get_secret_value()),
            )
            assert r.status_code == 200
            token = r.json()["access_token"]
            tokens.append(token)
            r = client.get(api_url, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
        return tokens

    with ThreadPoolExecutor(THREADS) as pool:
        return [t for chunk in pool.map(worker, range(THREADS)) for t in chunk]


def test_parallel_requests_over_transport() -> None:
    """16 threads x 8 token+API pairs: 128 distinct tokens, 128 counted, 256 logged."""
    emu = PingOneEmulator(users=0)
    with httpx.Client(transport=emu.transport()) as client:
        tokens = _hammer(
            emu, client, emu.token_endpoint, f"{emu.api_base_url}/environments/{emu.environment_id}"
        )
    assert len(set(tokens)) == THREADS * PER_THREAD
    assert emu.token_requests == THREADS * PER_THREAD
    assert len(emu.requests) == 2 * THREADS * PER_THREAD


def test_parallel_requests_over_server() -> None:
    """The threaded HTTPS server answers parallel clients; counts match exactly."""
    emu = PingOneEmulator(users=0)
    limits = httpx.Limits(max_connections=THREADS)
    with (
        emu.serve() as server,
        httpx.Client(verify=server.ssl_context, limits=limits, timeout=10) as client,
    ):
        tokens = _hammer(
            emu,
            client,
            server.token_endpoint,
            f"{server.api_base_url}/environments/{emu.environment_id}",
        )
    assert len(set(tokens)) == THREADS * PER_THREAD
    assert emu.token_requests == THREADS * PER_THREAD
    assert len(emu.requests) == 2 * THREADS * PER_THREAD


def test_counted_faults_fire_exactly_count_times_under_contention() -> None:
    """count=10 across 16 racing threads fails exactly 10 requests."""
    emu = PingOneEmulator(users=0)
    emu.inject_fault("jwks", "status", count=10, status=503)
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)
    with httpx.Client(transport=emu.transport()) as client:

        def worker(_: int) -> None:
            barrier.wait(5)
            for _ in range(4):
                code = client.get(f"{emu.issuer}/jwks").status_code
                with lock:
                    statuses.append(code)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(worker, range(THREADS)))
    assert statuses.count(503) == 10
    assert statuses.count(200) == THREADS * 4 - 10
