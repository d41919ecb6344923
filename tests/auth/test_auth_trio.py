"""PingOneWorkerAuth with httpx.AsyncClient under trio."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import trio
from auth_support import (
    API_URL,
    CLIENT_ID,
    ENV_ID,
    SECRET,
    FakeClock,
    Lib,
    TokenServer,
    await_until,
)

from httpx_pingone_worker import TokenRequestError
from httpx_pingone_worker._core._retry import RetryPolicy


def make_auth(lib: Lib, clock: FakeClock, **kw: Any) -> Any:
    """``lib``'s PingOneWorkerAuth on the fake clock (sync and async sleeps)."""
    return lib.WorkerAuth(
        CLIENT_ID,
        SECRET,
        ENV_ID,
        clock=clock,
        sleep=clock.sleep,
        async_sleep=clock.asleep,
        retry=RetryPolicy(max_attempts=3),
        **kw,
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


def test_trio_tasks_cold_make_one_token_request(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """500 trio tasks with no token cause one token request."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.gate.clear()
    results: list[str] = []

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:

            async def one() -> None:
                results.append((await client.get(API_URL)).json()["auth"])

            async with trio.open_nursery() as nursery:
                for _ in range(500):
                    nursery.start_soon(one)
                assert await await_until(lambda: waits[0] >= 499)
                server.gate.set()

    trio.run(main)
    assert server.token_count == 1
    assert len(results) == 500
    assert set(results) == {f"Bearer {server.issued[0]}"}


def test_trio_refresh_point_nobody_waits(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """At the refresh point all 200 trio tasks finish with the old token while the refresh
    (a trio system task) is held at the token endpoint; then the new token is used."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    results: list[str] = []
    after: list[str] = []

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            clock.advance(850)
            server.gate.clear()

            async def one() -> None:
                results.append((await client.get(API_URL)).json()["auth"])

            async with trio.open_nursery() as nursery:
                for _ in range(200):
                    nursery.start_soon(one)
            assert len(results) == 200  # every caller finished; the refresh is held back
            assert await await_until(lambda: server.token_count == 2)
            server.gate.set()
            assert await auth.await_for_refresh(10)
            after.append((await client.get(API_URL)).json()["auth"])

    trio.run(main)
    assert results.count(f"Bearer {server.issued[0]}") == 200
    assert after == [f"Bearer {server.issued[1]}"]
    assert server.token_count == 2


def test_trio_401_and_errors(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """Under trio a 401 gets one new token, and a failed fetch raises the OAuth error."""
    auth = make_auth(lib, clock)
    calls: list[str] = []

    def api(request: lib.Request) -> lib.Response:
        calls.append(request.headers["authorization"])
        return lib.Response(401 if len(calls) == 1 else 200)

    server.api = api

    async def main() -> int:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            return (await client.get(API_URL)).status_code

    assert trio.run(main) == 200
    assert calls == [f"Bearer {server.issued[0]}", f"Bearer {server.issued[1]}"]
    auth.invalidate()
    from auth_support import oauth_error

    server.script = [oauth_error(400, "invalid_scope", lib=lib)]
    with pytest.raises(TokenRequestError) as info:
        trio.run(main)
    assert info.value.error == "invalid_scope"
