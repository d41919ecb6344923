"""Benchmark: PingOneWorkerAuth against no auth, a static-Bearer floor and two peers.

Part 1, per-request overhead with a cached token, all through ``httpx.MockTransport`` in the
same run (rounds interleaved so machine noise hits every variant alike):

- ``no-auth``       plain ``httpx.Client``;
- ``static-bearer`` a minimal ``httpx.Auth`` that sets a fixed header (the floor);
- ``ours``          ``PingOneWorkerAuth`` with a warm cache;
- ``httpx-auth``    ``httpx_auth.OAuth2ClientCredentials`` with a warm cache;
- ``authlib``       ``authlib.integrations.httpx_client.OAuth2Client`` with a fetched token.

Part 2, token requests caused by N concurrent callers, with a token endpoint that takes
50 ms: *cold* (no token yet) and at the *refresh point* (ours: 85% of the lifetime, still
valid; peers have no refresh-ahead, so their token is made to expire). ``served`` counts
the requests that completed while the token request was in flight (the endpoint holds its
answer until N-1 requests are done, or 1 s): N-1 means nobody but the refresher served,
0 means everyone served for the token endpoint.
Authlib's ``OAuth2Client`` raises ``MissingTokenError`` without a token, so its "cold" row
starts from an expired token.

Run: ``python benchmarks/run.py`` (or ``tox -e bench``); ``--quick`` for a short run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from httpx_pingone_worker import PingOneWorkerAuth

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
SECRET = "bench-secret-0123456789"
TOKEN_URL = f"https://auth.pingone.com/{ENV}/as/token"
API_URL = f"https://api.pingone.com/v1/environments/{ENV}"
LIFETIME = 3600
TOKEN_LATENCY = 0.05
HOLD_MAX = 1.0


class StaticBearer(httpx.Auth):
    """The floor: a fixed header, nothing else."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class Counter:
    """A token endpoint + API behind MockTransport, counting token requests.

    With ``latency`` set, a token answer takes at least that long and is held (up to
    ``HOLD_MAX``) until ``expected - 1`` API requests have completed, or the hold times
    out; ``served`` records how many API requests completed while the token request was
    in flight (the callers that did *not* wait for it).
    """

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.tokens = 0
        self.api_done = 0
        self.expected = 0
        self.base = 0
        self.served: list[int] = []
        self.lock = threading.Lock()

    def expect(self, n: int) -> None:
        """The next run has ``n`` concurrent callers."""
        self.expected, self.base = n, self.api_done

    def _ready(self, started: float) -> bool:
        if time.perf_counter() - started < self.latency:
            return False
        done = self.api_done - self.base >= self.expected - 1
        return done or time.perf_counter() - started > HOLD_MAX

    def _token(self, mod: Any = httpx) -> Any:
        with self.lock:
            self.tokens += 1
            n = self.tokens
            self.served.append(self.api_done - self.base)
        return mod.Response(
            200,
            json={
                "access_token": f"bench-token-{n:06d}-abcdefgh",
                "token_type": "Bearer",
                "expires_in": LIFETIME,
            },
        )

    def _api(self, mod: Any) -> Any:
        with self.lock:
            self.api_done += 1
        return mod.Response(200, content=b"{}")

    def transport(self, mod: Any = httpx) -> Any:
        """A sync MockTransport of ``mod`` (httpx, or httpx2 for Authlib)."""

        def handler(request: Any) -> Any:
            if request.url.path.endswith("/as/token"):
                started = time.perf_counter()
                while self.latency and not self._ready(started):
                    time.sleep(0.001)
                return self._token(mod)
            return self._api(mod)

        return mod.MockTransport(handler)

    def atransport(self, mod: Any = httpx) -> Any:
        """An async MockTransport of ``mod``; the token endpoint awaits (never blocks)."""

        async def handler(request: Any) -> Any:
            if request.url.path.endswith("/as/token"):
                started = time.perf_counter()
                while self.latency and not self._ready(started):
                    await asyncio.sleep(0.001)
                return self._token(mod)
            if self.latency:
                await asyncio.sleep(0)  # like real I/O: let the loop run other tasks
            return self._api(mod)

        return mod.MockTransport(handler)


# --- part 1: per-request overhead ---------------------------------------------------------


def authlib_httpx() -> Any:
    """The HTTP module Authlib's httpx integration is built on (httpx2 when installed)."""
    from authlib.integrations.httpx_client import OAuth2Client

    try:
        import httpx2
    except ImportError:
        return httpx
    return httpx2 if issubclass(OAuth2Client, httpx2.Client) else httpx


