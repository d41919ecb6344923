"""Introspection against oidc-provider with credentials that have no PingOne environment."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from oidc_harness import OIDCServer

from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    IntrospectionError,
    PingOneWorkerAuth,
    aintrospect_token,
    introspect_token,
)

METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]


@pytest.fixture
def http(oidc_server: OIDCServer) -> Iterator[httpx.Client]:
    with httpx.Client(verify=oidc_server.ssl_context) as c:
        yield c


def _auth(name: str, server: OIDCServer, http: httpx.Client, **where: str) -> PingOneWorkerAuth:
    client = server.clients[name]
    return PingOneWorkerAuth(
        client.client_id,
        client.client_secret,
        None,
        scopes="read",
        auth_method=client.auth_method,
        private_key=client.private_key,
        key_id=client.key_id,
        http_client=http,
        **where,
    )


@pytest.mark.parametrize("method", METHODS)
def test_auth_without_environment_hands_its_credentials_to_introspection(
    oidc_server: OIDCServer, http: httpx.Client, method: str
) -> None:
    auth = _auth(method, oidc_server, http, token_endpoint=oidc_server.token_endpoint)
    token = auth.get_token()
    creds = auth.credentials
    assert creds.environment_id is None
    assert creds.auth_method == method

    info = introspect_token(oidc_server.introspection_endpoint, token, creds, client=http)

    assert info.active
    assert info.client_id == oidc_server.clients[method].client_id
    assert info.scopes == {"read"}
    assert info.iss == oidc_server.issuer


def test_auth_with_token_endpoint_only_names_no_introspection_endpoint(
    oidc_server: OIDCServer, http: httpx.Client
) -> None:
    auth = _auth(
        "client_secret_basic", oidc_server, http, token_endpoint=oidc_server.token_endpoint
    )
    token = auth.get_token()
    with pytest.raises(IntrospectionError) as info:
        introspect_token(None, token, auth, client=http)
    assert "url=" in (info.value.hint or "")


def test_credentials_without_environment_need_a_url() -> None:
    creds = ClientCredentials("some-client", "some-secret-value", None)
    with pytest.raises(ConfigurationError) as info:
        introspect_token(None, "a-token-value", creds)
    assert "environment_id" in info.value.message
    assert "url=" in (info.value.hint or "")


def test_async_introspection_discovers_the_endpoint(oidc_server: OIDCServer) -> None:
    client = oidc_server.clients["client_secret_post"]

    async def main() -> tuple[bool, bool]:
        async with httpx.AsyncClient(verify=oidc_server.ssl_context) as ahttp:
            auth = PingOneWorkerAuth(
                client.client_id,
                client.client_secret,
                None,
                auth_method=client.auth_method,
                issuer=oidc_server.issuer,
                async_http_client=ahttp,
            )
            token = await auth.aget_token()
            active = await aintrospect_token(None, token, auth, client=ahttp)
            unknown = await aintrospect_token(None, "never-issued-token", auth, client=ahttp)
            return active.active, unknown.active

    assert asyncio.run(main()) == (True, False)


def test_introspection_with_discovered_endpoint_and_auth_credentials(
    oidc_server: OIDCServer, http: httpx.Client
) -> None:
    """``introspect_token(None, token, auth)`` uses the issuer's introspection endpoint."""
    client = oidc_server.clients["private_key_jwt"]
    auth = _auth("private_key_jwt", oidc_server, http, issuer=oidc_server.issuer)
    token = auth.get_token()

    info = introspect_token(None, token, auth, client=http)

    assert info.active
    assert info.client_id == client.client_id
    assert info.iss == oidc_server.issuer


@pytest.mark.parametrize("method", METHODS)
def test_introspection_of_unknown_token_is_inactive(
    oidc_server: OIDCServer, http: httpx.Client, method: str
) -> None:
    client = oidc_server.clients[method]
    creds = ClientCredentials(
        client.client_id,
        client.client_secret,
        None,
        auth_method=method,
        private_key=client.private_key,
        key_id=client.key_id,
    )
    info = introspect_token(
        oidc_server.introspection_endpoint, "not-a-token-this-server-issued", creds, client=http
    )
    assert info.active is False
    assert info.client_id is None


def test_introspection_with_wrong_secret_is_an_error(
    oidc_server: OIDCServer, http: httpx.Client
) -> None:
    creds = ClientCredentials("basic-client", "y" * 64, None)
    with pytest.raises(IntrospectionError) as info:
        introspect_token(
            oidc_server.introspection_endpoint,
            "token-introspected-with-a-wrong-secret",
            creds,
            client=http,
        )
    assert info.value.error == "invalid_client"


def test_introspection_reads_the_issuer_discovery_when_not_yet_known(
    oidc_server: OIDCServer, http: httpx.Client
) -> None:
    """No token fetched yet, so nothing discovered: introspect_token reads the discovery."""
    auth = _auth("client_secret_jwt", oidc_server, http, issuer=oidc_server.issuer)
    assert auth.endpoints is None
    info = introspect_token(None, "never-issued-by-this-server", auth, client=http)
    assert info.active is False
