"""Refresh-ahead in the background: no caller fails or waits because of a refresh while a
valid token exists, and the background work never outlives close()/aclose()."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest
import trio
import trio.testing
from auth_support import (
    API_URL,
    CLIENT_ID,
    ENV_ID,
    SECRET,
    TOKEN_URL,
    FakeClock,
    Lib,
    TokenServer,
    await_until,
    wait_until,
)

from httpx_pingone_worker import RetryPolicy
from httpx_pingone_worker._engine._background import MAX_REFRESH_THREADS

REFRESH_THREAD = "pingone-token-refresh"


def make_auth(lib: Lib, clock: FakeClock, **kw: Any) -> Any:
    """``lib``'s PingOneWorkerAuth on the fake clock."""
    kw.setdefault("retry", RetryPolicy(max_attempts=4, total_budget=60.0))
    return lib.WorkerAuth(
        CLIENT_ID, SECRET, ENV_ID, clock=clock, sleep=clock.sleep, async_sleep=clock.asleep, **kw
    )


def refresh_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == REFRESH_THREAD]


def transport_errors(lib: Lib) -> list[Any]:
    req = lib.Request("POST", TOKEN_URL)
    return [lib.ConnectError("refused", request=req), lib.ReadTimeout("slow", request=req)]


@pytest.mark.parametrize("kind", [0, 1], ids=["connect-error", "read-timeout"])
def test_sync_transport_error_during_refresh_never_reaches_the_caller(
    lib: Lib, server: TokenServer, clock: FakeClock, kind: int
) -> None:
    """The refresh's transport error stays in the background: the caller gets its answer
    with the valid token; after the backoff the next refresh succeeds."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        old = f"Bearer {server.issued[0]}"
        clock.advance(850)
        server.script = [transport_errors(lib)[kind]]
        assert client.get(API_URL).json()["auth"] == old
        assert auth.wait_for_refresh(10)
        assert server.token_count == 2
        assert auth.current_token.access_token.get_secret_value() == server.issued[0]
        clock.advance(61)  # past the backoff, before expiry
        assert client.get(API_URL).json()["auth"] == old
        assert auth.wait_for_refresh(10)
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[1]}"
    assert server.token_count == 3


@pytest.mark.parametrize("kind", [0, 1], ids=["connect-error", "read-timeout"])
def test_async_transport_error_during_refresh_never_reaches_the_caller(
    lib: Lib, server: TokenServer, clock: FakeClock, kind: int
) -> None:
    """Async twin (asyncio): the refresh task's transport error reaches nobody."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)

    async def main() -> list[str]:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            seen = [(await client.get(API_URL)).json()["auth"]]
            clock.advance(850)
            server.script = [transport_errors(lib)[kind]]
            seen.append((await client.get(API_URL)).json()["auth"])
            assert await auth.await_for_refresh(10)
            clock.advance(61)
            seen.append((await client.get(API_URL)).json()["auth"])
            assert await auth.await_for_refresh(10)
            seen.append((await client.get(API_URL)).json()["auth"])
            return seen

    seen = asyncio.run(main())
    assert seen == [f"Bearer {server.issued[0]}"] * 3 + [f"Bearer {server.issued[1]}"]
    assert server.token_count == 3


