"""PingOneWorkerAuth with httpx.AsyncClient under asyncio."""

from __future__ import annotations

import asyncio
import email.utils
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from auth_support import (
    API_URL,
    CLIENT_ID,
    ENV_ID,
    SECRET,
    FakeClock,
    Lib,
    TokenServer,
    await_until,
    oauth_error,
)

from httpx_pingone_worker import (
    MemoryTokenCache,
    TokenEndpointUnreachableError,
    TokenRequestError,
    arequest_client_credentials_token,
)
from httpx_pingone_worker._core._retry import RetryPolicy


def make_auth(lib: Lib, clock: FakeClock, **kw: Any) -> Any:
    """``lib``'s PingOneWorkerAuth on the fake clock (sync and async sleeps)."""
    kw.setdefault("retry", RetryPolicy(max_attempts=4, total_budget=60.0))
    return lib.WorkerAuth(
        CLIENT_ID, SECRET, ENV_ID, clock=clock, sleep=clock.sleep, async_sleep=clock.asleep, **kw
    )


def count_plans(auth: Any, kind: str) -> list[int]:
    """Wrap the engine's plan() to count plans of ``kind`` (a test probe)."""
    counter = [0]
    lock = threading.Lock()
    original = auth._engine.plan

    def plan():  # type: ignore[no-untyped-def]
        result = original()
        if result.kind == kind:
            with lock:
                counter[0] += 1
        return result

    auth._engine.plan = plan  # type: ignore[method-assign]
    return counter


