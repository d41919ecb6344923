"""Several processes, one Redis: single-flight and lock takeover, counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from redis_support import KEY, WORKER, RedisServer, bound_cache, make_token, worker_env


def run_flight(server: RedisServer, n: int, *, use_lock: bool = True) -> tuple[int, list[str]]:
    """Start n members, release them together, return (fetch count, their outputs)."""
    client = server.client()
    extra = [] if use_lock else ["--no-lock"]
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "flight", server.url, str(i), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(),
        )
        for i in range(n)
    ]
    try:
        deadline = time.monotonic() + 240  # eight interpreters on a loaded 2-core machine
        while int(client.get("test:ready") or 0) < n:
            assert time.monotonic() < deadline, "fleet members did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.02)
        pipe = client.pipeline()
        for i in range(n):
            pipe.rpush(f"test:go:{i}", 1)
        pipe.execute()
        outputs = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err.decode()
            outputs.append(out.decode().strip())
        return int(client.get("test:fetches") or 0), outputs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        client.close()


def test_eight_processes_fetch_once(redis_server: RedisServer) -> None:
    """8 processes with an empty cache, released together: one fetch, one shared token."""
    fetches, outputs = run_flight(redis_server, 8)
    assert fetches == 1
    assert len(set(outputs)) == 1


def test_without_the_lock_the_fleet_stampedes(redis_server: RedisServer) -> None:
    """Control: the same fleet without fetch_lock fetches more than once (the test can fail)."""
    fetches, _ = run_flight(redis_server, 8, use_lock=False)
    assert fetches > 1


def test_killed_lock_holder_is_replaced_after_lock_ttl(redis_server: RedisServer) -> None:
    """A holder SIGKILLed mid-fetch leaves its lock; a waiter takes over once the TTL ends."""
    holder = subprocess.Popen(
        [sys.executable, str(WORKER), "hold", redis_server.url, "1.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=worker_env(),
    )
    timer = threading.Timer(60, holder.kill)  # never hang on a broken child
    timer.start()
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"locked"
        client = redis_server.client()
        cache = bound_cache(redis_server.url, lock_timeout=10)
        dead_owner = client.get(cache.lock_key(KEY))
        assert dead_owner is not None
        acquired_at: list[float] = []

        def waiter() -> None:
            assert cache.get(KEY) is None
            with cache.fetch_lock(KEY):
                acquired_at.append(time.monotonic())
                assert cache.get(KEY) is None
                cache.set(KEY, make_token())

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.2)
        killed_at = time.monotonic()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        t.join(15)
        assert acquired_at, "the waiter never took over"
        assert 0.3 < acquired_at[0] - killed_at < 10  # waited for the TTL, not forever
        assert cache.get(KEY) is not None
        assert client.exists(cache.lock_key(KEY)) == 0
        client.close()
        cache.close()
    finally:
        timer.cancel()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
        holder.stderr.close()  # type: ignore[union-attr]
