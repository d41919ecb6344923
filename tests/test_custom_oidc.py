"""An environment id is required exactly where PingOne URLs are derived from it, nowhere else."""

from __future__ import annotations

import pytest

from canary import CANARY_CLIENT_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    IntrospectionError,
    PingOneWorkerAuth,
    introspect_token,
)

TOKEN_URL = "https://idp.example.test/oauth2/token"


def test_client_credentials_without_environment() -> None:
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, None)
    assert creds.environment_id is None
    keyword = ClientCredentials(client_id=CANARY_CLIENT_ID, client_secret=CANARY_SECRET)
    assert keyword.environment_id is None
    assert "environment_id=None" in repr(creds)
    assert_no_canary(repr(creds))


def test_blank_environment_id_is_still_reported_as_missing() -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, "  ")
    assert "environment_id" in info.value.message
    assert "None" in (info.value.hint or "")


def test_pingone_layout_still_needs_the_environment() -> None:
    """No environment and no endpoint: today's clear error, unchanged."""
    with pytest.raises(ConfigurationError) as info:
        PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, None)
    assert info.value.message == "environment_id is missing"
    assert "token_endpoint=" in (info.value.hint or "")


@pytest.mark.parametrize(
    "where", [{"token_endpoint": TOKEN_URL}, {"issuer": "https://idp.example.test"}]
)
def test_auth_without_environment_has_credentials(where: dict[str, str]) -> None:
    auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, None, **where)
    creds = auth.credentials
    assert creds.environment_id is None
    assert creds.client_id == CANARY_CLIENT_ID
    assert creds.client_secret is not None
    assert creds.client_secret.get_secret_value() == CANARY_SECRET


def test_introspection_derives_pingone_url_only_with_an_environment() -> None:
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, None)
    with pytest.raises(ConfigurationError) as info:
        introspect_token(None, "a-token-to-introspect", creds)
    assert "environment_id" in info.value.message
    assert "url=" in (info.value.hint or "")


def test_introspection_of_a_token_endpoint_auth_needs_a_url() -> None:
    auth = PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, None, token_endpoint=TOKEN_URL)
    assert auth.issuer is None  # a bare token endpoint names no issuer
    with pytest.raises(IntrospectionError) as info:
        introspect_token(None, "a-token-to-introspect", auth)
    assert "url=" in (info.value.hint or "")


def test_introspection_uses_the_auth_objects_own_endpoints() -> None:
    """A PingOne auth with a host override introspects at that host, not at PingOne's."""
    import httpx

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"active": False})

    auth = PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
        auth_base_url="https://auth.internal.example.test",
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        info = introspect_token(None, "a-token-to-introspect", auth, client=client)
    assert info.active is False
    assert seen == [
        "https://auth.internal.example.test/0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a/as/introspect"
    ]
