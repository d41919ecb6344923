"""Auth host conformance: RFC 6749 challenges, RFC 8414 / OIDC discovery metadata, stable keys.

Each test names the text it checks, and runs over the in-process transport and the HTTPS server
(the ``harness`` fixture), as a client would see either.
"""

from __future__ import annotations

import base64
import uuid

import pytest
from jose import jwt as jose_jwt

from httpx_pingone_worker.credentials._credentials import ClientCredentials
from httpx_pingone_worker.emulator import PingOneEmulator

from .conftest import Harness


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.mark.parametrize("endpoint", ["token", "introspect", "revoke"])
@pytest.mark.parametrize("case", ["wrong secret", "unknown client", "app uses another method"])
def test_invalid_client_over_basic_carries_a_basic_challenge(
    harness: Harness, endpoint: str, case: str
) -> None:
    """Every 401 ``invalid_client`` to a client that used HTTP Basic has ``WWW-Authenticate``.

    RFC 6749 §5.2 (invalid_client): "If the client attempted to authenticate via the
    "Authorization" request header field, the authorization server MUST respond with an HTTP
    401 (Unauthorized) status code and include the WWW-Authenticate response header field
    matching the authentication scheme used by the client."
    """
    emu = harness.emu
    creds = emu.credentials
    secret = creds.client_secret.get_secret_value()  # type: ignore[union-attr]
    if case == "wrong secret":
        headers = _basic(creds.client_id, "not-the-secret")
    elif case == "unknown client":
        headers = _basic(str(uuid.uuid4()), secret)
    else:
        post_app = emu.add_worker_app(auth_method="client_secret_post", name="Post app")
        headers = _basic(post_app.client_id, post_app.client_secret.get_secret_value())  # type: ignore[union-attr]
    form = {"grant_type": "client_credentials"} if endpoint == "token" else {"token": "x.y.z"}
    r = harness.client.post(f"{harness.issuer()}/{endpoint}", data=form, headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].split()[0].lower() == "basic"
    assert secret not in r.text


def test_invalid_client_without_basic_has_no_basic_challenge(harness: Harness) -> None:
    """A client that authenticated in the body gets no Basic challenge (RFC 6749 §5.2 ties
    the header to the scheme the client used), only the 401 ``invalid_client`` body."""
    creds = harness.emu.add_worker_app(auth_method="client_secret_post", name="Post app")
    bad = ClientCredentials(
        creds.client_id, "wrong", creds.environment_id, auth_method="client_secret_post"
    )
    r = harness.token_response(bad)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    assert "WWW-Authenticate" not in r.headers


def _discovery(harness: Harness) -> dict[str, object]:
    r = harness.client.get(f"{harness.issuer()}/.well-known/openid-configuration")
    assert r.status_code == 200
    doc: dict[str, object] = r.json()
    return doc


def test_discovery_lists_the_authorization_endpoint(harness: Harness) -> None:
    """``authorization_endpoint`` is present, under the issuer.

    OpenID Connect Discovery 1.0 §3: "authorization_endpoint REQUIRED. URL of the OP's OAuth
    2.0 Authorization Endpoint"; RFC 8414 §2 makes it required whenever a grant type uses it,
    and the document lists response types (``code`` …) that do. PingOne's document lists
    ``https://auth.pingone.<tld>/<envId>/as/authorize``.
    """
    doc = _discovery(harness)
    assert doc["authorization_endpoint"] == f"{harness.issuer()}/authorize"
    assert doc["response_types_supported"]


@pytest.mark.parametrize(
    "endpoint", ["token_endpoint", "introspection_endpoint", "revocation_endpoint"]
)
def test_jwt_auth_methods_come_with_their_signing_algorithms(
    harness: Harness, endpoint: str
) -> None:
    """An endpoint listing ``client_secret_jwt``/``private_key_jwt`` lists its algorithms.

    RFC 8414 §2, for ``token_endpoint_auth_signing_alg_values_supported`` and (by reference)
    the ``introspection_``/``revocation_`` ones: "This metadata entry MUST be present if
    either of these authentication methods are specified in the
    "..._auth_methods_supported" entry." ``none`` is not allowed there.
    """
    doc = _discovery(harness)
    methods = doc[f"{endpoint}_auth_methods_supported"]
    assert isinstance(methods, list)
    assert {"client_secret_jwt", "private_key_jwt"} <= set(methods)
    algs = doc[f"{endpoint}_auth_signing_alg_values_supported"]
    assert isinstance(algs, list)
    assert {"HS256", "RS256"} <= set(algs)
    assert "none" not in algs


def test_signed_assertions_the_document_advertises_are_accepted(harness: Harness) -> None:
    """Each advertised assertion algorithm family authenticates at introspection (HS* with a
    ``client_secret_jwt`` app, RS* with a ``private_key_jwt`` app): the metadata is true."""
    doc = _discovery(harness)
    algs = doc["introspection_endpoint_auth_signing_alg_values_supported"]
    assert isinstance(algs, list)
    for method in ("client_secret_jwt", "private_key_jwt"):
        creds = harness.emu.add_worker_app(auth_method=method, name=method)
        r = harness.token_response(creds, endpoint="introspect", extra={"token": "x"})
        assert r.status_code == 200, r.text
        assert r.json() == {"active": False}
    assert any(a.startswith("HS") for a in algs)
    assert any(a.startswith("RS") for a in algs)


def test_same_seed_serves_the_same_key_under_each_kid() -> None:
    """Two emulators built from one seed publish identical JWKS (kid → the same n, e), and a
    token of one verifies with the other's JWKS; another seed shares neither kid nor key.

    RFC 7517 §4.5: "kid" is used "to match a specific key" — a client that cached the JWKS
    of an earlier run must not find new key material under a kid it knows. (Keys are derived
    from the seed, so this holds across processes too: tests/emulator/test_server_process.py
    checks two real runs.)
    """
    import httpx

    first, second = PingOneEmulator(seed=41, users=0), PingOneEmulator(seed=41, users=0)
    first.rotate_signing_key()
    second.rotate_signing_key()
    assert first.jwks == second.jwks
    assert len(first.jwks["keys"]) == 2
    with httpx.Client(transport=first.transport()) as client:
        creds = first.credentials
        token = client.post(
            first.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=(creds.client_id, creds.client_secret.get_secret_value()),  # type: ignore[union-attr]
        ).json()["access_token"]
    claims = jose_jwt.decode(
        token, second.jwks, algorithms=["RS256"], options={"verify_aud": False}
    )
    assert claims["client_id"] == creds.client_id
    other = PingOneEmulator(seed=42, users=0)
    other_keys = {k["kid"]: k["n"] for k in other.jwks["keys"]}
    ours = {k["kid"]: k["n"] for k in first.jwks["keys"]}
    assert not set(other_keys) & set(ours)
    assert not set(other_keys.values()) & set(ours.values())


def test_private_key_jwt_client_keys_follow_the_seed() -> None:
    """The key pair the emulator makes for a ``private_key_jwt`` app is the same for the same
    seed (so a key file written by one run still signs for the next) and an RSA-2048 key."""
    from cryptography.hazmat.primitives import serialization

    a = PingOneEmulator(seed=43, users=0, auth_method="private_key_jwt").credentials
    b = PingOneEmulator(seed=43, users=0, auth_method="private_key_jwt").credentials
    assert a.private_key is not None
    assert b.private_key is not None
    pem = a.private_key.get_secret_value()
    assert (pem, a.key_id) == (b.private_key.get_secret_value(), b.key_id)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert key.key_size == 2048  # type: ignore[union-attr]
