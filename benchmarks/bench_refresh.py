"""Benchmark: request latency across refresh points, with a token endpoint that takes 500 ms.

Refresh-ahead runs in the background, so no caller should wait for a refresh
while the token is valid. Each round makes ``--baseline`` requests that cross no refresh
point, then moves the clock past the refresh point (85% of the token's lifetime, still
valid) and makes ``--after`` requests while the 500 ms refresh is in flight, the first of
them the one that crossed the refresh point. Both groups are measured in the same run,
interleaved, through ``httpx.MockTransport``; the report gives p50/p99 of each group, the
ratio crossing/baseline, and the slowest crossing request against the 500 ms a waiting
caller would have paid. A blocking fetch (no token at all) is timed as the reference of
what waiting looks like.

Modes: ``sync`` (one thread; the refresh runs in a daemon thread) and ``asyncio`` (the
crossing requests run as concurrent tasks; the refresh runs in a task of its own).

Run: ``python benchmarks/run.py refresh`` (or ``tox -e bench``); ``--quick`` for a short run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from httpx_pingone_worker import PingOneWorkerAuth

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
SECRET = "bench-secret-value-123456"
API = f"https://api.pingone.com/v1/environments/{ENV}"
LIFETIME = 600
TOKEN_DELAY = 0.5


class Endpoint:
    """Token endpoint taking ``TOKEN_DELAY`` seconds (sync sleep or async sleep); fast API."""

    def __init__(self) -> None:
        self.tokens = 0

    def _token(self) -> httpx.Response:
        self.tokens += 1
        body = {
            "access_token": f"bench-token-{self.tokens:06d}-abcdefghijkl",
            "token_type": "Bearer",
            "expires_in": LIFETIME,
        }
        return httpx.Response(200, json=body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/as/token"):
            time.sleep(TOKEN_DELAY)
            return self._token()
        return httpx.Response(200)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/as/token"):
            await asyncio.sleep(TOKEN_DELAY)
            return self._token()
        return httpx.Response(200)


class Clock:
    """Real time plus an offset the benchmark moves to reach refresh points."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _auth(clock: Clock) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(CLIENT_ID, SECRET, ENV, clock=clock)


def _cross_refresh_point(auth: PingOneWorkerAuth, clock: Clock) -> None:
    token = auth.current_token
    assert token is not None
    clock.offset += token.expires_at - clock() - LIFETIME * 0.15  # at 85% of the lifetime


def run_sync(rounds: int, baseline: int, after: int) -> dict[str, list[float]]:
    """Latencies (seconds) of baseline requests, crossing requests and blocking fetches."""
    clock = Clock()
    endpoint = Endpoint()
    auth = _auth(clock)
    out: dict[str, list[float]] = {"baseline": [], "crossing": [], "first": [], "blocking": []}
    with httpx.Client(auth=auth, transport=httpx.MockTransport(endpoint.handler)) as client:
        started = time.perf_counter()
        client.get(API)
        out["blocking"].append(time.perf_counter() - started)
        for _ in range(rounds):
            for _ in range(baseline):
                started = time.perf_counter()
                client.get(API)
                out["baseline"].append(time.perf_counter() - started)
            _cross_refresh_point(auth, clock)
            tokens = endpoint.tokens
            for i in range(after):
                started = time.perf_counter()
                client.get(API)
                elapsed = time.perf_counter() - started
                out["crossing"].append(elapsed)
                if i == 0:
                    out["first"].append(elapsed)
            assert auth.wait_for_refresh(30)
            assert endpoint.tokens == tokens + 1, "the refresh did not happen"
        auth.invalidate()
        started = time.perf_counter()
        client.get(API)
        out["blocking"].append(time.perf_counter() - started)
    auth.close()
    return out


def run_async(rounds: int, baseline: int, after: int) -> dict[str, list[float]]:
    """Async twin: the crossing requests are ``after`` concurrent tasks."""
    out: dict[str, list[float]] = {"baseline": [], "crossing": [], "first": [], "blocking": []}

    async def timed(client: httpx.AsyncClient, into: list[float]) -> None:
        started = time.perf_counter()
        await client.get(API)
        into.append(time.perf_counter() - started)

    async def main() -> None:
        clock = Clock()
        endpoint = Endpoint()
        auth = _auth(clock)
        transport = httpx.MockTransport(endpoint.ahandler)
        async with httpx.AsyncClient(auth=auth, transport=transport) as client:
            await timed(client, out["blocking"])
            for _ in range(rounds):
                for _ in range(baseline):
                    await timed(client, out["baseline"])
                _cross_refresh_point(auth, clock)
                tokens = endpoint.tokens
                crossing: list[float] = []
                await asyncio.gather(*(timed(client, crossing) for _ in range(after)))
                out["crossing"].extend(crossing)
                out["first"].append(max(crossing))
                assert await auth.await_for_refresh(30)
                assert endpoint.tokens == tokens + 1, "the refresh did not happen"
            await auth.ainvalidate()
            await timed(client, out["blocking"])
        await auth.aclose()

    asyncio.run(main())
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(mode: str, out: dict[str, list[float]]) -> None:
    """Print p50/p99 per group and the ratios crossing/baseline."""
    base, cross = out["baseline"], out["crossing"]
    print(f"--- {mode}: token endpoint {TOKEN_DELAY * 1000:.0f} ms ---")
    print(f"{'group':<10} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for name in ("baseline", "crossing"):
        values = out[name]
        print(
            f"{name:<10} {len(values):>6} {_pct(values, 0.5) * 1000:>9.2f} "
            f"{_pct(values, 0.99) * 1000:>9.2f} {max(values) * 1000:>9.2f}"
        )
    slowest_first = max(out["first"])
    blocking = statistics.median(out["blocking"])
    print(
        f"crossing/baseline: p50 x{_pct(cross, 0.5) / _pct(base, 0.5):.2f}, "
        f"p99 x{_pct(cross, 0.99) / _pct(base, 0.99):.2f}"
    )
    label = "slowest crossing request" if mode == "sync" else "slowest task of a crossing burst"
    print(
        f"{label}: {slowest_first * 1000:.1f} ms; a blocking fetch (no token): "
        f"{blocking * 1000:.0f} ms -> no caller waits for a refresh: "
        f"{'yes' if slowest_first < TOKEN_DELAY / 5 else 'NO'}"
    )


def main(argv: list[str] | None = None) -> None:
    """Run both modes and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="refresh points per mode")
    parser.add_argument("--baseline", type=int, default=200, help="requests before each")
    parser.add_argument("--after", type=int, default=50, help="requests while it refreshes")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 10)
    report("sync", run_sync(rounds, args.baseline, args.after))
    report("asyncio", run_async(rounds, args.baseline, args.after))


if __name__ == "__main__":
    main()
