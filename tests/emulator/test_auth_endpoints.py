"""Auth host: discovery, JWKS, token, introspection, revocation, over both adapters."""

from __future__ import annotations

import time
import uuid

import pytest
from jose import jwt as jose_jwt

from httpx_pingone_worker.credentials._credentials import AUTH_METHODS, ClientCredentials
from httpx_pingone_worker.emulator import PingOneEmulator
from httpx_pingone_worker.oauth._client_auth import ASSERTION_TYPE

from .conftest import Harness


def test_discovery_document_shape(harness: Harness) -> None:
    """Discovery names the issuer it was fetched from and every auth endpoint under it."""
    r = harness.client.get(f"{harness.issuer()}/.well-known/openid-configuration")
    assert r.status_code == 200
    doc = r.json()
    iss = harness.issuer()
    assert doc["issuer"] == iss
    assert doc["token_endpoint"] == f"{iss}/token"
    assert doc["jwks_uri"] == f"{iss}/jwks"
    assert doc["introspection_endpoint"] == f"{iss}/introspect"
    assert doc["revocation_endpoint"] == f"{iss}/revoke"
    assert "client_credentials" in doc["grant_types_supported"]
    assert set(AUTH_METHODS) <= set(doc["token_endpoint_auth_methods_supported"])
    assert r.headers["Correlation-Id"]


def test_jwks_shape(harness: Harness) -> None:
    """The JWKS holds public RSA keys only, each with a kid."""
    keys = harness.client.get(f"{harness.issuer()}/jwks").json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["kid"]
        assert {"n", "e"} <= set(key)
        assert "d" not in key


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_each_auth_method_gets_a_verifiable_token(harness: Harness, method: str) -> None:
    """An app configured for ``method`` gets an RS256 at+jwt that python-jose verifies."""
    creds = harness.emu.add_worker_app(auth_method=method, name=f"app-{method}")
    r = harness.token_response(creds)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    token = body["access_token"]
    header = jose_jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["typ"] == "at+jwt"
    jwks = harness.client.get(f"{harness.issuer()}/jwks").json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = jose_jwt.decode(
        token, jwks, algorithms=["RS256"], audience="https://api.pingone.com",
        issuer=harness.issuer(),
    )  # fmt: skip
    assert claims["client_id"] == creds.client_id
    assert claims["env"] == harness.emu.environment_id
    assert claims["org"] == harness.emu.organization_id
    assert claims["exp"] - claims["iat"] == 3600
    assert {"jti", "scope"} <= set(claims)
    assert "sub" not in claims
    token_records = [rec for rec in harness.emu.requests if rec.endpoint == "token"]
    assert token_records[-1].auth_method == method
    assert token_records[-1].client_id == creds.client_id


@pytest.mark.parametrize(
    ("configured", "presented"),
    [(c, p) for c in AUTH_METHODS for p in AUTH_METHODS if c != p],
)
def test_auth_method_mismatch_rejected(
    emu: PingOneEmulator, configured: str, presented: str
) -> None:
    """Presenting any method but the configured one is invalid_client "Unsupported ..."."""
    import httpx

    from .conftest import Harness

    creds = emu.add_worker_app(auth_method=configured)
    if presented == "private_key_jwt" and creds.private_key is None:
        other = emu.add_worker_app(auth_method="private_key_jwt")
        creds = ClientCredentials(
            creds.client_id, creds.client_secret, creds.environment_id,
            auth_method="private_key_jwt", private_key=other.private_key, key_id=other.key_id,
        )  # fmt: skip
    with httpx.Client(transport=emu.transport()) as client:
        h = Harness(emu, client, emu.auth_base_url, emu.api_base_url, "transport")
        r = h.token_response(creds, method=presented)
    assert r.status_code == 401
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "Unsupported authentication method",
    }


def test_mismatch_accepted_when_not_strict() -> None:
    """strict_auth=False accepts any method whose credentials are right."""
    import httpx

    emu = PingOneEmulator(users=0, strict_auth=False)
    with httpx.Client(transport=emu.transport()) as client:
        h = Harness(emu, client, emu.auth_base_url, emu.api_base_url, "transport")
        assert h.token_response(method="client_secret_post").status_code == 200
        assert h.token_response(method="client_secret_jwt").status_code == 200


