"""averify_jwt: the event loop never waits for a JWKS fetch; fetches stay single-flight.

The checks themselves (attacks, claims, errors) run through both verify_jwt and averify_jwt
in test_jwt.py; this file covers what only the async path has to prove.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from jwt_support import ISSUER, JWKS_URL, Keys

from httpx_pingone_worker import JWKSCache, JWTError, averify_jwt

Sign = Callable[..., str]


def counting_cache(keys: Keys, **kwargs: Any) -> tuple[JWKSCache, list[int]]:
    """A JWKSCache over a MockTransport that counts JWKS requests (thread-safe)."""
    calls: list[int] = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            calls.append(1)
        time.sleep(0.02)  # a real fetch takes a while: others pile up behind it
        return httpx.Response(200, json=keys.jwks)

    return JWKSCache(JWKS_URL, transport=httpx.MockTransport(handler), **kwargs), calls


def test_event_loop_keeps_running_during_a_jwks_fetch(sign: Sign, keys: Keys) -> None:
    """The JWKS server answers only after the loop has ticked 5 times during the fetch."""
    ticked = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        # Were the fetch made on the event loop's thread, the ticker could not run and
        # this would give up after 5 s with a 503 (the verification then fails).
        if not ticked.wait(5):
            return httpx.Response(503)
        return httpx.Response(200, json=keys.jwks)

    cache = JWKSCache(JWKS_URL, transport=httpx.MockTransport(handler))

    async def main() -> dict[str, Any]:
        async def ticker() -> None:
            for _ in range(5):
                await anyio.sleep(0.01)
            ticked.set()

        results: list[dict[str, Any]] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            results.append(await averify_jwt(sign(), jwks=cache, issuer=ISSUER))
        return results[0]

    assert anyio.run(main)["iss"] == ISSUER
    assert cache.fetch_count == 1


def test_cached_keys_are_used_without_a_thread(
    sign: Sign, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the keys are cached, verification happens on the loop: no worker thread at all."""
    cache, calls = counting_cache(keys)
    token = sign()

    async def verify_many() -> int:
        for _ in range(50):
            await averify_jwt(token, jwks=cache, issuer=ISSUER)
        return 50

    anyio.run(verify_many)  # the first one fetches (in a thread)
    assert calls == [1]

    offloads: list[object] = []
    real = anyio.to_thread.run_sync

    async def counting_run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
        offloads.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)
    assert anyio.run(verify_many) == 50
    assert offloads == []
    assert calls == [1]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_many_tasks_cold_cache_one_fetch(sign: Sign, keys: Keys, backend: str) -> None:
    """200 tasks verifying at once against an empty cache make exactly one JWKS request."""
    cache, calls = counting_cache(keys)
    token = sign()
    results: list[str] = []

    async def one() -> None:
        claims = await averify_jwt(token, jwks=cache, issuer=ISSUER)
        results.append(claims["iss"])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(200):
                tg.start_soon(one)

    anyio.run(main, backend=backend)
    assert results == [ISSUER] * 200
    assert len(calls) == 1


def test_unknown_kid_flood_tasks_single_refetch(sign: Sign, keys: Keys) -> None:
    """100 tasks with unknown kids after the refresh interval cause exactly one refetch."""
    now = [0.0]
    cache, calls = counting_cache(keys, min_refresh_interval=60, clock=lambda: now[0])
    cache.keys()
    now[0] = 100.0
    errors: list[str | None] = []

    async def one(i: int) -> None:
        try:
            await averify_jwt(sign(kid=f"unknown-{i}"), jwks=cache)
        except JWTError as exc:
            errors.append(exc.error)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(100):
                tg.start_soon(one, i)

    anyio.run(main)
    assert errors == ["unknown_kid"] * 100
    assert len(calls) == 2  # the first fill, then one refetch for the whole flood
