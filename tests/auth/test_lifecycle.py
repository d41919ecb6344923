"""Fetches that end badly, close() during a fetch, invalidate() racing a fetch.

Bugs 4, 5, 6 and 12. Every test synchronises on a real condition (a request answered, a
thread parked in a wait, a cache read done); hard timeouts only bound a broken run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from auth_support import CLIENT_ID, ENV_ID, SECRET, wait_until

from httpx_pingone_worker import (
    MemoryTokenCache,
    PingOneWorkerAuth,
    RetryPolicy,
    Secret,
    Token,
    TokenError,
)


class Endpoint:
    """A token endpoint that counts requests and answers as scripted (default: a token)."""

    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()
        self.script: list[Callable[[], httpx.Response]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests += 1
            n = self.requests
            step = self.script.pop(0) if self.script else None
        if step is not None:
            return step()
        return httpx.Response(
            200, json={"access_token": f"tok-{n}", "token_type": "Bearer", "expires_in": 3600}
        )


def _auth(**kwargs: Any) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, **kwargs)


def _parked_in(thread: threading.Thread, function: str) -> bool:
    """True while ``thread`` is inside ``function`` (its frames, read from outside)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


def _run(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` in a thread; its result or exception lands in the returned list."""
    out: list[Any] = []

    def body() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, out


# --- 4: a leader ended by something that is not a transport error -------------------------


class HookError(Exception):
    """A non-transport error raised while a token request is sent (a broken transport)."""


@pytest.mark.parametrize("raised", [HookError, KeyboardInterrupt])
def test_leader_ended_by_a_non_transport_error_frees_its_flight_at_once(
    raised: type[BaseException],
) -> None:
    """get_token() whose client's transport raises a non-transport error: the flight is given
    up at once, even while the exception object is kept alive (it used to stay in flight until
    the exception was collected, and every caller meanwhile waited wait_timeout and failed)."""
    endpoint = Endpoint()
    fired = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = endpoint.handler(request)
        if not fired:
            fired.append(1)
            raise raised("transport")
        return response

    client = httpx.Client(transport=httpx.MockTransport(handler))
    auth = _auth(http_client=client, wait_timeout=600)
    with pytest.raises(raised) as kept:  # `kept` holds the exception and its traceback
        auth.get_token()
    assert auth._engine._flight is None
    token = auth.get_token()  # leads a new fetch at once instead of waiting 600 s
    assert token.access_token.get_secret_value() == "tok-2"
    assert endpoint.requests == 2
    assert kept.value is not None
    client.close()


def test_leader_on_a_closed_client_frees_its_flight() -> None:
    """A closed http_client (RuntimeError from httpx) ends the fetch and frees the flight."""
    endpoint = Endpoint()
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    client.close()
    auth = _auth(http_client=client, wait_timeout=600)
    with pytest.raises(RuntimeError) as kept:
        auth.get_token()
    assert auth._engine._flight is None
    assert kept.value is not None


def test_async_leader_ended_by_a_non_transport_error_frees_its_flight() -> None:
    """Async twin: the async driver closes its generator (kept so)."""
    endpoint = Endpoint()
    fired = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = endpoint.handler(request)
        if not fired:
            fired.append(1)
            raise HookError("transport")
        return response

    async def main() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        auth = _auth(async_http_client=client, wait_timeout=600)
        with pytest.raises(HookError) as kept:
            await auth.aget_token()
        assert auth._engine._flight is None
        assert (await auth.aget_token()).access_token.get_secret_value() == "tok-2"
        assert kept.value is not None
        await client.aclose()

    asyncio.run(main())


# --- 5: close() while a retry sleeps -------------------------------------------------------

SLOW_RETRY = RetryPolicy(
    max_attempts=3, backoff_base=600.0, backoff_max=600.0, jitter=0.0, total_budget=10_000.0
)


def test_close_while_a_retry_sleeps_ends_it_with_a_clear_error_and_later_use_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """close() while get_token() sleeps 600 s before a retry: the leader and its waiter end
    at once with TokenError(error="closed") (it used to retry on the closed client, then
    hang everyone for wait_timeout); the next get_token() works with a new internal client."""
    endpoint = Endpoint()
    endpoint.script.append(lambda: httpx.Response(503))
    transport = httpx.MockTransport(endpoint.handler)
    auth = _auth(retry=SLOW_RETRY, wait_timeout=600)

    # The internal client, made on first use (and again after close()), on the mock.
    class MockedClient(httpx.Client):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport=transport, **kwargs)

    lib = dataclasses.replace(auth._lib, Client=MockedClient)
    monkeypatch.setattr(auth._clients, "lib", lib)
    leader, led = _run(auth.get_token)
    assert wait_until(lambda: endpoint.requests == 1 and _parked_in(leader, "sleep"))
    follower, followed = _run(auth.get_token)
    assert wait_until(lambda: _parked_in(follower, "wait"))
    first_client = auth._clients.own
    auth.close()
    leader.join(30)
    follower.join(30)
    assert not leader.is_alive()
    assert not follower.is_alive()
    for outcome in (led[0], followed[0]):
        assert isinstance(outcome, TokenError)
        assert outcome.error == "closed"
        assert "closed" in str(outcome)
    assert endpoint.requests == 1  # nothing was sent on the closed client
    token = auth.get_token()
    assert token.access_token.get_secret_value() == "tok-2"
    assert auth._clients.own is not first_client
    auth.close()


def test_aclose_while_an_async_retry_sleeps_ends_it() -> None:
    """Async: aclose() from another task wakes the leader sleeping before its retry."""
    endpoint = Endpoint()
    endpoint.script.append(lambda: httpx.Response(503))

    async def main() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
        auth = _auth(async_http_client=client, retry=SLOW_RETRY, wait_timeout=600)
        leader = asyncio.create_task(auth.aget_token())
        while not (endpoint.requests == 1 and auth._closing._current._callbacks):
            await asyncio.sleep(0)  # until the leader sleeps on the close signal
        await auth.aclose()
        with pytest.raises(TokenError) as info:
            await asyncio.wait_for(leader, 30)
        assert info.value.error == "closed"
        assert (await auth.aget_token()).access_token.get_secret_value() == "tok-2"
        await client.aclose()

    asyncio.run(main())


# --- 6: a hung leader is superseded ---------------------------------------------------------


def test_a_flight_older_than_wait_timeout_is_superseded() -> None:
    """A leader whose token request hangs: once its flight is older than wait_timeout, the
    next caller leads a new fetch at once (it used to wait wait_timeout and fail, forever)."""
    endpoint = Endpoint()
    release = threading.Event()

    def hang() -> httpx.Response:
        release.wait(60)
        return httpx.Response(
            200, json={"access_token": "late", "token_type": "Bearer", "expires_in": 3600}
        )

    endpoint.script.append(hang)
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    auth = _auth(http_client=client, wait_timeout=5)
    hung, _ = _run(auth.get_token)
    assert wait_until(lambda: endpoint.requests == 1)
    flight = auth._engine._flight
    assert flight is not None
    flight.started -= 6  # as if it had hung for 6 s (> wait_timeout)
    token = auth.get_token()
    assert token.access_token.get_secret_value() == "tok-2"
    assert endpoint.requests == 2
    release.set()
    hung.join(30)
    assert auth.get_token().access_token.get_secret_value() in {"tok-2", "late"}
    client.close()


def test_a_young_flight_is_still_waited_for() -> None:
    """Control: a flight younger than wait_timeout is waited for (single-flight holds)."""
    endpoint = Endpoint()
    release = threading.Event()

    def slow() -> httpx.Response:
        release.wait(60)
        return httpx.Response(
            200, json={"access_token": "only", "token_type": "Bearer", "expires_in": 3600}
        )

    endpoint.script.append(slow)
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    auth = _auth(http_client=client, wait_timeout=600)
    leader, _led = _run(auth.get_token)
    assert wait_until(lambda: endpoint.requests == 1)
    follower, followed = _run(auth.get_token)
    assert wait_until(lambda: _parked_in(follower, "wait"))
    release.set()
    leader.join(30)
    follower.join(30)
    assert endpoint.requests == 1
    assert followed[0].access_token.get_secret_value() == "only"
    client.close()


def test_async_hung_flight_is_superseded() -> None:
    """asyncio twin of the hung-leader test."""
    endpoint = Endpoint()
    release = threading.Event()

    def hang() -> httpx.Response:
        release.wait(60)
        return httpx.Response(503)

    endpoint.script.append(hang)

    async def main() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
        auth = _auth(async_http_client=client, wait_timeout=5, retry=RetryPolicy(max_attempts=1))
        hung = asyncio.ensure_future(asyncio.to_thread(lambda: asyncio.run(auth.aget_token())))
        while endpoint.requests < 1:
            await asyncio.sleep(0.001)
        flight = auth._engine._flight
        assert flight is not None
        flight.started -= 6
        assert (await auth.aget_token()).access_token.get_secret_value() == "tok-2"
        release.set()
        with pytest.raises(TokenError):  # the hung leader's own 503, when it finally came
            await hung
        await client.aclose()

    asyncio.run(main())


# --- 12: invalidate() racing a fetch that already read the shared cache -------------------


class SlowCache(MemoryTokenCache):
    """A shared cache whose next ``get`` pauses after reading, until released."""

    def __init__(self) -> None:
        super().__init__()
        self.read_done = threading.Event()
        self.go_on = threading.Event()
        self.pause_next = False

    def get(self, key: str) -> Token | None:
        value = super().get(key)
        if self.pause_next:
            self.pause_next = False
            self.read_done.set()
            self.go_on.wait(30)
        return value


def _stored(access: str) -> Token:
    import time

    return Token(
        access_token=Secret(access), token_type="Bearer", expires_in=3600, obtained_at=time.time()
    )


def test_invalidate_racing_a_fetch_that_read_the_cache_is_not_undone() -> None:
    """A fetch reads T1 from the shared cache, then invalidate() deletes T1: that fetch's
    caller may get T1 (their calls overlapped), but the next call must not (it used to return
    the very token invalidate() deleted)."""
    endpoint = Endpoint()
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    cache = SlowCache()
    auth = _auth(http_client=client, cache=cache)
    cache.set(auth.cache_key, _stored("T1-shared"))
    cache.pause_next = True
    racing, _ = _run(auth.get_token)
    assert cache.read_done.wait(30)  # the fetch has read T1
    auth.invalidate()  # deletes T1 everywhere
    cache.go_on.set()
    racing.join(30)
    token = auth.get_token()
    assert token.access_token.get_secret_value() != "T1-shared"
    assert endpoint.requests == 1
    client.close()


def test_async_invalidate_racing_a_fetch() -> None:
    """ainvalidate() twin."""
    endpoint = Endpoint()

    async def main() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
        cache = SlowCache()
        auth = _auth(async_http_client=client, cache=cache)
        cache.set(auth.cache_key, _stored("T1-shared"))
        cache.pause_next = True
        racing = asyncio.ensure_future(asyncio.to_thread(lambda: asyncio.run(auth.aget_token())))
        assert await asyncio.to_thread(cache.read_done.wait, 30)
        await auth.ainvalidate()
        cache.go_on.set()
        await racing
        token = await auth.aget_token()
        assert token.access_token.get_secret_value() != "T1-shared"
        assert endpoint.requests == 1
        await client.aclose()

    asyncio.run(main())