def test_mismatch_over_server(harness: Harness) -> None:
    """The HTTPS server rejects a mismatch too (basic app, post presented)."""
    r = harness.token_response(method="client_secret_post")
    assert r.status_code == 401
    assert r.json()["error_description"] == "Unsupported authentication method"


def test_wrong_secret_and_unknown_client(harness: Harness) -> None:
    """A wrong secret or unknown client id is 401 invalid_client with no detail leak."""
    c = harness.emu.credentials
    bad = ClientCredentials(c.client_id, "wrong-secret", c.environment_id)
    r = harness.token_response(bad)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in r.headers
    unknown = ClientCredentials(str(uuid.uuid4()), "x", c.environment_id)
    assert harness.token_response(unknown).json()["error"] == "invalid_client"


def test_rfc6749_request_errors(harness: Harness) -> None:
    """Missing/unsupported grant types, no client auth, JSON bodies: RFC 6749 errors."""
    url = harness.token_url()
    c = harness.emu.credentials
    auth = (c.client_id, c.client_secret.get_secret_value())  # type: ignore[union-attr]
    r = harness.client.post(url, data={}, auth=auth)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    r = harness.client.post(url, data={"grant_type": "password"}, auth=auth)
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_grant_type")
    r = harness.client.post(url, data={"grant_type": "client_credentials"})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = harness.client.post(url, json={"grant_type": "client_credentials"}, auth=auth)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    r = harness.client.get(url)
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")


def test_unknown_environment_is_404(harness: Harness) -> None:
    """The auth host answers 404 NOT_FOUND for an environment it does not have."""
    r = harness.client.get(f"{harness.issuer(str(uuid.uuid4()))}/jwks")
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"


def test_scopes_granted_partially_and_invalid_scope(harness: Harness) -> None:
    """Allowed scopes are granted, unknown ones dropped; only-unknown is invalid_scope."""
    r = harness.token_response(scope="p1:read:user nope:scope")
    assert r.status_code == 200
    assert r.json()["scope"] == "p1:read:user"
    r = harness.token_response(scope="nope:scope")
    assert (r.status_code, r.json()["error"]) == (400, "invalid_scope")
    assert "scope" not in harness.token_response().json()


def test_disabled_app_is_unauthorized(harness: Harness) -> None:
    """A disabled app with correct credentials gets unauthorized_client."""
    creds = harness.emu.add_worker_app(enabled=False)
    r = harness.token_response(creds)
    assert (r.status_code, r.json()["error"]) == (400, "unauthorized_client")


def _assertion(
    emu: PingOneEmulator, creds: ClientCredentials, audience: str, **over: object
) -> str:
    now = int(emu.clock.now())
    claims: dict[str, object] = {
        "iss": creds.client_id, "sub": creds.client_id, "aud": audience,
        "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    for k, v in over.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    assert creds.client_secret is not None
    return jose_jwt.encode(claims, creds.client_secret.get_secret_value(), algorithm="HS256")


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"iss": "someone-else"}, "iss and sub"),
        ({"sub": "someone-else"}, "iss and sub"),
        ({"aud": "https://example.com/token"}, "aud"),
        ({"exp": None}, "no exp"),
        ({"exp": -120}, "expired"),
        ({"exp": 7200}, "one hour"),
        ({"nbf": 600}, "nbf"),
    ],
)
def test_client_assertion_claims_validated(
    harness: Harness, override: dict[str, int | str | None], reason: str
) -> None:
    """Each rule of PINGONE.md for client assertions rejects a bad claim."""
    emu = harness.emu
    creds = emu.add_worker_app(auth_method="client_secret_jwt")
    now = int(emu.clock.now())
    over = {k: (now + v if isinstance(v, int) else v) for k, v in override.items()}
    url = harness.token_url()
    form = {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": _assertion(emu, creds, url, **over),
    }
    r = harness.client.post(url, data=form)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert reason in r.json()["error_description"]


