"""Construction-time behaviour of PingOneWorkerAuth: blank secrets, host overrides from the
environment, binding secret-keyed caches, the credential store as last source, and a failing
secret provider."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    MemoryTokenCache,
    PingOneWorkerAuth,
    Secret,
    Token,
    TokenRequestError,
    secure_store,
)
from httpx_pingone_worker.emulator import PingOneEmulator


@pytest.mark.parametrize("blank", ["", "   ", Secret(""), Secret(" \t")])
def test_blank_secret_is_missing_at_construction(blank: str | Secret) -> None:
    """A blank secret, plain or wrapped in Secret, fails in the constructor with a hint."""
    with pytest.raises(ConfigurationError, match="needs a client secret") as info:
        PingOneWorkerAuth("client", blank, "env")
    assert info.value.hint is not None
    assert "PINGONE_CLIENT_SECRET" in info.value.hint


def test_host_overrides_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """PINGONE_AUTH_BASE_URL / PINGONE_API_BASE_URL override the region's hosts (DESIGN)."""
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", "https://login.example.test")
    monkeypatch.setenv("PINGONE_API_BASE_URL", "https://api.example.test/v1")
    auth = PingOneWorkerAuth("client", "a-secret-value", "env-1")
    assert auth.token_endpoint == "https://login.example.test/env-1/as/token"
    assert auth.api_base_url == "https://api.example.test/v1"
    explicit = PingOneWorkerAuth(
        "client", "a-secret-value", "env-1", auth_base_url="https://other.example.test"
    )
    assert explicit.token_endpoint == "https://other.example.test/env-1/as/token"


def test_environment_host_override_is_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An insecure PINGONE_AUTH_BASE_URL is refused like an explicit one."""
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", "http://login.example.test")
    with pytest.raises(ConfigurationError, match="http"):
        PingOneWorkerAuth("client", "a-secret-value", "env-1")


class _BindingCache(MemoryTokenCache):
    """A memory cache that records bind() calls like RedisTokenCache receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.bound: list[tuple[str, str]] = []

    def bind(self, material: Secret, *, cache_key: str | None = None) -> None:
        assert cache_key is not None
        self.bound.append((material.get_secret_value(), cache_key))


def test_secret_keyed_cache_is_bound_and_rebound_on_rotation() -> None:
    """The auth hands its secret to a cache that has bind(), for its own key, and again on
    rotate_secret()."""
    cache = _BindingCache()
    auth = PingOneWorkerAuth("client", "first-secret-value", "env-1", cache=cache)
    assert cache.bound == [("first-secret-value", auth.cache_key)]
    auth.rotate_secret("second-secret-value")
    assert cache.bound[-1] == ("second-secret-value", auth.cache_key)


def test_from_env_falls_back_to_the_credential_store() -> None:
    """With no PINGONE_* settings, from_env() uses the one stored worker app."""
    emu = PingOneEmulator(users=0)
    secure_store(emu.credentials)
    with httpx.Client(transport=emu.transport()) as client:
        auth = PingOneWorkerAuth.from_env(http_client=client)
        assert auth.client_id == emu.client_id
        assert auth.environment_id == emu.environment_id
        assert isinstance(auth.get_token(), Token)
    with pytest.raises(ConfigurationError, match="missing"):
        PingOneWorkerAuth.from_env(stored=None)


def test_failing_secret_provider_does_not_hide_invalid_client() -> None:
    """When re-reading the secret fails, the caller still sees the invalid_client error."""
    emu = PingOneEmulator(users=0)
    creds = emu.credentials
    calls: list[int] = []

    def provider() -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("store entry deleted")
        return "not-the-right-secret"

    with httpx.Client(transport=emu.transport()) as client:
        auth = PingOneWorkerAuth(
            creds.client_id,
            None,
            creds.environment_id,
            secret_provider=provider,
            http_client=client,
        )
        with pytest.raises(TokenRequestError) as info:
            auth.get_token()
    assert info.value.error == "invalid_client"
    assert len(calls) == 2  # constructor + one re-read after invalid_client


def test_stored_credentials_keep_their_type() -> None:
    """secure_store() of ClientCredentials round-trips through from_env()'s last source."""
    creds = ClientCredentials(
        "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f",
        "stored-secret-value-1234",
        "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
        region="EU",
    )
    secure_store(creds)
    auth = PingOneWorkerAuth.from_env()
    assert auth.region.value == "EU"
    assert auth.token_endpoint == (
        "https://auth.pingone.eu/0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a/as/token"
    )