def _clients(counter: Counter) -> dict[str, httpx.Client]:
    from authlib.integrations.httpx_client import OAuth2Client
    from httpx_auth import OAuth2ClientCredentials

    transport = counter.transport()
    ours = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV)
    peer_auth = OAuth2ClientCredentials(
        TOKEN_URL, CLIENT_ID, SECRET, client=httpx.Client(transport=transport)
    )
    mod = authlib_httpx()
    authlib = OAuth2Client(
        CLIENT_ID,
        SECRET,
        token_endpoint=TOKEN_URL,
        grant_type="client_credentials",
        transport=counter.transport(mod),
    )
    authlib.fetch_token()
    clients: dict[str, Any] = {
        "no-auth": httpx.Client(transport=transport),
        "static-bearer": httpx.Client(
            auth=StaticBearer("bench-token-static-abcdefgh"), transport=transport
        ),
        "ours": httpx.Client(auth=ours, transport=transport),
        "httpx-auth": httpx.Client(auth=peer_auth, transport=transport),
        "authlib": authlib,
    }
    if mod is not httpx:  # Authlib's own baseline: its HTTP stack without auth
        clients["no-auth-" + mod.__name__] = mod.Client(transport=counter.transport(mod))
    for client in clients.values():  # warm every cache
        client.get(API_URL)
    return clients


# CPU time of this thread: time spent waiting for a core on a busy machine is not counted,
# so a shared CI box measures the work, not the queue.
_timer = time.thread_time


def _time_loop(client: Any, n: int) -> float:
    get = client.get
    start = _timer()
    for _ in range(n):
        get(API_URL)
    return (_timer() - start) / n * 1e6


async def _atime_loop(client: Any, n: int) -> float:
    get = client.get
    start = _timer()
    for _ in range(n):
        await get(API_URL)
    return (_timer() - start) / n * 1e6


def overhead(requests: int, rounds: int) -> dict[str, list[float]]:
    """µs/request per variant, one list entry per round (rounds interleaved)."""
    counter = Counter()
    clients = _clients(counter)
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            samples[name].append(_time_loop(client, requests))
    for client in clients.values():
        client.close()
    return samples


def async_overhead(requests: int, rounds: int) -> dict[str, list[float]]:
    """µs/request for the async variants (asyncio)."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from httpx_auth import OAuth2ClientCredentials

    async def main() -> dict[str, list[float]]:
        counter = Counter()
        transport = counter.atransport()
        peer = OAuth2ClientCredentials(
            TOKEN_URL, CLIENT_ID, SECRET, client=httpx.Client(transport=counter.transport())
        )
        mod = authlib_httpx()
        authlib = AsyncOAuth2Client(
            CLIENT_ID,
            SECRET,
            token_endpoint=TOKEN_URL,
            grant_type="client_credentials",
            transport=counter.atransport(mod),
        )
        await authlib.fetch_token()
        clients: dict[str, Any] = {
            "no-auth": httpx.AsyncClient(transport=transport),
            "static-bearer": httpx.AsyncClient(
                auth=StaticBearer("bench-token-static-abcdefgh"), transport=transport
            ),
            "ours": httpx.AsyncClient(
                auth=PingOneWorkerAuth(CLIENT_ID, SECRET, ENV), transport=transport
            ),
            "httpx-auth": httpx.AsyncClient(auth=peer, transport=transport),
            "authlib": authlib,
        }
        if mod is not httpx:
            clients["no-auth-" + mod.__name__] = mod.AsyncClient(transport=counter.atransport(mod))
        for client in clients.values():
            await client.get(API_URL)
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(rounds):
            for name, client in clients.items():
                samples[name].append(await _atime_loop(client, requests))
        for client in clients.values():
            await client.aclose()
        return samples

    return asyncio.run(main())


# --- part 2: token requests under concurrency --------------------------------------------


def _served(counter: Counter, mark: int, n: int) -> int:
    new = counter.served[mark:]
    return min(new) if new else n


def _run_threads(n: int, call: Callable[[], Any], counter: Counter) -> int:
    """Run ``call`` in n threads released together; return how many were served meanwhile."""
    barrier = threading.Barrier(n)
    counter.expect(n)
    mark = len(counter.served)

    def one() -> None:
        barrier.wait()
        call()

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda _: one(), range(n)))
    return _served(counter, mark, n)


class _Offset:
    """A clock we can move forward (ours only; peers read the real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def thread_counts(n: int) -> dict[str, dict[str, tuple[int, int]]]:
    """{variant: {"cold"|"refresh": (token requests, requests served meanwhile)}}."""
    from authlib.integrations.httpx_client import OAuth2Client
    from httpx_auth import OAuth2, OAuth2ClientCredentials

    results: dict[str, dict[str, tuple[int, int]]] = {}

    # ours
    counter = Counter(TOKEN_LATENCY)
    clock = _Offset()
    auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV, clock=clock)
    with httpx.Client(auth=auth, transport=counter.transport()) as client:
        served = _run_threads(n, lambda: client.get(API_URL), counter)
        cold = (counter.tokens, served)
        clock.offset = LIFETIME * 0.85
        before = counter.tokens
        served = _run_threads(n, lambda: client.get(API_URL), counter)
        results["ours"] = {"cold": cold, "refresh": (counter.tokens - before, served)}

    # httpx-auth (class-global token cache: clear it first)
    OAuth2.token_cache.clear()
    counter = Counter(TOKEN_LATENCY)
    peer = OAuth2ClientCredentials(
        TOKEN_URL, CLIENT_ID, SECRET, client=httpx.Client(transport=counter.transport())
    )
    with httpx.Client(auth=peer, transport=counter.transport()) as client:
        served = _run_threads(n, lambda: client.get(API_URL), counter)
        cold = (counter.tokens, served)
        _expire_httpx_auth_tokens(OAuth2.token_cache)
        before = counter.tokens
        served = _run_threads(n, lambda: client.get(API_URL), counter)
        results["httpx-auth"] = {"cold": cold, "refresh": (counter.tokens - before, served)}
    OAuth2.token_cache.clear()

    # authlib (no token → MissingTokenError, so start from an expired one)
    counter = Counter(TOKEN_LATENCY)
    authlib = OAuth2Client(
        CLIENT_ID,
        SECRET,
        token_endpoint=TOKEN_URL,
        grant_type="client_credentials",
        transport=counter.transport(authlib_httpx()),
    )
    authlib.token = _expired_authlib_token()
    served = _run_threads(n, lambda: authlib.get(API_URL), counter)
    cold = (counter.tokens, served)
    authlib.token = _expired_authlib_token()
    before = counter.tokens
    served = _run_threads(n, lambda: authlib.get(API_URL), counter)
    results["authlib"] = {"cold": cold, "refresh": (counter.tokens - before, served)}
    authlib.close()
    return results


