"""`PingOneWorkerAuth.from_credentials`: everything a `ClientCredentials` holds reaches the auth."""

from __future__ import annotations

import httpx
import pytest

from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    PingOneWorkerAuth,
    Region,
    Secret,
)

ENV_ID = "11111111-2222-3333-4444-555555555555"
PEM = "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"


def test_scopes_method_key_and_endpoints_survive() -> None:
    """Scopes, auth method, private key, key id, region and environment all reach the auth."""
    creds = ClientCredentials(
        "client-a",
        None,
        ENV_ID,
        region="EU",
        scopes=["p1:read:user", "p1:update:user"],
        auth_method="private_key_jwt",
        private_key=PEM,
        key_id="kid-1",
    )
    auth = PingOneWorkerAuth.from_credentials(creds)
    assert auth.scopes == frozenset({"p1:read:user", "p1:update:user"})
    assert auth.region is Region.EU
    assert auth.environment_id == ENV_ID
    assert auth.token_endpoint == f"https://auth.pingone.eu/{ENV_ID}/as/token"
    assert auth.api_base_url == "https://api.pingone.eu/v1"
    assert auth.credentials == creds


def test_the_secret_survives_and_overrides_win() -> None:
    """The client secret comes along; a keyword given to `from_credentials` wins."""
    creds = ClientCredentials(
        "client-b", "s3cret-value", ENV_ID, region="NA", scopes="p1:read:user"
    )
    with httpx.Client() as client:
        auth = PingOneWorkerAuth.from_credentials(
            creds, scopes="p1:read:env", region="CA", refresh_ratio=0.5, http_client=client
        )
        assert auth.credentials.client_secret == Secret("s3cret-value")
        assert auth.scopes == frozenset({"p1:read:env"})
        assert auth.region is Region.CA
        assert auth.token_endpoint == f"https://auth.pingone.ca/{ENV_ID}/as/token"
        assert auth.credentials.auth_method == "client_secret_basic"


def test_a_credentials_object_is_required() -> None:
    """Anything but `ClientCredentials` is a `ConfigurationError` saying what to pass."""
    with pytest.raises(ConfigurationError, match="ClientCredentials"):
        PingOneWorkerAuth.from_credentials({"client_id": "x"})  # type: ignore[arg-type]
