"""The Management API client and introspection fail without showing a credential.

The worker token and the client secret are canaries; the fake servers echo what they got
(the ``Authorization`` header, the introspection form) in their error bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from leak_support import exposure, failure

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    AsyncPingOneClient,
    ClientCredentials,
    PingOneClient,
    PingOneWorkerAuth,
    RetryPolicy,
    Secret,
    aintrospect_token,
    introspect_token,
)

INTROSPECT = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"


def _echo(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        echo = request.content + b" " + request.headers.get("authorization", "").encode()
        return httpx.Response(status, content=b'{"message": "' + echo + b'"}')

    return answer


def _raise(kind: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise kind("down", request=request)

    return answer


SERVERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "401 echo": _echo(401),
    "403 echo": _echo(403),
    "400 echo": _echo(400),
    "500 echo": _echo(500),
    "200 not JSON": lambda request: httpx.Response(200, content=b"<html>" + request.content),
    "connect": _raise(httpx.ConnectError),
    "timeout": _raise(httpx.ReadTimeout),
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_management_client_with_static_token(server: str, caplog: pytest.LogCaptureFixture) -> None:
    """`PingOneClient(token=...)` against a failing API: no token in the error or logs."""
    caplog.set_level("DEBUG")

    def call() -> None:
        with PingOneClient(
            token=Secret(CANARY_TOKEN),
            environment_id=CANARY_ENV_ID,
            transport=httpx.MockTransport(SERVERS[server]),
            retry=False,
            rate_limiter=False,
        ) as client:
            client.get_environment()

    async def acall() -> None:
        async with AsyncPingOneClient(
            token=Secret(CANARY_TOKEN),
            environment_id=CANARY_ENV_ID,
            transport=httpx.MockTransport(SERVERS[server]),
            retry=False,
            rate_limiter=False,
        ) as client:
            await client.get_environment()

    assert_no_canary(exposure(failure(call)))
    assert_no_canary(exposure(failure(lambda: asyncio.run(acall()))))
    assert_no_canary(caplog.text)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_management_client_with_worker_auth(server: str, caplog: pytest.LogCaptureFixture) -> None:
    """`PingOneClient(auth=PingOneWorkerAuth(...))`: the API fails after a token was fetched."""
    caplog.set_level("DEBUG")

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/as/token"):
            return httpx.Response(
                200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 60}
            )
        return SERVERS[server](request)

    def call() -> None:
        auth = PingOneWorkerAuth(
            CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, retry=RetryPolicy(max_attempts=1)
        )
        with PingOneClient(
            auth=auth,
            environment_id=CANARY_ENV_ID,
            transport=httpx.MockTransport(route),
            retry=False,
            rate_limiter=False,
        ) as client:
            client.get_environment()

    # An error about the caller's own API request may carry that request (httpx does so for
    # every auth); the library's own errors and chains must not.
    exc = failure(call)
    assert_no_canary(exposure(exc, own_request_ok=True))
    assert_no_canary(caplog.text)


INTROSPECTION_CASES: dict[str, dict[str, Any]] = {
    "http URL": {"url": "http://example.com/as/introspect"},
    "URL with user info": {"url": "https://svc:pw@auth.example.com/as/introspect"},
    **{name: {"server": name} for name in SERVERS},
}


@pytest.mark.parametrize("case", sorted(INTROSPECTION_CASES))
@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
def test_introspection_failure_shows_no_credential(
    case: str, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`introspect_token` (sync and async) with a raw token: no token or secret shows."""
    caplog.set_level("DEBUG")
    options = INTROSPECTION_CASES[case]
    handler = SERVERS[options.get("server", "500 echo")]
    url = options.get("url", INTROSPECT)
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method)

    def call() -> None:
        with httpx.Client(transport=httpx.MockTransport(handler)) as client:
            introspect_token(url, CANARY_TOKEN, creds, client=client)

    async def acall() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await aintrospect_token(url, CANARY_TOKEN, creds, client=client)

    assert_no_canary(exposure(failure(call)))
    assert_no_canary(exposure(failure(lambda: asyncio.run(acall()))))
    assert_no_canary(caplog.text)


def test_introspection_debug_line_shows_the_url_without_its_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The DEBUG line naming the introspection URL drops a query (it may carry a key)."""
    caplog.set_level("DEBUG")
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    url = f"{INTROSPECT}?x=query-value-nobody-registered"

    def call() -> None:
        with httpx.Client(transport=httpx.MockTransport(SERVERS["500 echo"])) as client:
            introspect_token(url, CANARY_TOKEN, creds, client=client)

    failure(call)
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("httpx_pingone_worker")
    )
    assert "(introspection)" in ours
    assert "query-value" not in ours  # (httpx's own INFO line and your frames are yours)
