"""The Management API clients never send the worker token to another origin.

Whatever the underlying client's ``follow_redirects`` says, a redirect to another origin is
a ``ManagementApiError`` naming the status and the target's host (not its path); the target
receives nothing. A same-origin redirect is followed only when the client was built with
``follow_redirects=True`` (httpx's own rule), with the token, to the same host.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mgmt_support import API, ENV

from canary import CANARY_CLIENT_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    AsyncPingOneClient,
    ManagementApiError,
    PingOneClient,
    PingOneWorkerAuth,
)

TOKEN_URL = f"https://auth.pingone.com/{ENV}/as/token"


class Api:
    """api.pingone.com redirects ``/environments/{env}`` as scripted; the rest is recorded."""

    def __init__(self, location: str, status: int = 307) -> None:
        self.location = location
        self.status = status
        self.elsewhere: list[httpx.Request] = []
        self.api: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.pingone.com" and request.url.path.endswith("/as/token"):
            return httpx.Response(
                200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 3600}
            )
        if request.url.host != "api.pingone.com" or request.url.scheme != "https":
            self.elsewhere.append(request)
            return httpx.Response(200, json={"id": ENV, "name": "evil"})
        self.api.append(request)
        if request.url.path == f"/v1/environments/{ENV}":
            return httpx.Response(self.status, headers={"Location": self.location})
        return httpx.Response(200, json={"id": ENV, "name": "moved"})


def _client(api: Api, **kw: object) -> PingOneClient:
    auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, ENV)
    return PingOneClient(
        auth=auth, environment_id=ENV, transport=httpx.MockTransport(api.handler), **kw
    )


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("https://evil.example/steal?x=1", "https://evil.example"),
        (f"http://api.pingone.com/v1/environments/{ENV}?steal=1", "http://api.pingone.com"),
        (f"https://api.pingone.com:8443/v1/environments/{ENV}?steal=1", "api.pingone.com"),
    ],
)
@pytest.mark.parametrize("follow", [True, False])
def test_a_redirect_to_another_origin_is_never_followed(
    location: str, host: str, follow: bool
) -> None:
    """Another host, a downgrade to http, another port: refused, with or without
    follow_redirects=True; the target receives nothing."""
    api = Api(location)
    with (
        _client(api, follow_redirects=follow) as client,
        pytest.raises(ManagementApiError) as caught,
    ):
        client.get_environment()
    err = caught.value
    assert err.status_code == 307
    assert err.error == "redirect"
    assert host in str(err)
    assert "steal" not in str(err)
    assert api.elsewhere == []
    assert_no_canary(str(err))


def test_a_same_origin_redirect_is_followed_when_the_client_follows_redirects() -> None:
    """Same scheme, host and port: followed with the token (the client asked for it)."""
    api = Api(f"{API}/environments/{ENV}/moved")
    with _client(api, follow_redirects=True) as client:
        assert client.request("GET", "/environments/{env}") == {"id": ENV, "name": "moved"}
    assert [r.url.path for r in api.api] == [
        f"/v1/environments/{ENV}",
        f"/v1/environments/{ENV}/moved",
    ]
    assert api.api[1].headers["Authorization"] == f"Bearer {CANARY_TOKEN}"
    assert api.elsewhere == []


def test_a_same_origin_redirect_is_not_followed_by_default() -> None:
    """Default client: no redirect is followed (an error for the 307, as before)."""
    api = Api(f"{API}/environments/{ENV}/moved")
    with _client(api) as client, pytest.raises(ManagementApiError) as caught:
        client.request("GET", "/environments/{env}")
    assert caught.value.status_code == 307
    assert len(api.api) == 1


def test_async_client_never_follows_a_redirect_to_another_origin() -> None:
    """AsyncPingOneClient(follow_redirects=True): the same rule."""
    api = Api("https://evil.example/steal")

    async def main() -> ManagementApiError:
        auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, ENV)
        async with AsyncPingOneClient(
            auth=auth,
            environment_id=ENV,
            transport=httpx.MockTransport(api.handler),
            follow_redirects=True,
        ) as client:
            with pytest.raises(ManagementApiError) as caught:
                await client.get_environment()
        return caught.value

    err = asyncio.run(main())
    assert err.status_code == 307
    assert "evil.example" in str(err)
    assert "steal" not in str(err)
    assert api.elsewhere == []