def _expire_httpx_auth_tokens(cache: Any) -> None:
    with cache._forbid_concurrent_cache_access:
        for key, value in list(cache.tokens.items()):
            cache.tokens[key] = (value[0], time.time() - 1, *value[2:])


def _expired_authlib_token() -> dict[str, Any]:
    return {
        "access_token": "expired-token-abcdefgh",
        "token_type": "Bearer",
        "expires_at": int(time.time()) - 10,
    }


LOOP_LAG: dict[str, float] = {}


async def _run_tasks(n: int, call: Callable[[], Any], counter: Counter) -> int:
    """Run n tasks at once; return how many were served while a token request was out."""
    counter.expect(n)
    mark = len(counter.served)
    await asyncio.gather(*[call() for _ in range(n)])
    return _served(counter, mark, n)


async def _loop_stall(label: str, call: Callable[[], Any]) -> None:
    """Longest event-loop stall while ONE request fetches a token (a blocking fetch shows
    the endpoint's 50 ms; a non-blocking one only the request's own CPU time)."""
    stop = False
    worst = 0.0

    async def monitor() -> None:
        nonlocal worst
        while not stop:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - start - 0.001)

    watcher = asyncio.create_task(monitor())
    await asyncio.sleep(0.005)
    await call()
    stop = True
    await watcher
    LOOP_LAG[label] = worst


