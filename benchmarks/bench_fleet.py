"""Benchmark: 8 short-lived processes crossing the refresh point of a shared token.

Each of 8 processes plays a short-lived job again and again (a cron run, a CLI call, a
serverless invocation): every "wave" it builds a fresh ``PingOneWorkerAuth`` and cache
object (nothing in memory), calls ``get_token()`` once and drops them. Between waves the
clock jumps 15% of the token lifetime, so the shared token goes stale, expires and is
replaced, twice over. All 8 start each wave together (a barrier). The token endpoint
(127.0.0.1) answers after ``--token-latency`` seconds.

Two behaviours, measured in the same run on the same machine, for the file cache and Redis:

- before: the old path, emulated: a fresh process adopts a stale shared token and nobody
  refreshes it, so the whole fleet meets the expiry cliff and waits on the fetch lock;
- after: one process refreshes the stale shared token (try-lock); the others use the valid
  token at once.

Reported: token requests, callers that waited for a token request (a call slower than half
the endpoint latency), and p50/p99 ``get_token()`` latency over every call.

Run: ``python benchmarks/run.py fleet`` (``-- --quick`` for fewer waves; Redis is skipped
without ``redis-server``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from typing import Any

from bench_redis import (
    CLIENT_ID,
    ENV_ID,
    LIFETIME,
    SECRET,
    TokenServer,
    pct,
    redis_server_binary,
    start_redis,
)

STEP = 0.15  # of the lifetime, per wave


def _emulate_old_behaviour(auth: Any) -> None:
    """The path before fleet refresh: the shared cache is read under the fetch lock only, and
    a stale token adopted from it is never refreshed by the process that read it."""
    engine = auth._engine
    engine.usable_from_cache = lambda _cached: None
    engine.refresh_due = lambda: False


def member(job: dict[str, Any], barrier: Any, out: Any) -> None:
    """One fleet member: every wave a fresh auth + cache (a new short-lived process)."""
    kind, location, token_url = job["kind"], job["location"], job["token_url"]
    mode, waves = job["mode"], job["waves"]
    import httpx

    from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth, RedisTokenCache

    http = httpx.Client(timeout=30.0)
    latencies = []
    for wave in range(waves):
        offset = wave * STEP * LIFETIME
        cache: Any = (
            EncryptedFileTokenCache(location, key=os.environ["BENCH_FILE_KEY"])
            if kind == "file"
            else RedisTokenCache(location, secret=SECRET, socket_timeout=5.0)
        )
        auth = PingOneWorkerAuth(
            CLIENT_ID,
            SECRET,
            ENV_ID,
            token_endpoint=token_url,
            allow_loopback_http=True,
            cache=cache,
            clock=lambda offset=offset: time.time() + offset,
            http_client=http,
        )
        if mode == "before":
            _emulate_old_behaviour(auth)
        if kind == "redis":
            cache.get("pingone:warm-up")  # connect before the clock starts
        barrier.wait(120)
        start = time.perf_counter()
        auth.get_token()
        latencies.append(time.perf_counter() - start)
        auth.close()
        if kind == "redis":
            cache.close()
        barrier.wait(120)  # the wave is over for everybody before the clock moves
    http.close()
    out.put(latencies)


def run_fleet(
    kind: str, location: str, token: TokenServer, mode: str, *, n: int, waves: int
) -> tuple[int, list[float]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    out = ctx.Queue()
    before = token.requests
    job = {
        "kind": kind,
        "location": location,
        "token_url": token.url,
        "mode": mode,
        "waves": waves,
    }
    procs = [ctx.Process(target=member, args=(job, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(out.get(timeout=600))
    for p in procs:
        p.join(60)
    return token.requests - before, latencies


def main(argv: list[str] | None = None) -> None:
    """Run before/after for the file cache and Redis; print one table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer waves")
    parser.add_argument("--processes", "-n", type=int, default=8)
    parser.add_argument("--waves", type=int, default=None, help="default 14 (7 with --quick)")
    parser.add_argument("--token-latency", type=float, default=0.05, help="seconds")
    args = parser.parse_args(argv)
    waves = args.waves or (7 if args.quick else 14)

    from httpx_pingone_worker.credentials._crypto import generate_key

    os.environ["BENCH_FILE_KEY"] = generate_key()
    token = TokenServer(args.token_latency)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        redis = start_redis(tmp) if redis_server_binary() is not None else None
        try:
            kinds = ["file"] + (["redis"] if redis is not None else [])
            for kind in kinds:
                for mode in ("before", "after"):
                    if kind == "file":
                        location = os.path.join(tmp, f"tokens-{mode}")
                    else:
                        import redis as redis_py

                        assert redis is not None
                        location = redis[1]
                        client = redis_py.Redis.from_url(location)
                        client.flushdb()
                        client.close()
                    requests, lat = run_fleet(
                        kind, location, token, mode, n=args.processes, waves=waves
                    )
                    rows.append((kind, mode, requests, lat))
        finally:
            token.close()
            if redis is not None:
                redis[0].terminate()
                redis[0].wait(10)
    if len(rows) == 2:
        print("(redis-server not found: Redis rows skipped)")
    half = args.token_latency / 2
    print(
        f"{args.processes} short-lived processes x {waves} waves (clock +{STEP:.0%} of the "
        f"lifetime per wave, refresh at 80%); token endpoint latency "
        f"{args.token_latency * 1000:.0f} ms"
    )
    print(
        f"{'cache':<8}{'behaviour':<11}{'token requests':>15}{'callers waited':>16}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    )
    for kind, mode, requests, lat in rows:
        waited = sum(1 for x in lat if x >= half)
        print(
            f"{kind:<8}{mode:<11}{requests:>15}{waited:>16}{pct(lat, 0.5):>9.2f}"
            f"{pct(lat, 0.99):>9.2f}"
        )


if __name__ == "__main__":
    main()
