"""Python clients this project did not write, against the emulator's HTTPS server: Authlib's
metadata validation and its httpx OAuth 2 client (client_secret_basic, private_key_jwt), and a
page-through of users and groups by that client, written the way Ping's docs page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

from httpx_pingone_worker.emulator import PingOneEmulator


def _discovery(server: Any) -> dict[str, Any]:
    with httpx.Client(verify=server.ssl_context, timeout=10) as client:
        r = client.get(f"{server.issuer()}/.well-known/openid-configuration")
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


def test_authlib_validates_the_discovery_metadata() -> None:
    """Authlib's RFC 8414 and OpenID Provider metadata validation accept the document.

    RFC 8414 §2 (required members, and ``*_auth_signing_alg_values_supported`` wherever
    ``client_secret_jwt``/``private_key_jwt`` are listed), OpenID Connect Discovery 1.0 §3
    (``authorization_endpoint`` REQUIRED). Taking the introspection algorithms out fails it,
    so the check has teeth.
    """
    emu = PingOneEmulator(users=0)
    with emu.serve() as server:
        doc = _discovery(server)
    AuthorizationServerMetadata(doc).validate()
    OpenIDProviderMetadata(doc).validate()
    broken = {
        k: v
        for k, v in doc.items()
        if k != "introspection_endpoint_auth_signing_alg_values_supported"
    }
    with pytest.raises(ValueError, match="introspection_endpoint_auth_signing_alg_values"):
        AuthorizationServerMetadata(broken).validate()


def _page_through(client: OAuth2Client, url: str, key: str) -> tuple[list[dict[str, Any]], int]:
    """Ping's paging: read ``_embedded.<key>``, follow ``_links.next.href`` until it is gone."""
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        r = client.get(next_url)
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["_embedded"][key])
        pages += 1
        next_url = body["_links"].get("next", {}).get("href")
    return items, pages


@pytest.mark.parametrize("method", ["client_secret_basic", "private_key_jwt"])
def test_authlib_client_gets_a_token_and_pages_through_users_and_groups(method: str) -> None:
    """Authlib's httpx ``OAuth2Client`` gets a client-credentials token (Basic, or a
    ``PrivateKeyJWT`` assertion signed with the app's key) from the discovered token
    endpoint, then pages through every user (5 a page) and group.

    Sources: RFC 6749 §4.4; RFC 7523 §2.2; PingOne "Pagination".
    """
    emu = PingOneEmulator(
        users=12, auth_method=method, roles=("Environment Admin", "Identity Data Admin")
    )
    creds = emu.credentials
    if method == "private_key_jwt":
        assert creds.private_key is not None
        secret = creds.private_key.get_secret_value()
    else:
        assert creds.client_secret is not None
        secret = creds.client_secret.get_secret_value()
    with emu.serve() as server:
        token_endpoint = _discovery(server)["token_endpoint"]
        auth: Any = PrivateKeyJWT(token_endpoint) if method == "private_key_jwt" else method
        with OAuth2Client(
            creds.client_id, secret, token_endpoint_auth_method=auth, verify=server.ssl_context
        ) as client:
            token = client.fetch_token(token_endpoint, grant_type="client_credentials")
            assert token["token_type"].lower() == "bearer"
            assert token["expires_in"] == 3600
            api = f"{server.api_base_url}/environments/{emu.environment_id}"
            users, pages = _page_through(client, f"{api}/users?limit=5", "users")
            groups, group_pages = _page_through(client, f"{api}/groups?limit=2", "groups")
    assert len({u["id"] for u in users}) == 12
    assert pages >= 3
    assert group_pages >= 2
    assert len({g["id"] for g in groups}) == len(groups) >= 3
    token_calls = [r for r in emu.requests if r.endpoint == "token"]
    assert [(r.status, r.auth_method) for r in token_calls] == [(200, method)]
