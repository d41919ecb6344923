"""A request that carries a credential never follows a redirect, whatever the client says.

The caller's client is built with ``follow_redirects=True``; the token endpoint (or the OIDC
discovery document) answers ``307``/``308`` to ``https://evil.example/steal?...`` or to plain
``http://`` on the same host. Every auth method, sync and async, httpx and httpx2: the
redirect target never receives a request, the error is a ``TokenRequestError`` naming the
status and the target's host (never the path or query), and it is not retried.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from auth_support import API_URL, CLIENT_ID, ENV_ID, SECRET, TOKEN_URL, Lib

from httpx_pingone_worker import (
    PingOneWorkerAuth,
    RetryPolicy,
    TokenRequestError,
    arequest_client_credentials_token,
    request_client_credentials_token,
)

METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]
#: Where the malicious redirects point: another host, and plain HTTP on PingOne's host.
TARGETS = {
    "https://evil.example/steal?leak=1": "https://evil.example",
    f"http://auth.pingone.com/{ENV_ID}/as/token?downgrade=1": "http://auth.pingone.com",
}
RETRY = RetryPolicy(max_attempts=4, backoff_base=0.0, backoff_max=0.0, jitter=0.0)


@pytest.fixture(scope="module")
def private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class Redirecting:
    """The token endpoint answers a redirect; anything else is recorded as *stolen*."""

    def __init__(self, lib: Lib, location: str, status: int = 307) -> None:
        self.lib = lib
        self.location = location
        self.status = status
        self.token_requests = 0
        self.stolen: list[Any] = []
        self.api: list[Any] = []

    def handler(self, request: Any) -> Any:
        url = str(request.url)
        if url.startswith(TOKEN_URL) and request.url.scheme == "https":
            self.token_requests += 1
            return self.lib.Response(self.status, headers={"Location": self.location})
        if request.url.host == "api.pingone.com":
            self.api.append(request)
            return self.lib.Response(200, json={})
        self.stolen.append(request)  # evil.example, or the http:// downgrade
        return self.lib.Response(
            200, json={"access_token": "evil-token", "token_type": "Bearer", "expires_in": 3600}
        )


def _auth(lib: Lib, method: str, private_key: str, **kw: Any) -> Any:
    return lib.WorkerAuth(
        CLIENT_ID,
        None if method == "private_key_jwt" else SECRET,
        ENV_ID,
        auth_method=method,
        private_key=private_key if method == "private_key_jwt" else None,
        retry=RETRY,
        **kw,
    )


def _check(err: TokenRequestError, server: Redirecting, host: str, status: int = 307) -> None:
    assert err.status_code == status
    assert err.error == "redirect"
    assert host in str(err)
    assert "steal" not in str(err)
    assert "leak" not in str(err)
    assert "downgrade" not in str(err)
    assert err.hint
    assert "must not redirect" in err.hint
    assert server.stolen == []
    assert server.token_requests == 1  # not retried
    assert server.api == []


@pytest.mark.parametrize("location", list(TARGETS))
@pytest.mark.parametrize("method", METHODS)
def test_auth_flow_on_a_redirecting_client_never_follows_the_token_redirect(
    lib: Lib, method: str, location: str, private_key: str
) -> None:
    """The client whose request needs the token follows redirects; the token request does not."""
    server = Redirecting(lib, location)
    auth = _auth(lib, method, private_key)
    with (
        lib.Client(
            auth=auth, transport=lib.MockTransport(server.handler), follow_redirects=True
        ) as client,
        pytest.raises(TokenRequestError) as caught,
    ):
        client.get(API_URL)
    _check(caught.value, server, TARGETS[location])


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_get_token_with_a_redirecting_http_client_refuses_every_3xx(
    lib: Lib, status: int, private_key: str
) -> None:
    """get_token() through http_client=Client(follow_redirects=True): every 3xx is refused."""
    server = Redirecting(lib, "https://evil.example/steal", status)
    client = lib.Client(transport=lib.MockTransport(server.handler), follow_redirects=True)
    auth = _auth(lib, "client_secret_post", private_key, http_client=client)
    with pytest.raises(TokenRequestError) as caught:
        auth.get_token()
    _check(caught.value, server, "evil.example", status)
    client.close()


@pytest.mark.parametrize("method", METHODS)
def test_async_auth_flow_never_follows_the_token_redirect(
    lib: Lib, method: str, private_key: str
) -> None:
    """Async twin: an AsyncClient(follow_redirects=True) as the caller."""
    server = Redirecting(lib, "https://evil.example/steal?leak=1", 308)
    auth = _auth(lib, method, private_key)

    async def main() -> TokenRequestError:
        async with lib.AsyncClient(
            auth=auth, transport=lib.MockTransport(server.handler), follow_redirects=True
        ) as client:
            with pytest.raises(TokenRequestError) as caught:
                await client.get(API_URL)
        return caught.value

    _check(asyncio.run(main()), server, "https://evil.example", 308)


def test_aget_token_with_a_redirecting_async_http_client(lib: Lib, private_key: str) -> None:
    """aget_token() through async_http_client=AsyncClient(follow_redirects=True)."""
    server = Redirecting(lib, "https://evil.example/steal")

    async def main() -> TokenRequestError:
        async with lib.AsyncClient(
            transport=lib.MockTransport(server.handler), follow_redirects=True
        ) as client:
            auth = _auth(lib, "client_secret_basic", private_key, async_http_client=client)
            with pytest.raises(TokenRequestError) as caught:
                await auth.aget_token()
        return caught.value

    _check(asyncio.run(main()), server, "evil.example")


@pytest.mark.parametrize("method", METHODS)
def test_request_client_credentials_token_never_follows_a_redirect(
    lib: Lib, method: str, private_key: str
) -> None:
    """request_client_credentials_token(..., client=Client(follow_redirects=True))."""
    server = Redirecting(lib, "https://evil.example/steal?leak=1")
    transport = lib.MockTransport(server.handler)
    with (
        lib.Client(transport=transport, follow_redirects=True) as c,
        pytest.raises(TokenRequestError) as caught,
    ):
        request_client_credentials_token(
            TOKEN_URL,
            CLIENT_ID,
            None if method == "private_key_jwt" else SECRET,
            auth_method=method,
            private_key=private_key if method == "private_key_jwt" else None,
            client=c,
            retry=RETRY,
        )
    _check(caught.value, server, "https://evil.example")


def test_arequest_client_credentials_token_never_follows_a_redirect(private_key: str) -> None:
    """The async standalone function, the same rule."""
    import httpx
    from auth_support import HTTPX

    server = Redirecting(HTTPX, f"http://auth.pingone.com/{ENV_ID}/as/token")

    async def main() -> TokenRequestError:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(server.handler), follow_redirects=True
        ) as c:
            with pytest.raises(TokenRequestError) as caught:
                await arequest_client_credentials_token(
                    TOKEN_URL, CLIENT_ID, SECRET, client=c, retry=RETRY
                )
        return caught.value

    _check(asyncio.run(main()), server, "http://auth.pingone.com")


def test_oidc_discovery_never_follows_a_redirect(lib: Lib) -> None:
    """issuer=: the discovery document's redirect is refused before any token request."""
    issuer = "https://idp.example.com/realm"
    seen: list[str] = []

    def handler(request: Any) -> Any:
        seen.append(str(request.url))
        if request.url.host == "idp.example.com":
            return lib.Response(302, headers={"Location": "https://evil.example/stolen-doc?x=1"})
        return lib.Response(
            200,
            json={"issuer": issuer, "token_endpoint": "https://evil.example/token"},
        )

    client = lib.Client(transport=lib.MockTransport(handler), follow_redirects=True)
    auth = lib.WorkerAuth(CLIENT_ID, SECRET, None, issuer=issuer, http_client=client)
    with pytest.raises(TokenRequestError) as caught:
        auth.get_token()
    assert caught.value.status_code == 302
    assert "evil.example" in str(caught.value)
    assert "stolen" not in str(caught.value)
    assert seen == [f"{issuer}/.well-known/openid-configuration"]
    client.close()