def test_trio_transport_error_during_refresh_never_reaches_the_caller(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Trio twin: the refresh runs as a system task; its connect error reaches nobody."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    seen: list[str] = []

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            seen.append((await client.get(API_URL)).json()["auth"])
            clock.advance(850)
            server.script = [transport_errors(lib)[0]]
            seen.append((await client.get(API_URL)).json()["auth"])
            assert await auth.await_for_refresh(10)
            clock.advance(61)
            seen.append((await client.get(API_URL)).json()["auth"])
            assert await auth.await_for_refresh(10)
            seen.append((await client.get(API_URL)).json()["auth"])

    trio.run(main)
    assert seen == [f"Bearer {server.issued[0]}"] * 3 + [f"Bearer {server.issued[1]}"]
    assert server.token_count == 3


def test_refresh_goes_through_http_client_when_given(lib: Lib, clock: FakeClock) -> None:
    """An explicit ``http_client`` carries the refresh; without it, the caller's client does."""
    side, caller_side = TokenServer(lib=lib, lifetime=1000), TokenServer(lib=lib, lifetime=1000)
    with lib.Client(transport=side.transport()) as http:
        auth = make_auth(lib, clock, http_client=http)
        with lib.Client(auth=auth, transport=caller_side.transport()) as client:
            client.get(API_URL)
            clock.advance(850)
            client.get(API_URL)
            assert auth.wait_for_refresh(10)
    assert side.token_count == 2  # the blocking fetch and the refresh
    assert caller_side.token_count == 0
    assert len(caller_side.api_requests) == 2

    plain = make_auth(lib, clock)
    with lib.Client(auth=plain, transport=caller_side.transport()) as client:
        client.get(API_URL)
        clock.advance(850)
        client.get(API_URL)
        assert plain.wait_for_refresh(10)
    assert caller_side.token_count == 2


def test_close_joins_the_refresh_thread(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """close() returns only after the running refresh ended: no refresh job is left, and at
    most the one (idle, reusable) pool thread that ran it remains."""
    server.lifetime = 1000
    baseline = threading.active_count()
    auth = make_auth(lib, clock)
    closing = threading.Event()

    def release_once_closing() -> None:
        closing.wait(10)
        server.gate.set()

    helper = threading.Thread(target=release_once_closing)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        clock.advance(850)
        server.gate.clear()
        client.get(API_URL)
        assert wait_until(lambda: server.token_count == 2)  # the refresh is in flight
        assert len(refresh_threads()) == 1
        helper.start()
        closing.set()
        auth.close()
        assert not auth._jobs  # the job ended before close() returned
        # The refresh ran on the process-wide pool: its thread may stay, idle, for reuse.
        assert len(refresh_threads()) <= MAX_REFRESH_THREADS
    helper.join(10)
    assert threading.active_count() <= baseline + 1
    assert auth.current_token.access_token.get_secret_value() == server.issued[1]


def test_aclose_cancels_the_refresh_task(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """aclose() cancels a refresh task held at the token endpoint: the task count is back to
    its baseline, the flight is released and the valid token stays in use."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    threads_before = len(refresh_threads())  # idle pool threads other tests left

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            baseline = len(asyncio.all_tasks())
            clock.advance(850)
            server.gate.clear()
            await client.get(API_URL)
            assert await await_until(lambda: server.token_count == 2)
            assert len(asyncio.all_tasks()) == baseline + 1
            await auth.aclose()
            assert len(asyncio.all_tasks()) == baseline
            assert auth._engine._flight is None
            assert not auth._jobs
            server.gate.set()
            assert (await client.get(API_URL)).json()["auth"] == f"Bearer {server.issued[0]}"
            await auth.aclose()  # the refresh the last request started

    asyncio.run(main())
    assert len(refresh_threads()) <= threads_before  # the asyncio path started no thread


def test_trio_aclose_cancels_the_refresh_task(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Trio: aclose() cancels the refresh system task; living tasks back to baseline."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            baseline = trio.lowlevel.current_statistics().tasks_living
            clock.advance(850)
            server.gate.clear()
            await client.get(API_URL)
            assert await await_until(lambda: server.token_count == 2)
            assert trio.lowlevel.current_statistics().tasks_living == baseline + 1
            await auth.aclose()
            await trio.testing.wait_all_tasks_blocked()
            assert trio.lowlevel.current_statistics().tasks_living == baseline
            assert auth._engine._flight is None
            assert not auth._jobs
        server.gate.set()

    trio.run(main)


def test_a_refresh_task_left_running_is_cancelled_when_the_loop_ends(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """No aclose(): asyncio.run() cancels the refresh task; the flight is released."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=server.atransport()) as client:
            await client.get(API_URL)
            clock.advance(850)
            server.gate.clear()
            await client.get(API_URL)
            assert await await_until(lambda: server.token_count == 2)

    asyncio.run(main())
    server.gate.set()
    assert auth._engine._flight is None
    assert not auth._jobs


def test_a_hanging_refresh_does_not_delay_process_exit(tmp_path: Any) -> None:
    """The refresh thread is a daemon: a process whose token endpoint hangs exits at once."""
    script = tmp_path / "hang.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import threading, httpx
            from httpx_pingone_worker import PingOneWorkerAuth
            now = [1_700_000_000.0]
            issued = []
            def handler(request):
                if request.url.path.endswith("/as/token"):
                    if issued:
                        threading.Event().wait()  # the refresh hangs forever
                    issued.append(1)
                    return httpx.Response(
                        200, json={{"access_token": "tok-abcdefghijkl", "token_type": "Bearer",
                                   "expires_in": 1000}})
                return httpx.Response(200)
            auth = PingOneWorkerAuth({CLIENT_ID!r}, {SECRET!r}, {ENV_ID!r}, clock=lambda: now[0])
            client = httpx.Client(auth=auth, transport=httpx.MockTransport(handler))
            client.get({API_URL!r})
            now[0] += 850
            client.get({API_URL!r})
            while not [t for t in threading.enumerate() if t.name == {REFRESH_THREAD!r}]:
                pass
            print("refresh running; exiting", flush=True)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "refresh running; exiting" in done.stdout
