"""No object holding the access token, the Authorization header or a request body shows it.

The token travels through internal state (the engine's entry, the plan a request follows);
a 401 followed by a failed re-fetch unwinds through all of it, and ``pytest -l -vv`` prints
every frame's locals.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from leak_support import assert_failure_hides_canary

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN
from httpx_pingone_worker import PingOneWorkerAuth, RetryPolicy

API = f"https://api.pingone.com/v1/environments/{CANARY_ENV_ID}"


class _Server:
    """Token endpoint: the canary token, then 400s. The API: 200 once, then 401."""

    def __init__(self) -> None:
        self.tokens = 0
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/as/token"):
            self.tokens += 1
            if self.tokens == 1:
                return httpx.Response(
                    200,
                    json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 3600},
                )
            return httpx.Response(400, json={"error": "invalid_client"})
        self.calls += 1
        return httpx.Response(200 if self.calls == 1 else 401, text="token rejected")


@pytest.fixture
def auth() -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, retry=RetryPolicy(max_attempts=1)
    )


def test_401_then_failed_refetch_hides_the_token_sync(auth: PingOneWorkerAuth) -> None:
    """The frames of a 401 and a failed re-fetch (the engine's entry, the plan, the obtained
    header) hold the token only masked."""

    def run() -> None:
        with httpx.Client(auth=auth, transport=httpx.MockTransport(_Server())) as client:
            client.get(API)  # fetches the token
            client.get(API)  # the hot path (the token in memory), 401, re-fetch fails

    assert_failure_hides_canary(run)


def test_401_then_failed_refetch_hides_the_token_async(auth: PingOneWorkerAuth) -> None:
    """The async twin."""

    async def call() -> None:
        transport = httpx.MockTransport(_Server())
        async with httpx.AsyncClient(auth=auth, transport=transport) as client:
            await client.get(API)
            await client.get(API)

    assert_failure_hides_canary(lambda: asyncio.run(call()))