def test_a_plain_token_endpoint_still_works_on_a_redirecting_client(lib: Lib) -> None:
    """No redirect, no change: a client with follow_redirects=True still gets its token."""
    calls: list[str] = []

    def handler(request: Any) -> Any:
        calls.append(request.url.host)
        if request.url.host == "auth.pingone.com":
            return lib.Response(
                200, json={"access_token": "good", "token_type": "Bearer", "expires_in": 3600}
            )
        assert request.headers["Authorization"] == "Bearer good"
        return lib.Response(200, json={})

    auth: PingOneWorkerAuth = lib.WorkerAuth(CLIENT_ID, SECRET, ENV_ID)
    with lib.Client(
        auth=auth, transport=lib.MockTransport(handler), follow_redirects=True
    ) as client:
        assert client.get(API_URL).status_code == 200
    assert calls == ["auth.pingone.com", "api.pingone.com"]


def test_a_redirect_is_not_retried_even_when_the_retry_policy_lists_it(lib: Lib) -> None:
    """RetryPolicy(statuses={307, ...}): a redirect is still an error at once, one request."""
    server = Redirecting(lib, "https://evil.example/steal")
    policy = RetryPolicy(
        max_attempts=5, backoff_base=0.0, backoff_max=0.0, jitter=0.0, statuses=frozenset({307})
    )
    client = lib.Client(transport=lib.MockTransport(server.handler), follow_redirects=True)
    auth = lib.WorkerAuth(CLIENT_ID, SECRET, ENV_ID, retry=policy, http_client=client)
    with pytest.raises(TokenRequestError) as caught:
        auth.get_token()
    _check(caught.value, server, "evil.example")
    client.close()