@pytest.mark.parametrize("aud_kind", ["token", "issuer", "canonical"])
def test_client_assertion_audiences_accepted(harness: Harness, aud_kind: str) -> None:
    """aud may be the token endpoint, the issuer, or PingOne's canonical token URL."""
    emu = harness.emu
    creds = emu.add_worker_app(auth_method="client_secret_jwt")
    aud = {
        "token": harness.token_url(),
        "issuer": harness.issuer(),
        "canonical": emu.token_endpoint,
    }[aud_kind]
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": _assertion(emu, creds, aud),
    }
    assert harness.client.post(harness.token_url(), data=form).status_code == 200


def test_private_key_jwt_with_wrong_key_rejected(harness: Harness) -> None:
    """An assertion signed by a key outside the app's JWKS fails signature checks."""
    emu = harness.emu
    app = emu.add_worker_app(auth_method="private_key_jwt")
    other = emu.add_worker_app(auth_method="private_key_jwt")
    forged = ClientCredentials(
        app.client_id, None, app.environment_id,
        auth_method="private_key_jwt", private_key=other.private_key, key_id=app.key_id,
    )  # fmt: skip
    r = harness.token_response(forged)
    assert r.status_code == 401
    assert "signature" in r.json()["error_description"]


def test_introspection(harness: Harness) -> None:
    """Introspection needs client auth and reports RFC 7662 fields; expired is inactive."""
    token = harness.token()
    r = harness.token_response(endpoint="introspect", extra={"token": token})
    assert r.status_code == 200
    body = r.json()
    assert body["active"] is True
    assert body["client_id"] == harness.emu.client_id
    assert body["token_type"] == "Bearer"
    assert {"exp", "iat", "iss", "aud", "scope"} <= set(body)
    assert (
        harness.client.post(f"{harness.issuer()}/introspect", data={"token": token}).status_code
        == 401
    )
    r = harness.token_response(endpoint="introspect", extra={"token": "not-a-token"})
    assert r.json() == {"active": False}
    harness.emu.clock.advance(3601)
    r = harness.token_response(endpoint="introspect", extra={"token": token})
    assert r.json() == {"active": False}


def test_revoke_is_unsupported_for_client_credentials_tokens(harness: Harness) -> None:
    """Revoking an issued token is unsupported_token_type and the token stays valid."""
    token = harness.token()
    r = harness.token_response(endpoint="revoke", extra={"token": token})
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_token_type")
    assert harness.api(harness.env_path, token).status_code == 200
    r = harness.token_response(endpoint="revoke", extra={"token": "unknown"})
    assert r.status_code == 200


def test_secret_rotation_grace(harness: Harness) -> None:
    """After rotation both secrets work until the grace period ends, then only the new."""
    emu = harness.emu
    old = emu.credentials
    new_secret = emu.rotate_client_secret(old.client_id, grace_seconds=600)
    assert emu.credentials.client_secret == new_secret
    assert harness.token_response(old).status_code == 200
    assert harness.token_response(emu.credentials).status_code == 200
    emu.clock.advance(601)
    assert harness.token_response(old).status_code == 401
    assert harness.token_response(emu.credentials).status_code == 200


def test_token_lifetime_and_signing_key_rotation(harness: Harness) -> None:
    """set_token_lifetime changes expires_in; a rotated key signs and both stay published."""
    emu = harness.emu
    emu.set_token_lifetime(300)
    assert harness.token_response().json()["expires_in"] == 300
    old_kid = jose_jwt.get_unverified_header(harness.token())["kid"]
    new_kid = emu.rotate_signing_key()
    token = harness.token()
    assert jose_jwt.get_unverified_header(token)["kid"] == new_kid != old_kid
    kids = {k["kid"] for k in harness.client.get(f"{harness.issuer()}/jwks").json()["keys"]}
    assert {old_kid, new_kid} <= kids


def test_tokens_are_not_reused(harness: Harness) -> None:
    """Two token requests give two different tokens (distinct jti), counted in token_requests."""
    before = harness.emu.token_requests
    assert harness.token() != harness.token()
    assert harness.emu.token_requests == before + 2


def test_jwt_times_follow_emulator_clock(harness: Harness) -> None:
    """iat comes from the emulator clock, which starts at real time."""
    claims = jose_jwt.get_unverified_claims(harness.token())
    assert abs(claims["iat"] - time.time()) < 60
