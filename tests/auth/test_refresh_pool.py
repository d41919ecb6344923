"""Background refreshes of every auth object share one bounded, process-wide pool of threads.

200 auth objects crossing their refresh point together used to start 200 threads (one per
auth). The refreshes now queue on at most ``MAX_REFRESH_THREADS`` pool threads, and every one
of them still completes.
"""

from __future__ import annotations

import threading

import httpx
from auth_support import API_URL, CLIENT_ID, ENV_ID, SECRET, TOKEN_URL, FakeClock, wait_until

from httpx_pingone_worker import PingOneWorkerAuth
from httpx_pingone_worker._engine._background import MAX_REFRESH_THREADS, RefreshPool

AUTHS = 200


def _refresh_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pingone-token-refresh"]


def test_200_auths_refreshing_together_use_a_bounded_pool() -> None:
    """With every refresh held at the token endpoint, the number of refresh threads stays at
    the pool's bound; once released, all 200 refreshes complete."""
    clock = FakeClock()
    gate = threading.Event()
    gate.set()
    lock = threading.Lock()
    issued: list[str] = []
    held = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            if not gate.is_set():
                with lock:
                    held[0] += 1
                gate.wait(60)
            with lock:
                issued.append(f"tok-{len(issued)}-abcdefgh")
                token = issued[-1]
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": 1000}
            )
        return httpx.Response(200, json={"auth": request.headers["Authorization"]})

    transport = httpx.MockTransport(handler)
    auths = [
        PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, clock=clock, sleep=clock.sleep)
        for _ in range(AUTHS)
    ]
    clients = [httpx.Client(auth=auth, transport=transport) for auth in auths]
    try:
        for client in clients:
            client.get(API_URL)
        assert len(issued) == AUTHS
        gate.clear()
        clock.advance(850)  # past every auth's refresh point, tokens still valid
        for client in clients:  # each request starts a refresh and goes on at once
            assert client.get(API_URL).status_code == 200
        # The pool's threads are all held at the endpoint; everything else queued.
        assert wait_until(lambda: held[0] >= MAX_REFRESH_THREADS)
        assert len(_refresh_threads()) <= MAX_REFRESH_THREADS
        assert held[0] == MAX_REFRESH_THREADS
        gate.set()
        assert all(auth.wait_for_refresh(60) for auth in auths)
        assert len(issued) == 2 * AUTHS
        fresh = {auth.current_token.access_token.get_secret_value() for auth in auths}
        assert fresh == set(issued[AUTHS:])
        assert len(_refresh_threads()) <= MAX_REFRESH_THREADS
    finally:
        gate.set()
        for client in clients:
            client.close()


def test_an_idle_pool_thread_ends_and_a_new_one_starts_on_demand() -> None:
    """Idle threads end after their idle time; work submitted later still runs."""
    pool = RefreshPool(max_threads=2, idle=0.05, name="test-pool")
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(10)
    assert wait_until(lambda: pool.threads == 0)
    again = threading.Event()
    pool.submit(again.set)
    assert again.wait(10)


def test_a_pool_runs_queued_work_in_order_within_its_bound() -> None:
    """Work beyond the bound waits for a free thread instead of starting another one."""
    pool = RefreshPool(max_threads=2, idle=5.0, name="test-pool")
    release = threading.Event()
    started: list[int] = []
    finished = threading.Semaphore(0)
    lock = threading.Lock()

    def work(n: int) -> None:
        with lock:
            started.append(n)
        release.wait(30)
        finished.release()

    for n in range(10):
        pool.submit(lambda n=n: work(n))  # type: ignore[misc]
    assert wait_until(lambda: len(started) == 2)
    assert pool.threads == 2
    release.set()
    for _ in range(10):
        assert finished.acquire(timeout=30)
    assert sorted(started) == list(range(10))
    assert pool.threads <= 2
