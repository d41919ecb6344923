"""Token requests skip the event hooks of the client they go through, not its transport.

A body-logging ``event_hooks={"request": [...], "response": [...]}`` on the caller's client
must never see ``client_secret=...``, the Basic header, an assertion or the token response.
The client's transport (``MockTransport`` here, respx, the emulator's) still sees the token
request, and the hooks still see the API requests they were installed for.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx
from auth_support import API_URL, Lib

from canary import (
    CANARY_CLIENT_ID,
    CANARY_ENV_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
)
from httpx_pingone_worker import (
    ClientCredentials,
    PingOneWorkerAuth,
    introspect_token,
    request_client_credentials_token,
)

TOKEN_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token"
INTROSPECT_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"
METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]


class Recorder:
    """A body-logging hook pair, and a transport that sees every request."""

    def __init__(self, lib: Lib) -> None:
        self.lib = lib
        self.logged: list[str] = []
        self.transport_saw: list[str] = []

    def on_request(self, request: Any) -> None:
        request.read()
        self.logged.append(f"{request.method} {request.url} {request.headers} {request.content!r}")

    def on_response(self, response: Any) -> None:
        response.read()
        self.logged.append(f"{response.status_code} {response.headers} {response.content!r}")

    async def aon_request(self, request: Any) -> None:
        self.on_request(request)

    async def aon_response(self, response: Any) -> None:
        await response.aread()
        self.on_response(response)

    def handler(self, request: Any) -> Any:
        self.transport_saw.append(request.url.path)
        if request.url.path.endswith("/as/token"):
            return self.lib.Response(
                200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 60}
            )
        if request.url.path.endswith("/as/introspect"):
            return self.lib.Response(200, json={"active": True})
        return self.lib.Response(200, json={"ok": True})

    def hooks(self, is_async: bool = False) -> dict[str, list[Any]]:
        if is_async:
            return {"request": [self.aon_request], "response": [self.aon_response]}
        return {"request": [self.on_request], "response": [self.on_response]}

    def check(self, api_calls: int) -> None:
        text = "\n".join(self.logged)
        assert "/as/token" not in text
        assert_no_canary(text.replace(f"Bearer {CANARY_TOKEN}", "Bearer <api call>"))
        assert "client_secret" not in text
        assert self.transport_saw.count(TOKEN_URL.split("pingone.com")[1]) == 1
        # The hooks still see the API calls (request + response each).
        assert len(self.logged) == 2 * api_calls


@pytest.mark.parametrize("method", METHODS)
def test_auth_flow_token_request_skips_the_callers_event_hooks(lib: Lib, method: str) -> None:
    """The client whose request needs the token: its hooks see only its own API request."""
    rec = Recorder(lib)
    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method)
    with lib.Client(
        auth=auth, transport=lib.MockTransport(rec.handler), event_hooks=rec.hooks()
    ) as client:
        assert client.get(API_URL).status_code == 200
    rec.check(api_calls=1)


def test_http_client_token_request_skips_its_event_hooks(lib: Lib) -> None:
    """get_token() through http_client=: that client's hooks never fire."""
    rec = Recorder(lib)
    client = lib.Client(transport=lib.MockTransport(rec.handler), event_hooks=rec.hooks())
    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, http_client=client)
    auth.get_token()
    rec.check(api_calls=0)
    client.close()


@pytest.mark.parametrize("method", METHODS)
def test_async_token_request_skips_the_callers_event_hooks(lib: Lib, method: str) -> None:
    """Async twin: AsyncClient(auth=..., event_hooks=async hooks)."""
    rec = Recorder(lib)
    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method)

    async def main() -> None:
        async with lib.AsyncClient(
            auth=auth, transport=lib.MockTransport(rec.handler), event_hooks=rec.hooks(True)
        ) as client:
            assert (await client.get(API_URL)).status_code == 200

    asyncio.run(main())
    rec.check(api_calls=1)


def test_standalone_and_introspection_skip_the_clients_event_hooks() -> None:
    """request_client_credentials_token and introspect_token with client=."""
    rec = Recorder(Lib("httpx", httpx, PingOneWorkerAuth))
    with httpx.Client(transport=httpx.MockTransport(rec.handler), event_hooks=rec.hooks()) as c:
        request_client_credentials_token(TOKEN_URL, CANARY_CLIENT_ID, CANARY_SECRET, client=c)
        creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
        assert introspect_token(INTROSPECT_URL, CANARY_TOKEN, creds, client=c).active
    assert rec.logged == []
    assert rec.transport_saw == [
        TOKEN_URL.split("pingone.com")[1],
        INTROSPECT_URL.split("pingone.com")[1],
    ]


def test_respx_still_sees_token_requests() -> None:
    """respx (which mocks below the client) still answers and records the token request."""
    hooks_saw: list[str] = []
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN_URL).respond(
            200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 60}
        )
        mock.get(API_URL).respond(200)
        auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
        with httpx.Client(
            auth=auth, event_hooks={"request": [lambda r: hooks_saw.append(str(r.url))]}
        ) as client:
            client.get(API_URL)
    assert token.call_count == 1
    assert hooks_saw == [API_URL]


def test_the_clients_timeout_still_applies_to_token_requests(lib: Lib) -> None:
    """The client's timeout is set on the token request, as its own send() would."""
    seen: list[Any] = []

    def handler(request: Any) -> Any:
        seen.append(request.extensions.get("timeout"))
        return lib.Response(
            200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 60}
        )

    client = lib.Client(transport=lib.MockTransport(handler), timeout=3.5)
    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, http_client=client)
    auth.get_token()
    assert seen == [{"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}]
    client.close()


def test_the_clients_mounts_still_route_token_requests(lib: Lib) -> None:
    """mounts= (how proxies are configured) still pick the transport of a token request."""
    auth_host: list[str] = []
    default: list[str] = []

    def token_handler(request: Any) -> Any:
        auth_host.append(request.url.path)
        return lib.Response(
            200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 60}
        )

    def api_handler(request: Any) -> Any:
        default.append(request.url.path)
        return lib.Response(200)

    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    with lib.Client(
        auth=auth,
        transport=lib.MockTransport(api_handler),
        mounts={"https://auth.pingone.com": lib.MockTransport(token_handler)},
    ) as client:
        client.get(API_URL)
    assert auth_host == [f"/{CANARY_ENV_ID}/as/token"]
    assert default == [API_URL.split("pingone.com")[1]]
