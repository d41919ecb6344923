"""No object holding the access token, the Authorization header or a request body shows it.

The token travels through internal state (the engine's entry, the plan a request follows);
a 401 followed by a failed re-fetch unwinds through all of it, and ``pytest -l -vv`` prints
every frame's locals.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from leak_support import assert_failure_hides_canary

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    EncryptedFileTokenCache,
    MemoryTokenCache,
    PingOneClient,
    PingOneWorkerAuth,
    RetryPolicy,
    Secret,
    Token,
    resolve_settings,
)

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


def test_public_objects_holding_canaries_repr_masked(tmp_path: Path) -> None:
    """Every public object that holds the secret or the token: `repr`, `str`, `format`."""
    token = Token(
        access_token=Secret(CANARY_TOKEN), token_type="Bearer", expires_in=3600, obtained_at=1.0
    )
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    cache = MemoryTokenCache()
    cache.set(auth.cache_key, token)
    objects: list[object] = [
        Secret(CANARY_SECRET),
        token,
        creds,
        auth,
        auth.credentials,
        cache,
        resolve_settings(
            env={
                "PINGONE_CLIENT_ID": CANARY_CLIENT_ID,
                "PINGONE_CLIENT_SECRET": CANARY_SECRET,
                "PINGONE_ENVIRONMENT_ID": CANARY_ENV_ID,
            }
        ),
        PingOneClient(token=CANARY_TOKEN, environment_id=CANARY_ENV_ID),
        PingOneClient(auth=auth, environment_id=CANARY_ENV_ID),
        EncryptedFileTokenCache(tmp_path / "cache"),
    ]
    for obj in objects:
        assert_no_canary(f"{obj!r} {obj!s} {obj}")


def test_emulator_response_repr_hides_the_issued_token() -> None:
    """The emulator's answer to a token request shows its body (the token) in no repr."""
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator()
    creds = emu.credentials
    assert creds.client_secret is not None
    basic = base64.b64encode(
        f"{creds.client_id}:{creds.client_secret.get_secret_value()}".encode()
    ).decode()
    answer = emu.respond(
        "POST",
        emu.token_endpoint,
        {
            "content-type": "application/x-www-form-urlencoded",
            "authorization": f"Basic {basic}",
        },
        "grant_type=client_credentials",
    )
    token = answer.json()["access_token"]
    assert_no_canary(repr(answer), [token, token[-24:]])


@pytest.mark.parametrize("fault", ["401 then refused", "connect"])
def test_httpx2_flow_failure_hides_secret_and_token(fault: str) -> None:
    """The httpx2 twin of the auth: a 401 + failed re-fetch, and an unreachable endpoint."""
    httpx2 = pytest.importorskip("httpx2")
    from httpx_pingone_worker.httpx2 import PingOneWorkerAuth as Httpx2Auth

    server = _Server()

    def handler(request: Any) -> Any:
        if fault == "connect" and request.url.path.endswith("/as/token"):
            raise httpx2.ConnectError("refused", request=request)
        answer = server(request)
        return httpx2.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def run() -> None:
        auth = Httpx2Auth(
            CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, retry=RetryPolicy(max_attempts=1)
        )
        with httpx2.Client(auth=auth, transport=httpx2.MockTransport(handler)) as client:
            client.get(API)
            client.get(API)

    assert_failure_hides_canary(run)