def test_1000_tasks_cold_make_one_token_request(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """1000 asyncio tasks with no token cause one token request and all use its token."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.gate.clear()

    async def main() -> list[str]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:

            async def one() -> str:
                return (await client.get(API_URL)).json()["auth"]

            tasks = [asyncio.create_task(one()) for _ in range(1000)]
            assert await await_until(lambda: waits[0] >= 999), waits
            server.gate.set()
            return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    assert server.token_count == 1
    assert set(results) == {f"Bearer {server.issued[0]}"}


def test_refresh_point_tasks_do_not_wait(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """At the refresh point all 1000 tasks complete with the old token while the refresh is
    held at the token endpoint (it runs in a task of its own); then the new token is used."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)

    async def main() -> tuple[list[str], str]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            clock.advance(850)
            server.gate.clear()

            async def one() -> str:
                return (await client.get(API_URL)).json()["auth"]

            results = await asyncio.gather(*(one() for _ in range(1000)))
            # Every caller finished; the refresh (its own task) is held at the endpoint.
            assert await await_until(lambda: server.token_count == 2)
            server.gate.set()
            assert await auth.await_for_refresh(10)
            return results, await one()

    results, after = asyncio.run(main())
    assert server.token_count == 2
    assert results.count(f"Bearer {server.issued[0]}") == 1000
    assert after == f"Bearer {server.issued[1]}"


def test_cold_failure_shared_by_all_tasks(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """One failing fetch: every waiting task gets the error; one request in total."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.script = [oauth_error(400, "invalid_client", lib=lib)]
    server.gate.clear()

    async def main() -> list[BaseException | lib.Response]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            tasks = [asyncio.create_task(client.get(API_URL)) for _ in range(100)]
            assert await await_until(lambda: waits[0] >= 99)
            server.gate.set()
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert server.token_count == 1
    assert all(isinstance(r, TokenRequestError) for r in results)


def test_50_concurrent_401s_one_new_token(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """50 tasks rejected with the same token trigger exactly one new token."""
    auth = make_auth(lib, clock)

    async def main() -> list[lib.Response]:
        arrived = 0
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            rejected = f"Bearer {server.issued[0]}"

            async def api(request: lib.Request) -> lib.Response:
                nonlocal arrived
                if request.headers["authorization"] == rejected:
                    arrived += 1
                    assert await await_until(lambda: arrived >= 50)
                    return lib.Response(401)
                return lib.Response(200, json={"auth": request.headers["authorization"]})

            async def handler(request: lib.Request) -> lib.Response:
                if request.url.path.endswith("/as/token"):
                    return await server.ahandler(request)
                return await api(request)

            async with lib.AsyncClient(auth=auth, transport=lib.MockTransport(handler)) as client2:
                return await asyncio.gather(*[client2.get(API_URL) for _ in range(50)])

    results = asyncio.run(main())
    assert server.token_count == 2
    assert {r.status_code for r in results} == {200}
    assert {r.json()["auth"] for r in results} == {f"Bearer {server.issued[1]}"}


def test_non_replayable_async_body_not_resent(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """An async streaming body is not resent after a 401."""
    auth = make_auth(lib, clock)
    server.api = lambda _request: lib.Response(401)

    async def body() -> AsyncIterator[bytes]:
        yield b"chunk"

    async def main() -> int:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            return (await client.post(API_URL, content=body())).status_code

    assert asyncio.run(main()) == 401
    assert len(server.api_requests) == 1
    assert auth.current_token is None


def test_retry_after_and_fresh_stale_in_async_flow(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Retry-After (HTTP date) is honoured with the async sleep; refresh at 80%."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    server.script = [
        lib.Response(
            429, headers={"Retry-After": email.utils.formatdate(clock.now + 5, usegmt=True)}
        )
    ]

    async def main() -> list[str]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            first = (await client.get(API_URL)).json()["auth"]
            clock.advance(100)
            second = (await client.get(API_URL)).json()["auth"]
            clock.advance(800)
            third = (await client.get(API_URL)).json()["auth"]  # starts the refresh
            assert await auth.await_for_refresh(10)
            fourth = (await client.get(API_URL)).json()["auth"]
            return [first, second, third, fourth]

    results = asyncio.run(main())
    assert clock.sleeps == [pytest.approx(5.0)]
    assert results[0] == results[1] == results[2] == f"Bearer {server.issued[0]}"
    assert results[3] == f"Bearer {server.issued[1]}"
    assert server.token_count == 3


def test_aget_token_retries_connect_errors(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """aget_token() retries transport errors with the async sleep."""
    req = lib.Request("POST", "https://x")
    server.script = [lib.ConnectError("down", request=req)]

    async def main() -> str:
        async with lib.AsyncClient(transport=server.atransport()) as http:
            auth = make_auth(lib, clock, async_http_client=http)
            return (await auth.aget_token()).access_token.get_secret_value()

    assert asyncio.run(main()) == server.issued[0]
    assert server.token_count == 2
    assert len(clock.sleeps) == 1


def test_aget_token_budget_exhaustion(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """aget_token() gives up within the budget with TokenEndpointUnreachableError."""
    server.script = [lib.Response(503) for _ in range(10)]

    async def main() -> None:
        async with lib.AsyncClient(transport=server.atransport()) as http:
            auth = make_auth(lib, clock, async_http_client=http, retry=RetryPolicy(max_attempts=3))
            await auth.aget_token()

    with pytest.raises(TokenEndpointUnreachableError) as info:
        asyncio.run(main())
    assert server.token_count == 3
    assert info.value.status_code == 503


class AsyncOnlyCache(MemoryTokenCache):
    """A cache with async twins that records which methods the async path used."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def aget(self, key: str) -> Any:
        self.calls.append("aget")
        return self.get(key)

    async def aset(self, key: str, token: Any) -> None:
        self.calls.append("aset")
        self.set(key, token)

    async def adelete(self, key: str) -> None:
        self.calls.append("adelete")
        self.delete(key)


def test_async_path_uses_async_cache_methods(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """The async flow reads and writes through aget/aset when the cache has them."""
    cache = AsyncOnlyCache()
    auth = make_auth(lib, clock, cache=cache)

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
        await auth.ainvalidate()

    asyncio.run(main())
    assert cache.calls == ["aget", "aset", "adelete"]


def test_threads_and_two_event_loops_share_one_fetch(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Threads and tasks on two event loops in other threads make one token request."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.gate.clear()
    results: list[str] = []
    lock = threading.Lock()

    def loop_worker() -> None:
        async def main() -> None:
            async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
                answers = await asyncio.gather(*[client.get(API_URL) for _ in range(20)])
            with lock:
                results.extend(a.json()["auth"] for a in answers)

        asyncio.run(main())

    def thread_worker() -> None:
        with lib.Client(auth=auth, transport=server.transport()) as client:
            answer = client.get(API_URL).json()["auth"]
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=loop_worker) for _ in range(2)]
    threads += [threading.Thread(target=thread_worker) for _ in range(10)]
    for t in threads:
        t.start()
    assert await_until_sync(lambda: waits[0] >= 49)
    server.gate.set()
    for t in threads:
        t.join(10)
    assert server.token_count == 1
    assert len(results) == 50
    assert set(results) == {f"Bearer {server.issued[0]}"}


def await_until_sync(predicate: Any) -> bool:
    from auth_support import wait_until

    return wait_until(predicate)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_arequest_client_credentials_token(lib: Lib, method: str) -> None:
    """The async shell sends the exact request through the given client."""
    seen: list[lib.Request] = []

    async def handler(request: lib.Request) -> lib.Response:
        seen.append(request)
        return lib.Response(
            200, json={"access_token": "async-tok-1234", "token_type": "Bearer", "expires_in": 60}
        )

    async def main() -> Any:
        async with lib.AsyncClient(transport=lib.MockTransport(handler)) as client:
            return await arequest_client_credentials_token(
                "https://auth.pingone.com/e/as/token",
                CLIENT_ID,
                SECRET,
                "s",
                auth_method=method,
                client=client,
            )

    token = asyncio.run(main())
    assert token.expires_in == 60
    assert len(seen) == 1
    assert (b"client_secret=" in seen[0].content) == (method == "client_secret_post")
    assert ("authorization" in seen[0].headers) == (method == "client_secret_basic")


def test_cancelled_leader_hands_over_to_a_waiter(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Cancelling the task that fetches frees the flight; a waiter fetches, nobody hangs."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.gate.clear()

    async def main() -> list[Any]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            tasks = [asyncio.create_task(client.get(API_URL)) for _ in range(5)]
            assert await await_until(lambda: waits[0] >= 4 and server.token_count == 1)
            tasks[0].cancel()
            assert await await_until(lambda: server.token_count == 2)
            server.gate.set()
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[0], asyncio.CancelledError)
    assert [r.status_code for r in results[1:]] == [200, 200, 200, 200]
    assert server.token_count == 2
