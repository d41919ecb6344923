"""The public API against a real OpenID-Certified server (panva's oidc-provider), no PingOne.

Every test goes through the public package only: ``PingOneWorkerAuth`` without an
environment id (``token_endpoint=`` or ``issuer=``), ``introspect_token`` with those
credentials, and ``verify_jwt`` with the issuer's JWKS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oidc_harness import OIDCClient, OIDCServer

from httpx_pingone_worker import (
    JWKSCache,
    JWTError,
    PingOneWorkerAuth,
    TokenRequestError,
    decode_jwt,
    request_client_credentials_token,
    verify_jwt,
)

METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]


class Counter:
    """Counts the requests an httpx client sends, by path (a real count, not a mock).

    It wraps the client's transport (token requests skip the client's event hooks, so a
    hook would not see them; the transport sees every request).
    """

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)

    def count(self, path: str) -> int:
        return sum(1 for p in self.paths if p == path)

    def transport(self, ssl_context: Any) -> httpx.BaseTransport:
        inner = httpx.HTTPTransport(verify=ssl_context)
        counter = self

        class Counting(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                counter(request)
                return inner.handle_request(request)

            def close(self) -> None:
                inner.close()

        return Counting()

    def async_transport(self, ssl_context: Any) -> httpx.AsyncBaseTransport:
        inner = httpx.AsyncHTTPTransport(verify=ssl_context)
        counter = self

        class Counting(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                counter(request)
                return await inner.handle_async_request(request)

            async def aclose(self) -> None:
                await inner.aclose()

        return Counting()


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def http(oidc_server: OIDCServer, counter: Counter) -> Iterator[httpx.Client]:
    with httpx.Client(transport=counter.transport(oidc_server.ssl_context)) as c:
        yield c


def _auth(
    client: OIDCClient, http: httpx.Client, *, scopes: str | None = "read", **where: str
) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        client.client_id,
        client.client_secret,
        None,
        scopes=scopes,
        auth_method=client.auth_method,
        private_key=client.private_key,
        key_id=client.key_id,
        http_client=http,
        **where,
    )


@pytest.mark.parametrize("method", METHODS)
def test_token_with_each_client_auth_method(
    oidc_server: OIDCServer, http: httpx.Client, counter: Counter, method: str
) -> None:
    client = oidc_server.clients[method]
    auth = _auth(client, http, token_endpoint=oidc_server.token_endpoint)
    assert auth.environment_id is None

    token = auth.get_token()

    assert token.scopes == {"read"}
    assert token.token_type.lower() == "bearer"
    assert 0 < token.expires_in <= 600
    assert counter.count("/token") == 1
    with pytest.raises(JWTError):  # opaque: what it grants is asked by introspection
        decode_jwt(token)


@pytest.mark.parametrize("method", METHODS)
def test_wrong_secret_or_key_is_rejected_as_invalid_client(
    oidc_server: OIDCServer, http: httpx.Client, method: str
) -> None:
    good = oidc_server.clients[method]
    if method == "private_key_jwt":
        other = oidc_server.clients["private_key_jwt"]
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        bad = OIDCClient(other.client_id, method, private_key=pem, key_id=other.key_id)
    else:
        bad = OIDCClient(good.client_id, method, client_secret="x" * 64)
    auth = _auth(bad, http, token_endpoint=oidc_server.token_endpoint)
    with pytest.raises(TokenRequestError) as info:
        auth.get_token()
    assert info.value.error == "invalid_client"
    assert info.value.status_code in (400, 401)


def test_cached_token_is_reused_until_invalidated(
    oidc_server: OIDCServer, http: httpx.Client, counter: Counter
) -> None:
    auth = _auth(
        oidc_server.clients["client_secret_basic"],
        http,
        scopes="read write",
        token_endpoint=oidc_server.token_endpoint,
    )
    first = auth.get_token()
    for _ in range(5):
        assert auth.get_token() is first
    assert counter.count("/token") == 1

    auth.invalidate()
    second = auth.get_token()

    assert counter.count("/token") == 2
    assert second.access_token != first.access_token
    assert second.scopes == {"read", "write"}


def test_one_token_request_for_many_concurrent_tasks(
    oidc_server: OIDCServer, counter: Counter
) -> None:
    client = oidc_server.clients["client_secret_post"]

    async def main() -> set[str]:
        async with httpx.AsyncClient(
            transport=counter.async_transport(oidc_server.ssl_context)
        ) as ahttp:
            auth = PingOneWorkerAuth(
                client.client_id,
                client.client_secret,
                None,
                scopes="read",
                auth_method=client.auth_method,
                token_endpoint=oidc_server.token_endpoint,
                async_http_client=ahttp,
            )
            tokens = await asyncio.gather(*(auth.aget_token() for _ in range(50)))
            return {t.fingerprint for t in tokens}

    assert len(asyncio.run(main())) == 1
    assert counter.count("/token") == 1


def test_discovery_via_issuer(
    oidc_server: OIDCServer, http: httpx.Client, counter: Counter
) -> None:
    auth = _auth(oidc_server.clients["client_secret_jwt"], http, issuer=oidc_server.issuer)
    assert auth.token_endpoint is None  # not known until discovered

    token = auth.get_token()

    assert token.scopes == {"read"}
    assert auth.token_endpoint == oidc_server.token_endpoint
    assert counter.count("/.well-known/openid-configuration") == 1
    endpoints = auth.endpoints
    assert endpoints is not None
    assert endpoints.jwks == oidc_server.jwks_uri
    assert endpoints.introspection == oidc_server.introspection_endpoint
    auth.get_token()
    assert counter.count("/.well-known/openid-configuration") == 1
    assert counter.count("/token") == 1


def test_request_client_credentials_token_standalone(
    oidc_server: OIDCServer, http: httpx.Client
) -> None:
    client = oidc_server.clients["client_secret_post"]
    token = request_client_credentials_token(
        oidc_server.token_endpoint,
        client.client_id,
        client.client_secret,
        "write",
        auth_method="client_secret_post",
        client=http,
    )
    assert token.scopes == {"write"}


def test_unknown_scope_is_refused(oidc_server: OIDCServer, http: httpx.Client) -> None:
    auth = _auth(
        oidc_server.clients["client_secret_basic"],
        http,
        scopes="admin",
        token_endpoint=oidc_server.token_endpoint,
    )
    with pytest.raises(TokenRequestError) as info:
        auth.get_token()
    assert info.value.error == "invalid_scope"


def test_verify_jwt_access_token_with_issuer_jwks(
    oidc_server: OIDCServer, http: httpx.Client, counter: Counter
) -> None:
    auth = _auth(oidc_server.jwt_client, http, scopes="read write", issuer=oidc_server.issuer)
    token = auth.get_token()
    decoded = decode_jwt(token)
    assert decoded.header["alg"] == "RS256"

    jwks = JWKSCache(issuer=oidc_server.issuer, client=http)
    claims = verify_jwt(token, jwks=jwks, issuer=oidc_server.issuer, audience=oidc_server.resource)

    assert claims["client_id"] == oidc_server.jwt_client.client_id
    assert claims["aud"] == oidc_server.resource
    assert set(claims["scope"].split()) == {"read", "write"}
    assert counter.count("/jwks") == 1
    verify_jwt(token, jwks=jwks, issuer=oidc_server.issuer, audience=oidc_server.resource)
    assert counter.count("/jwks") == 1  # cached

    with pytest.raises(JWTError) as wrong_aud:
        verify_jwt(token, jwks=jwks, issuer=oidc_server.issuer, audience="https://other.test")
    assert wrong_aud.value.error == "invalid_audience"
    with pytest.raises(JWTError) as wrong_iss:
        verify_jwt(token, jwks=jwks, issuer="https://127.0.0.1:1", audience=oidc_server.resource)
    assert wrong_iss.value.error == "invalid_issuer"


def test_verify_jwt_rejects_a_tampered_token(oidc_server: OIDCServer, http: httpx.Client) -> None:
    auth = _auth(oidc_server.jwt_client, http, token_endpoint=oidc_server.token_endpoint)
    raw = auth.get_token().access_token.get_secret_value()
    header, payload, sig = raw.split(".")
    tampered = f"{header}.{payload}.{sig[:-4]}{'AAAA' if sig[-4:] != 'AAAA' else 'BBBB'}"
    jwks = JWKSCache(jwks_url=oidc_server.jwks_uri, client=http)
    with pytest.raises(JWTError) as info:
        verify_jwt(tampered, jwks=jwks, issuer=oidc_server.issuer)
    assert info.value.error == "invalid_signature"
