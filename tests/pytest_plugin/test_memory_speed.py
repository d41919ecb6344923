"""Emulator mode runs at memory speed: every wait the library makes passes on the emulator's clock.

The inner tests replace ``time.sleep`` and ``anyio.sleep`` with recorders that return at once
(so a regression fails fast instead of sleeping), and check that the waits happened on the
emulator's clock: without the plugin's wiring, the client's rate limiter and retries would wait
on the wall clock and the emulator's clock would not move.
"""

from __future__ import annotations

import pytest

CONFTEST = """
import time

import anyio
import pytest

REAL_SLEEPS = []


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    async def async_record(seconds, *args, **kwargs):
        REAL_SLEEPS.append(seconds)

    monkeypatch.setattr(time, "sleep", REAL_SLEEPS.append)
    monkeypatch.setattr(anyio, "sleep", async_record)
    yield
    assert REAL_SLEEPS == [], f"real sleeps: {REAL_SLEEPS}"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
"""

TESTS = """
import pytest


def test_client_rate_limiter_waits_on_the_emulator_clock(pingone_client, pingone_emulator):
    # 60 calls at 200/min with bursts of 10: ~15 s of waiting for a wall-clock limiter.
    for _ in range(60):
        pingone_client.get_environment()
    assert pingone_emulator.clock.offset > 5
    assert pingone_client.rate_limiter.rate == 200  # the default limiter, not a disabled one


@pytest.mark.pingone(rate_limit=20)
def test_tenant_429_retry_after_is_waited_out_on_the_emulator_clock(
    pingone_client, pingone_emulator
):
    for _ in range(30):
        pingone_client.get_environment()
    limited = [r for r in pingone_emulator.requests if r.status == 429]
    assert limited, "the tenant's rate limit was never hit"
    assert pingone_emulator.clock.offset >= 20  # waited for the per-minute window


def test_token_request_retry_after_waits_on_the_emulator_clock(pingone_client, pingone_emulator):
    pingone_emulator.inject_fault("token", "rate_limit", retry_after=7)
    pingone_client.get_environment()
    assert pingone_emulator.clock.offset >= 7
    assert [r.status for r in pingone_emulator.requests if r.endpoint == "token"] == [429, 200]


@pytest.mark.pingone(rate_limit=20)
def test_clients_built_by_the_code_under_test_wait_on_the_emulator_clock(pingone_emulator):
    from httpx_pingone_worker import PingOneClient

    def tool():  # code under test: builds its own client from PINGONE_*
        with PingOneClient.from_env(stored=None) as client:
            return [client.get_environment().id for _ in range(30)]

    assert len(tool()) == 30
    assert any(r.status == 429 for r in pingone_emulator.requests)
    assert pingone_emulator.clock.offset >= 20


def test_an_auth_built_by_the_code_under_test_retries_on_the_emulator_clock(pingone_emulator):
    from httpx_pingone_worker import PingOneClient

    pingone_emulator.inject_fault("token", "rate_limit", retry_after=7)
    with PingOneClient.from_env(stored=None) as client:  # builds its own PingOneWorkerAuth
        client.get_environment()
    assert [r.status for r in pingone_emulator.requests if r.endpoint == "token"] == [429, 200]
    assert pingone_emulator.clock.offset >= 7  # the token retry waited on the emulator's clock


def test_clients_built_outside_an_emulator_test_keep_the_wall_clock():
    import time

    from httpx_pingone_worker import PingOneClient

    with PingOneClient(token="static-token-abcdefgh", environment_id="e") as client:
        assert client.rate_limiter._clock is time.monotonic
        assert client._sleep is time.sleep


@pytest.mark.anyio
@pytest.mark.pingone(rate_limit=20)
async def test_async_limiter_and_retry_after_on_the_emulator_clock(
    pingone_async_client, pingone_emulator
):
    async with pingone_async_client() as client:
        for _ in range(30):
            await client.get_environment()
    assert any(r.status == 429 for r in pingone_emulator.requests)
    assert pingone_emulator.clock.offset >= 20
"""


def test_no_emulator_backed_wait_sleeps_in_real_time(ptr: pytest.Pytester) -> None:
    """Limiter, backoff and Retry-After (API and token endpoint, sync and async, clients and
    auths the code under test builds itself) never sleep."""
    ptr.makeconftest(CONFTEST)
    ptr.makepyfile(test_speed=TESTS)
    ptr.runpytest().assert_outcomes(passed=8)
