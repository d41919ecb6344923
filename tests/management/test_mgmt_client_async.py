"""AsyncPingOneClient against respx routes (asyncio and trio via anyio)."""

from __future__ import annotations

import random

import httpx
import pytest
import respx
from mgmt_support import API, ENV, STATIC_TOKEN, FakeSleep, collection, error_body

from httpx_pingone_worker import AsyncPingOneClient, ManagementApiError, RateLimiter

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each async test on asyncio and on trio."""
    return str(request.param)


def make(fake_sleep: FakeSleep, **kw: object) -> AsyncPingOneClient:
    """An async static-token client with recorded sleeps and no limiter."""
    kw.setdefault("rate_limiter", False)
    return AsyncPingOneClient(
        token=STATIC_TOKEN,
        environment_id=ENV,
        sleep=fake_sleep.asleep,
        clock=fake_sleep.clock,
        rng=random.Random(3),
        **kw,  # type: ignore[arg-type]
    )


async def test_async_paginate(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """Async paginate follows next links across pages lazily."""
    base = f"{API}/environments/{ENV}/users"
    pages = {
        None: collection("users", [{"id": "1"}], f"{base}?cursor=b"),
        "b": collection("users", [{"id": "2"}, {"id": "3"}], f"{base}?cursor=c"),
        "c": collection("users", []),
    }
    route = api.get(f"/environments/{ENV}/users").mock(
        side_effect=lambda req: httpx.Response(200, json=pages[req.url.params.get("cursor")])
    )
    async with make(fake_sleep) as c:
        ids = [u["id"] async for u in c.paginate("/environments/{env}/users", {"limit": 1})]
    assert ids == ["1", "2", "3"]
    assert route.call_count == 3


async def test_async_repeated_cursor_stops(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """Async paging stops when the server repeats its next link."""
    route = api.get(f"/environments/{ENV}/groups").respond(
        200, json=collection("groups", [{"id": "g"}], f"{API}/environments/{ENV}/groups?cursor=z")
    )
    async with make(fake_sleep) as c:
        items = [g async for g in c.paginate("/environments/{env}/groups")]
    assert len(items) == 2
    assert route.call_count == 2


async def test_async_429_retry_after(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """Async 429 + Retry-After waits (fake) and retries."""
    route = api.get(f"/environments/{ENV}").mock(
        side_effect=[
            httpx.Response(
                429, json=error_body("REQUEST_LIMITED", "x"), headers={"Retry-After": "2"}
            ),
            httpx.Response(200, json={"id": ENV, "name": "E"}),
        ]
    )
    async with make(fake_sleep) as c:
        env = await c.get_environment()
    assert env.name == "E"
    assert route.call_count == 2
    assert fake_sleep.calls == [2.0]


async def test_async_403_hint(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """Async 403 on users names the Identity Data roles."""
    api.get(f"/environments/{ENV}/users").respond(
        403, json=error_body("ACCESS_FAILED", "x", [{"code": "INSUFFICIENT_PERMISSIONS"}])
    )
    async with make(fake_sleep) as c:
        with pytest.raises(ManagementApiError) as info:
            await c.get("/environments/{env}/users")
    assert info.value.code == "ACCESS_FAILED"
    assert "Identity Data Read Only" in (info.value.hint or "")


async def test_async_post_not_retried(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """Async POST is not retried on 503 unless marked safe."""
    route = api.post(f"/environments/{ENV}/groups").respond(503)
    async with make(fake_sleep) as c:
        with pytest.raises(ManagementApiError):
            await c.post("/environments/{env}/groups", json={"name": "g"})
    assert route.call_count == 1


async def test_async_limiter_uses_async_sleep(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """The shared limiter's waits go through the async sleep, not time.sleep."""
    now = [0.0]

    async def asleep(seconds: float) -> None:
        fake_sleep.calls.append(seconds)
        now[0] += seconds

    def forbidden_sleep(seconds: float) -> None:
        raise AssertionError("sync sleep used in async code")

    limiter = RateLimiter(
        60, 60, burst=1, clock=lambda: now[0], sleep=forbidden_sleep, async_sleep=asleep
    )
    api.get(f"/environments/{ENV}").respond(200, json={"id": ENV})
    async with make(fake_sleep, rate_limiter=limiter) as c:
        for _ in range(3):
            await c.get_environment()
    assert fake_sleep.calls == [1.0, 1.0]


async def test_shared_limiter_spaces_concurrent_tasks() -> None:
    """40 concurrent tasks on one limiter (frozen clock) get every wait slot exactly once."""
    import anyio

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)
        await anyio.sleep(0)  # yield so the tasks interleave

    limiter = RateLimiter(4, 1, burst=4, clock=lambda: 0.0, async_sleep=record)
    async with anyio.create_task_group() as tg:
        for _ in range(40):
            tg.start_soon(limiter.aacquire)
    assert sorted(round(w, 6) for w in waits) == [round(k / 4, 6) for k in range(1, 37)]
