"""Client authentication parts for all four methods (sans-IO), checked byte for byte."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from jose import jwt as jose_jwt

from canary import CANARY_CLIENT_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import Secret
from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker.oauth._client_auth import (
    ASSERTION_TYPE,
    DEFAULT_ASSERTION_LIFETIME,
    client_auth,
    make_client_assertion,
)

AUD = "https://auth.pingone.com/0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a/as/token"


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    """A fresh 2048-bit RSA key pair as (private PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def decode(assertion: str, key: str, algorithm: str) -> dict[str, Any]:
    claims: dict[str, Any] = jose_jwt.decode(
        assertion, key, algorithms=[algorithm], audience=AUD, issuer=CANARY_CLIENT_ID
    )
    return claims


# --- client_secret_basic ----------------------------------------------------------------


def test_basic_exact_header() -> None:
    """Basic: base64 of id:secret; nothing in the form."""
    parts = client_auth(
        "client_secret_basic",
        client_id="client",
        client_secret=Secret("secret"),
        audience=AUD,
        now=0,
    )
    assert parts.headers == {
        "Authorization": "Basic " + base64.b64encode(b"client:secret").decode()
    }
    assert parts.form == {}


def test_basic_form_url_encodes_before_base64() -> None:
    """RFC 6749 §2.3.1 / Appendix B: id and secret are form-url-encoded, then base64'd."""
    parts = client_auth(
        "client_secret_basic",
        client_id="my client:1",
        client_secret=" %&+£€",  # the example string of RFC 6749 Appendix B
        audience=AUD,
        now=0,
    )
    raw = "my+client%3A1:+%25%26%2B%C2%A3%E2%82%AC"
    assert parts.headers["Authorization"] == "Basic " + base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("secret", "encoded"),
    [
        ("a:b", "a%3Ab"),
        ("p@ss/w=rd?", "p%40ss%2Fw%3Drd%3F"),
        ("tilde~dash-dot.under_", "tilde~dash-dot.under_"),
    ],
)
def test_basic_special_characters(secret: str, encoded: str) -> None:
    """Colons, reserved characters and unreserved ones encode as form-url-encoding does."""
    parts = client_auth(
        "client_secret_basic", client_id="c", client_secret=secret, audience=AUD, now=0
    )
    token = parts.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == f"c:{encoded}"


# --- client_secret_post -----------------------------------------------------------------


def test_post_body() -> None:
    """Post: client_id and client_secret in the form, raw (the form encoder encodes)."""
    parts = client_auth(
        "CLIENT_SECRET_POST",
        client_id=CANARY_CLIENT_ID,
        client_secret=Secret("p@ss word"),
        audience=AUD,
        now=0,
    )
    assert parts.headers == {}
    assert parts.form == {"client_id": CANARY_CLIENT_ID, "client_secret": "p@ss word"}


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
@pytest.mark.parametrize("secret", [None, ""])
def test_secret_methods_need_secret(method: str, secret: str | None) -> None:
    """Secret-based methods without a secret are ConfigurationErrors naming the method."""
    with pytest.raises(ConfigurationError, match=method):
        client_auth(method, client_id="c", client_secret=secret, audience=AUD, now=0)


def test_parts_repr_hides_values() -> None:
    """ClientAuthParts' repr lists names only."""
    parts = client_auth(
        "client_secret_post", client_id="c", client_secret=CANARY_SECRET, audience=AUD, now=0
    )
    assert repr(parts) == "ClientAuthParts(headers=[], form=['client_id', 'client_secret'])"
    basic = client_auth(
        "client_secret_basic", client_id="c", client_secret=CANARY_SECRET, audience=AUD, now=0
    )
    assert_no_canary(repr(basic))


# --- JWT assertions ---------------------------------------------------------------------


def check_claims(claims: dict[str, Any], now: int) -> None:
    assert claims["iss"] == CANARY_CLIENT_ID
    assert claims["sub"] == CANARY_CLIENT_ID
    assert claims["aud"] == AUD
    assert claims["iat"] == now
    assert claims["exp"] == now + DEFAULT_ASSERTION_LIFETIME
    assert isinstance(claims["jti"], str)
    assert len(claims["jti"]) >= 16


def test_client_secret_jwt_hs256() -> None:
    """client_secret_jwt: an HS256 assertion signed with the secret, correct claims."""
    now = int(time.time())
    parts = client_auth(
        "client_secret_jwt",
        client_id=CANARY_CLIENT_ID,
        client_secret=Secret(CANARY_SECRET),
        audience=AUD,
        now=lambda: now + 0.7,
    )
    assert parts.headers == {}
    assert parts.form["client_id"] == CANARY_CLIENT_ID
    assert parts.form["client_assertion_type"] == ASSERTION_TYPE
    assertion = parts.form["client_assertion"]
    assert jose_jwt.get_unverified_header(assertion)["alg"] == "HS256"
    check_claims(decode(assertion, CANARY_SECRET, "HS256"), now)
    with pytest.raises(Exception, match="Signature"):
        decode(assertion, "wrong-secret", "HS256")