def task_counts(n: int) -> dict[str, dict[str, tuple[int, int]]]:
    """Like :func:`thread_counts` for asyncio tasks (ours, authlib async, httpx-auth)."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from httpx_auth import OAuth2, OAuth2ClientCredentials

    async def main() -> dict[str, dict[str, tuple[int, int]]]:
        results: dict[str, dict[str, tuple[int, int]]] = {}
        counter = Counter(TOKEN_LATENCY)
        clock = _Offset()
        auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV, clock=clock)
        async with httpx.AsyncClient(auth=auth, transport=counter.atransport()) as client:
            served = await _run_tasks(n, lambda: client.get(API_URL), counter)
            cold = (counter.tokens, served)
            clock.offset = LIFETIME * 0.85
            before = counter.tokens
            served = await _run_tasks(n, lambda: client.get(API_URL), counter)
            results["ours"] = {"cold": cold, "refresh": (counter.tokens - before, served)}
            auth.invalidate()
            await _loop_stall("ours", lambda: client.get(API_URL))

        # httpx-auth's async path requests tokens with its sync client (blocks the loop).
        OAuth2.token_cache.clear()
        counter = Counter(TOKEN_LATENCY)
        peer = OAuth2ClientCredentials(
            TOKEN_URL, CLIENT_ID, SECRET, client=httpx.Client(transport=counter.transport())
        )
        async with httpx.AsyncClient(auth=peer, transport=counter.atransport()) as client:
            served = await _run_tasks(n, lambda: client.get(API_URL), counter)
            cold = (counter.tokens, served)
            _expire_httpx_auth_tokens(OAuth2.token_cache)
            before = counter.tokens
            served = await _run_tasks(n, lambda: client.get(API_URL), counter)
            results["httpx-auth"] = {"cold": cold, "refresh": (counter.tokens - before, served)}
            _expire_httpx_auth_tokens(OAuth2.token_cache)
            await _loop_stall("httpx-auth", lambda: client.get(API_URL))
        OAuth2.token_cache.clear()

        counter = Counter(TOKEN_LATENCY)
        authlib = AsyncOAuth2Client(
            CLIENT_ID,
            SECRET,
            token_endpoint=TOKEN_URL,
            grant_type="client_credentials",
            transport=counter.atransport(authlib_httpx()),
        )
        authlib.token = _expired_authlib_token()
        served = await _run_tasks(n, lambda: authlib.get(API_URL), counter)
        cold = (counter.tokens, served)
        authlib.token = _expired_authlib_token()
        before = counter.tokens
        served = await _run_tasks(n, lambda: authlib.get(API_URL), counter)
        results["authlib"] = {"cold": cold, "refresh": (counter.tokens - before, served)}
        authlib.token = _expired_authlib_token()
        await _loop_stall("authlib", lambda: authlib.get(API_URL))
        await authlib.aclose()
        return results

    return asyncio.run(main())


# --- report -------------------------------------------------------------------------------


def _report_overhead(title: str, samples: dict[str, list[float]]) -> None:
    best = {name: min(values) for name, values in samples.items()}
    median = {name: statistics.median(values) for name, values in samples.items()}
    floor = best["static-bearer"]
    base = best["no-auth"]
    print(f"\n{title}")
    print(
        f"{'variant':<14} {'best µs/req':>12} {'median':>9} {'vs static':>10} "
        f"{'auth µs':>8} {'vs no-auth':>11}"
    )
    for name in samples:
        print(
            f"{name:<14} {best[name]:>12.1f} {median[name]:>9.1f} "
            f"{best[name] / floor:>9.3f}x {best[name] - base:>8.1f} {best[name] / base:>10.3f}x"
        )
    own_base = [n for n in samples if n.startswith("no-auth-")]
    if own_base:
        b = best[own_base[0]]
        print(
            f"authlib runs on {own_base[0][8:]}: its auth cost over that stack's no-auth is "
            f"{best['authlib'] - b:.1f} µs ({best['authlib'] / b:.3f}x)"
        )
    ours = best["ours"]
    verdict = "within" if ours <= floor * 1.05 else "NOT within"
    print(f"ours is {verdict} 5% of the static-Bearer floor ({(ours / floor - 1) * 100:+.1f}%)")


def _report_counts(title: str, n: int, results: dict[str, dict[str, tuple[int, int]]]) -> None:
    print(f"\n{title} (N={n}, token endpoint latency {TOKEN_LATENCY * 1000:.0f} ms)")
    print(
        f"{'variant':<12} {'cold: token reqs':>17} {'served':>7} "
        f"{'refresh: token reqs':>20} {'served':>7}"
    )
    for name, rows in results.items():
        (c_req, c_wait), (r_req, r_wait) = rows["cold"], rows["refresh"]
        lag = (
            f"  loop stall during a fetch {LOOP_LAG[name] * 1000:.0f} ms"
            if name in LOOP_LAG
            else ""
        )
        print(f"{name:<12} {c_req:>17} {c_wait:>7} {r_req:>20} {r_wait:>7}{lag}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--requests", type=int, default=None, help="requests per round")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    requests = args.requests or (500 if args.quick else 2000)
    rounds = args.rounds or (5 if args.quick else 15)
    threads, tasks = (16, 100) if args.quick else (64, 1000)

    # One-time start-up costs out of the measurements: plugin entry points load on the
    # first log event (~tens of ms), peers' imports happen in their setup.
    from httpx_pingone_worker._core._logging import get_plugin_manager

    get_plugin_manager()
    print(
        f"httpx {httpx.__version__}; {requests} requests x {rounds} interleaved rounds per "
        "variant; thread CPU µs per request (best and median round)"
    )
    _report_overhead("Per-request overhead, sync, cached token", overhead(requests, rounds))
    _report_overhead(
        "Per-request overhead, async (asyncio), cached token",
        async_overhead(requests, rounds),
    )
    _report_counts("Token requests, threads", threads, thread_counts(threads))
    _report_counts("Token requests, asyncio tasks", tasks, task_counts(tasks))


if __name__ == "__main__":
    main()
