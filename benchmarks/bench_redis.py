"""Benchmark: N processes getting tokens, with and without a shared RedisTokenCache.

Each of N processes has its own ``PingOneWorkerAuth`` against a local token endpoint
(127.0.0.1, plain http, answering after ``--token-latency`` seconds, like a remote IdP). The
processes start together with an empty cache and call ``get_token()`` ``--calls`` times per
step for ``--steps`` steps; between steps their clocks jump 30% of the token lifetime, so
tokens go stale and get refreshed every few steps. Reported per cache: token requests the
endpoint answered, and ``get_token()`` latency percentiles over every call of every process.

Needs ``redis-server`` on PATH (or ``--redis-url``) and the ``redis`` extra.
Run: ``python benchmarks/run.py redis`` (``-- --quick`` for a short run).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
CLIENT_ID = "7a1c0e5e-0b4b-4c2d-9e3f-0a1b2c3d4e5f"
ENV_ID = "1d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
SECRET = "bench-secret-" + "s" * 40
LIFETIME = 3600


class TokenServer:
    """Counting token endpoint on 127.0.0.1 with a fixed answer latency."""

    def __init__(self, latency: float) -> None:
        self.requests = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    outer.requests += 1
                time.sleep(latency)
                body = json.dumps(
                    {
                        "access_token": secrets.token_urlsafe(600),
                        "token_type": "Bearer",
                        "expires_in": LIFETIME,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # 8 members connecting at once on a loaded machine

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/as/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def redis_server_binary() -> str | None:
    """``$REDIS_SERVER`` or ``redis-server`` on PATH (None when neither exists)."""
    return os.environ.get("REDIS_SERVER") or shutil.which("redis-server")


def start_redis(tmp: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start a throwaway redis-server on a free loopback port; (process, URL) once it answers.
    (Also used by bench_fleet.)"""
    import redis

    binary = redis_server_binary()
    if binary is None:
        raise SystemExit("redis-server not found: apt-get install redis-server, or --redis-url")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.02)
    client.close()
    return proc, url


def worker(
    redis_url: str, token_url: str, cache_kind: str, *, index: int, steps: int, calls: int
) -> None:
    """One fleet member: wait for the start signal, then time every get_token() call."""
    import httpx

    import redis
    from httpx_pingone_worker import MemoryTokenCache, PingOneWorkerAuth, RedisTokenCache

    offset = [0.0]
    http = httpx.Client(timeout=10.0)  # built before timing starts: TLS setup is not timed
    cache: Any = (
        RedisTokenCache(redis_url, secret=SECRET) if cache_kind == "redis" else MemoryTokenCache()
    )
    auth = PingOneWorkerAuth(
        CLIENT_ID,
        SECRET,
        ENV_ID,
        token_endpoint=token_url,
        allow_loopback_http=True,
        cache=cache,
        clock=lambda: time.time() + offset[0],
        http_client=http,
    )
    if cache_kind == "redis":  # connect and load cryptography before the clock starts
        cache.get("pingone:warm-up")
    control = redis.Redis.from_url(redis_url)
    control.incr("bench:ready")
    control.blpop([f"bench:go:{index}"], timeout=60)
    latencies = []
    for step in range(steps):
        offset[0] = step * LIFETIME * 0.3
        for _ in range(calls):
            start = time.perf_counter()
            auth.get_token()
            latencies.append(time.perf_counter() - start)
    auth.close()
    http.close()
    control.close()
    print(json.dumps(latencies))


def run_fleet(
    redis_url: str, token: TokenServer, cache_kind: str, *, n: int, steps: int, calls: int
) -> tuple[int, list[float]]:
    """Run n members; return (token requests, all latencies in seconds)."""
    import redis

    control = redis.Redis.from_url(redis_url)
    control.flushdb()
    before = token.requests
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE),
                "--worker",
                redis_url,
                token.url,
                cache_kind,
                str(i),
                str(steps),
                str(calls),
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        for i in range(n)
    ]
    deadline = time.monotonic() + 120
    while int(control.get("bench:ready") or 0) < n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
            raise SystemExit("benchmark workers failed to start")
        time.sleep(0.02)
    pipe = control.pipeline()
    for i in range(n):
        pipe.rpush(f"bench:go:{i}", 1)
    pipe.execute()
    latencies: list[float] = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"benchmark worker failed (exit {p.returncode})")
        latencies.extend(json.loads(out))
    control.close()
    return token.requests - before, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> None:
    """Run both fleets and print one table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--processes", "-n", type=int, default=8)
    parser.add_argument("--steps", type=int, default=None, help="clock steps (default 20)")
    parser.add_argument("--calls", type=int, default=10, help="get_token() calls per step")
    parser.add_argument("--token-latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of starting one")
    args = parser.parse_args(argv)
    steps = args.steps or (7 if args.quick else 20)

    token = TokenServer(args.token_latency)
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        redis_url = args.redis_url
        if redis_url is None:
            proc, redis_url = start_redis(tmp)
        try:
            rows = []
            for kind in ("memory", "redis"):
                requests, lat = run_fleet(
                    redis_url, token, kind, n=args.processes, steps=steps, calls=args.calls
                )
                rows.append((kind, requests, lat))
        finally:
            token.close()
            if proc is not None:
                proc.terminate()
                proc.wait(10)
    print(
        f"{args.processes} processes x {steps} steps x {args.calls} get_token() calls; "
        f"token endpoint latency {args.token_latency * 1000:.0f} ms; "
        f"clock +30% of the lifetime per step"
    )
    print(
        f"{'cache':<22}{'token requests':>15}{'p50 µs':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}"
    )
    for kind, requests, lat in rows:
        label = "in-memory per process" if kind == "memory" else "RedisTokenCache"
        print(
            f"{label:<22}{requests:>15}{pct(lat, 0.5) * 1000:>9.1f}{pct(lat, 0.99):>9.2f}"
            f"{max(lat) * 1000:>9.2f}{statistics.fmean(lat) * 1000:>9.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        r_url, t_url, kind, idx, n_steps, n_calls = sys.argv[2:8]
        worker(r_url, t_url, kind, index=int(idx), steps=int(n_steps), calls=int(n_calls))
    else:
        main()