def test_private_key_jwt_rs256(rsa_keys: tuple[str, str]) -> None:
    """private_key_jwt: an RS256 assertion with kid, verifiable with the public key."""
    private, public = rsa_keys
    now = int(time.time())
    parts = client_auth(
        "private_key_jwt",
        client_id=CANARY_CLIENT_ID,
        client_secret=None,
        private_key=Secret(private),
        key_id="key-1",
        audience=AUD,
        now=now,
    )
    assert parts.form["client_assertion_type"] == ASSERTION_TYPE
    assertion = parts.form["client_assertion"]
    header = jose_jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    assert header["kid"] == "key-1"
    check_claims(decode(assertion, public, "RS256"), now)


def test_private_key_as_bytes_without_kid(rsa_keys: tuple[str, str]) -> None:
    """A bytes PEM works; without key_id the header has no kid."""
    private, public = rsa_keys
    now = int(time.time())
    parts = client_auth(
        "private_key_jwt",
        client_id=CANARY_CLIENT_ID,
        client_secret=None,
        private_key=private.encode(),
        audience=AUD,
        now=now,
    )
    assertion = parts.form["client_assertion"]
    assert "kid" not in jose_jwt.get_unverified_header(assertion)
    check_claims(decode(assertion, public, "RS256"), now)


def test_jti_is_fresh() -> None:
    """Every assertion gets a new jti."""
    now = int(time.time())
    jtis = {
        jose_jwt.get_unverified_claims(
            client_auth(
                "client_secret_jwt",
                client_id="c",
                client_secret=CANARY_SECRET,
                audience=AUD,
                now=now,
            ).form["client_assertion"]
        )["jti"]
        for _ in range(20)
    }
    assert len(jtis) == 20


@pytest.mark.parametrize("lifetime", [0, -1, 3601])
def test_assertion_lifetime_bounds(lifetime: int) -> None:
    """Assertion lifetimes outside 1..3600 s are rejected (PingOne: exp at most 1 h ahead)."""
    with pytest.raises(ConfigurationError, match="lifetime"):
        make_client_assertion(
            client_id="c", audience=AUD, algorithm="HS256", key="k" * 32, now=0, lifetime=lifetime
        )


def test_assertion_lifetime_custom() -> None:
    """A custom lifetime sets exp = iat + lifetime."""
    now = int(time.time())
    parts = client_auth(
        "client_secret_jwt",
        client_id="c",
        client_secret="s" * 32,
        audience=AUD,
        now=now,
        assertion_lifetime=3600,
    )
    claims = jose_jwt.get_unverified_claims(parts.form["client_assertion"])
    assert claims["exp"] - claims["iat"] == 3600


def test_private_key_missing() -> None:
    """private_key_jwt without a key is a ConfigurationError with a hint."""
    with pytest.raises(ConfigurationError, match="private key") as info:
        client_auth("private_key_jwt", client_id="c", client_secret="s", audience=AUD, now=0)
    assert info.value.hint is not None


def test_bad_private_key_not_echoed() -> None:
    """A key jose cannot use gives the error type only, never key material."""
    bad = f"-----BEGIN PRIVATE KEY-----\n{CANARY_SECRET}\n-----END PRIVATE KEY-----"
    with pytest.raises(ConfigurationError, match="RS256") as info:
        client_auth(
            "private_key_jwt",
            client_id="c",
            client_secret=None,
            private_key=bad,
            audience=AUD,
            now=0,
        )
    assert_no_canary(str(info.value))
    assert_no_canary(repr(info.value))
    assert info.value.__suppress_context__


def test_unknown_method() -> None:
    """An unknown auth method is rejected."""
    with pytest.raises(ConfigurationError, match="unknown token endpoint auth method"):
        client_auth("none", client_id="c", client_secret="s", audience=AUD, now=0)


def test_rsa_key_is_parsed_once_and_still_verifies(
    rsa_keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeated private_key_jwt assertions parse the PEM once; each still verifies."""
    from jose import jwk

    from httpx_pingone_worker.oauth import _client_auth

    private_pem, public_pem = rsa_keys
    monkeypatch.setattr(_client_auth, "_KEYS", type(_client_auth._KEYS)())
    calls: list[str] = []
    real_construct = jwk.construct

    def counting_construct(key: Any, algorithm: str | None = None) -> Any:
        calls.append(str(algorithm))
        return real_construct(key, algorithm)

    monkeypatch.setattr(jwk, "construct", counting_construct)
    now = int(time.time())
    assertions = [
        client_auth(
            "private_key_jwt",
            client_id=CANARY_CLIENT_ID,
            client_secret=None,
            audience=AUD,
            now=now,
            private_key=private_pem,
        ).form["client_assertion"]
        for _ in range(5)
    ]
    assert calls == ["RS256"]
    monkeypatch.setattr(jwk, "construct", real_construct)
    for assertion in assertions:
        check_claims(decode(assertion, public_pem, "RS256"), now)
    assert len(set(assertions)) == 5  # a fresh jti each time