def test_a_flow_driven_by_hand_refuses_an_answer_reached_through_a_redirect(lib: Lib) -> None:
    """Whoever drives the auth flow (no client the auth can identify) and follows a redirect
    for it: the final answer (a token from the redirect target) is refused, not used."""
    auth = lib.WorkerAuth(CLIENT_ID, SECRET, ENV_ID)
    flow = auth.sync_auth_flow(lib.Request("GET", API_URL))
    token_request = next(flow)
    assert str(token_request.url) == TOKEN_URL
    redirect = lib.Response(
        307, headers={"Location": "https://evil.example/steal"}, request=token_request
    )
    final = lib.Response(
        200,
        json={"access_token": "evil-token", "token_type": "Bearer", "expires_in": 3600},
        request=lib.Request("POST", "https://evil.example/steal"),
    )
    final.history = [redirect]
    with pytest.raises(TokenRequestError) as caught:
        flow.send(final)
    assert caught.value.status_code == 307
    assert "evil.example" in str(caught.value)
    assert auth.current_token is None


def test_jwks_fetch_never_follows_a_redirect() -> None:
    """JWKSCache on a client with follow_redirects=True: keys from elsewhere are never used."""
    import httpx

    from httpx_pingone_worker import JWKSCache, JWTError

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "auth.pingone.com":
            return httpx.Response(302, headers={"Location": "https://evil.example/keys?x=1"})
        return httpx.Response(200, json={"keys": [{"kty": "RSA", "kid": "evil", "n": "x"}]})

    jwks_url = f"https://auth.pingone.com/{ENV_ID}/as/jwks"
    with httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True) as client:
        cache = JWKSCache(jwks_url, client=client)
        with pytest.raises(JWTError) as caught:
            cache.find("evil")
    assert seen == [jwks_url]
    assert "HTTP 302, a redirect to https://evil.example" in str(caught.value)
    assert "/keys" not in str(caught.value)


@pytest.mark.parametrize("is_async", [False, True], ids=["thread", "asyncio-task"])
def test_a_background_refresh_never_follows_a_redirect_nor_runs_hooks(
    lib: Lib, is_async: bool
) -> None:
    """The refresh (a thread / a task on the caller's client, follow_redirects=True, with a
    body-logging hook): the redirect target gets nothing, the hook sees no token request,
    and callers keep the valid token."""
    from auth_support import FakeClock

    clock = FakeClock()
    stolen: list[str] = []
    hooked: list[str] = []
    token_answers = [
        lib.Response(
            200, json={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 1000}
        ),
        lib.Response(308, headers={"Location": "https://evil.example/steal"}),
    ]

    def handler(request: Any) -> Any:
        if request.url.host == "evil.example":
            stolen.append(str(request.url))
            return lib.Response(
                200, json={"access_token": "evil", "token_type": "Bearer", "expires_in": 9}
            )
        if request.url.path.endswith("/as/token"):
            return token_answers.pop(0)
        return lib.Response(200, json={"auth": request.headers["Authorization"]})

    def hook(request: Any) -> None:
        hooked.append(request.url.path)

    async def ahook(request: Any) -> None:
        hook(request)

    auth = lib.WorkerAuth(
        CLIENT_ID, SECRET, ENV_ID, clock=clock, sleep=clock.sleep, async_sleep=clock.asleep
    )
    kw = {"auth": auth, "transport": lib.MockTransport(handler), "follow_redirects": True}
    if not is_async:
        with lib.Client(event_hooks={"request": [hook]}, **kw) as client:
            client.get(API_URL)
            clock.advance(850)
            assert client.get(API_URL).json()["auth"] == "Bearer tok-1"
            assert auth.wait_for_refresh(10)
    else:

        async def main() -> None:
            async with lib.AsyncClient(event_hooks={"request": [ahook]}, **kw) as client:
                await client.get(API_URL)
                clock.advance(850)
                assert (await client.get(API_URL)).json()["auth"] == "Bearer tok-1"
                assert await auth.await_for_refresh(10)

        asyncio.run(main())
    assert token_answers == []  # the refresh asked, once
    assert stolen == []
    assert hooked == [f"/v1/environments/{ENV_ID}"] * 2
    assert auth.current_token.access_token.get_secret_value() == "tok-1"


def test_your_own_redirecting_client_drops_the_worker_token_on_another_origin(lib: Lib) -> None:
    """Client(auth=PingOneWorkerAuth, follow_redirects=True) and an API redirect elsewhere: the
    worker token never reaches the other origin (httpx drops Authorization; the auth adds it
    to no redirected request, and a 401 there resends the original request only)."""
    seen: list[tuple[str, str | None]] = []
    issued: list[str] = []

    def handler(request: Any) -> Any:
        seen.append((str(request.url), request.headers.get("Authorization")))
        if request.url.path.endswith("/as/token"):
            issued.append(f"tok-{len(issued) + 1}")
            body = {"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600}
            return lib.Response(200, json=body)
        if request.url.host == "api.pingone.com":
            return lib.Response(307, headers={"Location": "https://evil.example/steal"})
        return lib.Response(401)

    auth = lib.WorkerAuth(CLIENT_ID, SECRET, ENV_ID)
    with lib.Client(
        auth=auth, transport=lib.MockTransport(handler), follow_redirects=True
    ) as client:
        assert client.get(API_URL).status_code == 401
    elsewhere = [header for url, header in seen if url.startswith("https://evil.example")]
    assert elsewhere
    assert elsewhere == [None] * len(elsewhere)
