"""introspect_token never follows a redirect: the token and the client secret stay home.

The caller's client says ``follow_redirects=True``; the introspection endpoint answers
``307 Location: https://evil.example/steal`` whose ``{"active": true}`` must never be believed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    IntrospectionError,
    PingOneWorkerAuth,
    aintrospect_token,
    introspect_token,
)

URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"
METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]


class Server:
    """PingOne's introspection endpoint redirects; evil.example answers ``active: true``."""

    def __init__(self, status: int = 307, location: str = "https://evil.example/steal?q=1"):
        self.status = status
        self.location = location
        self.stolen: list[httpx.Request] = []
        self.hits = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "evil.example" or request.url.scheme == "http":
            self.stolen.append(request)
            return httpx.Response(200, json={"active": True, "scope": "admin"})
        self.hits += 1
        return httpx.Response(self.status, headers={"Location": self.location})


def _creds(method: str) -> ClientCredentials:
    return ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method)


def _check(err: IntrospectionError, server: Server, host: str) -> None:
    assert err.status_code == server.status
    assert err.error == "redirect"
    assert host in str(err)
    assert "steal" not in str(err)
    assert err.hint
    assert "must not redirect" in err.hint
    assert server.stolen == []
    assert server.hits == 1
    assert_no_canary(str(err))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("https://evil.example/steal?q=1", "https://evil.example"),
        (
            f"http://auth.pingone.com/{CANARY_ENV_ID}/as/introspect?steal=1",
            "http://auth.pingone.com",
        ),
    ],
)
def test_introspect_token_refuses_a_redirect(method: str, location: str, host: str) -> None:
    """Every client auth method: 307 is an IntrospectionError, the target gets nothing."""
    server = Server(location=location)
    transport = httpx.MockTransport(server.handler)
    with (
        httpx.Client(transport=transport, follow_redirects=True) as c,
        pytest.raises(IntrospectionError) as caught,
    ):
        introspect_token(URL, CANARY_TOKEN, _creds(method), client=c)
    _check(caught.value, server, host)


@pytest.mark.parametrize("status", [301, 302, 303, 308])
def test_aintrospect_token_refuses_a_redirect(status: int) -> None:
    """Async twin, every redirect status."""
    server = Server(status=status)

    async def main() -> IntrospectionError:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(server.handler), follow_redirects=True
        ) as c:
            with pytest.raises(IntrospectionError) as caught:
                await aintrospect_token(URL, CANARY_TOKEN, _creds("client_secret_post"), client=c)
        return caught.value

    _check(asyncio.run(main()), server, "evil.example")


def test_introspection_discovery_refuses_a_redirect() -> None:
    """An issuer= auth: the discovery of the introspection endpoint is not followed either."""
    issuer = "https://idp.example.com"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "idp.example.com":
            return httpx.Response(307, headers={"Location": "https://evil.example/x"})
        return httpx.Response(200, json={"active": True})

    auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, None, issuer=issuer)
    with (
        httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True) as c,
        pytest.raises(IntrospectionError) as caught,
    ):
        introspect_token(None, CANARY_TOKEN, auth, client=c)
    assert caught.value.status_code == 307
    assert "evil.example" in str(caught.value)
    assert seen == [f"{issuer}/.well-known/openid-configuration"]


def test_introspect_token_still_works_on_a_redirecting_client() -> None:
    """No redirect, no change."""

    def handler(request: httpx.Request) -> Any:
        return httpx.Response(200, json={"active": True, "client_id": CANARY_CLIENT_ID})

    with httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True) as c:
        info = introspect_token(URL, CANARY_TOKEN, _creds("client_secret_basic"), client=c)
    assert info.active is True
