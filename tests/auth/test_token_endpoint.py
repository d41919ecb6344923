"""Token endpoint: request building for every auth method, strict parsing, sync shell."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from auth_support import CLIENT_ID, SECRET, TOKEN_URL, FakeClock, oauth_error

from httpx_pingone_worker import (
    ConfigurationError,
    InsecureTransportError,
    TokenEndpointUnreachableError,
    TokenProtocolError,
    TokenRequestError,
    request_client_credentials_token,
)
from httpx_pingone_worker._core._retry import RetryPolicy
from httpx_pingone_worker.oauth._token_request import build_token_request
from httpx_pingone_worker.oauth._token_response import (
    error_from_response,
    parse_token_response,
)

NOW = 1_700_000_000.0


def _form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode(), keep_blank_values=True, strict_parsing=True)


@pytest.fixture(scope="module")
def rsa_pem() -> tuple[str, Any]:
    """A fresh RSA key: (private PEM, public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public.decode()


def test_client_secret_basic_request_is_exact() -> None:
    """Basic auth form-url-encodes id and secret before base64 and sends grant + scope."""
    secret = "a b:c/d+é"
    req = build_token_request(TOKEN_URL, CLIENT_ID, secret, ["p1:read", "openid"], now=NOW)
    assert req.method == "POST"
    assert req.url == TOKEN_URL
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.headers["Accept"] == "application/json"
    expected = base64.b64encode(f"{CLIENT_ID}:a+b%3Ac%2Fd%2B%C3%A9".encode()).decode()
    assert req.headers["Authorization"] == f"Basic {expected}"
    assert _form(req.body) == {
        "grant_type": ["client_credentials"],
        "scope": ["openid p1:read"],
    }
    assert req.requested_scopes == frozenset({"openid", "p1:read"})


def test_client_secret_post_request_is_exact() -> None:
    """client_secret_post puts id and secret in the form and sends no Authorization."""
    req = build_token_request(
        TOKEN_URL, CLIENT_ID, SECRET, None, auth_method="client_secret_post", now=NOW
    )
    assert "Authorization" not in req.headers
    assert _form(req.body) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
    }


def test_client_secret_jwt_assertion_claims() -> None:
    """client_secret_jwt sends an HS256 assertion with PingOne's claims, signed by the secret."""
    from jose import jwt

    req = build_token_request(
        TOKEN_URL, CLIENT_ID, SECRET, "a", auth_method="CLIENT_SECRET_JWT", now=NOW
    )
    form = _form(req.body)
    assert "Authorization" not in req.headers
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assert form["client_id"] == [CLIENT_ID]
    assert form["scope"] == ["a"]
    assertion = form["client_assertion"][0]
    assert jwt.get_unverified_header(assertion)["alg"] == "HS256"
    claims = jwt.decode(
        assertion,
        SECRET,
        algorithms=["HS256"],
        audience=TOKEN_URL,
        options={"verify_exp": False},
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == TOKEN_URL
    assert claims["iat"] == int(NOW)
    assert claims["exp"] == int(NOW) + 60
    assert len(claims["jti"]) >= 16


def test_private_key_jwt_assertion_claims_and_kid(rsa_pem: tuple[str, Any]) -> None:
    """private_key_jwt signs RS256 with the private key, names the kid, and jti is fresh."""
    from jose import jwt

    pem, public = rsa_pem
    reqs = [
        build_token_request(
            TOKEN_URL,
            CLIENT_ID,
            None,
            None,
            auth_method="private_key_jwt",
            private_key=pem,
            key_id="kid-1",
            now=NOW,
        )
        for _ in range(2)
    ]
    assertions = [_form(r.body)["client_assertion"][0] for r in reqs]
    header = jwt.get_unverified_header(assertions[0])
    assert header["alg"] == "RS256"
    assert header["kid"] == "kid-1"
    claims = [
        jwt.decode(
            a, public, algorithms=["RS256"], audience=TOKEN_URL, options={"verify_exp": False}
        )
        for a in assertions
    ]
    assert claims[0]["iss"] == claims[0]["sub"] == CLIENT_ID
    assert 0 < claims[0]["exp"] - claims[0]["iat"] <= 3600
    assert claims[0]["jti"] != claims[1]["jti"]
    assert "client_secret" not in _form(reqs[0].body)


def test_private_key_jwt_without_key_is_a_configuration_error() -> None:
    """A missing private key is reported with a hint, not a crash inside jose."""
    with pytest.raises(ConfigurationError, match="private key"):
        build_token_request(
            TOKEN_URL, CLIENT_ID, None, None, auth_method="private_key_jwt", now=NOW
        )


def _ok(**fields: Any) -> bytes:
    body = {"access_token": "at-123456789", "token_type": "Bearer", "expires_in": 3600}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not _DROP}).encode()


_DROP = object()


def test_parse_valid_response() -> None:
    """A valid answer becomes a Token with absolute times and granted scopes."""
    token = parse_token_response(
        200,
        {},
        _ok(scope="b a", token_type="bearer"),
        endpoint=TOKEN_URL,
        requested_scopes={"a", "c"},
        now=NOW,
    )
    assert token.access_token.get_secret_value() == "at-123456789"
    assert token.token_type == "Bearer"
    assert token.expires_at == NOW + 3600
    assert token.scopes == frozenset({"a", "b"})
    assert token.missing_scopes == frozenset({"c"})
    assert token.scope_returned is True


def test_parse_absent_scope_means_requested() -> None:
    """Without ``scope`` the granted scopes are the requested ones (RFC 6749 §5.1)."""
    token = parse_token_response(
        200, {}, _ok(), endpoint=TOKEN_URL, requested_scopes={"x"}, now=NOW
    )
    assert token.scopes == frozenset({"x"})
    assert token.scope_returned is False


@pytest.mark.parametrize(("value", "expected"), [("3600", 3600), (7200.0, 7200), (1, 1)])
def test_parse_accepts_integer_like_expires_in(value: Any, expected: int) -> None:
    """Digit strings and integral floats are accepted as expires_in."""
    token = parse_token_response(200, {}, _ok(expires_in=value), endpoint=TOKEN_URL, now=NOW)
    assert token.expires_in == expected


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"<html><body>login</body></html>", "HTML"),
        (b"not json at all", "not JSON"),
        (b"", "empty body"),
        (b"[1, 2]", "not an object"),
        (_ok(access_token=_DROP), "access_token"),
        (_ok(access_token=""), "access_token"),
        (_ok(access_token=42), "access_token"),
        (_ok(token_type="mac"), "token_type"),
        (_ok(token_type=_DROP), "token_type"),
        (_ok(expires_in=_DROP), "expires_in is missing"),
        (_ok(expires_in=0), "must be positive"),
        (_ok(expires_in=-5), "must be positive"),
        (_ok(expires_in="-5"), "not an integer"),
        (_ok(expires_in="1h"), "not an integer"),
        (_ok(expires_in=3600.5), "not an integer"),
        (_ok(expires_in=True), "not an integer"),
        (_ok(scope=["a"]), "scope"),
    ],
)
def test_parse_rejections(body: bytes, needle: str) -> None:
    """Every malformed 200 is a TokenProtocolError naming the problem, never the body."""
    with pytest.raises(TokenProtocolError) as info:
        parse_token_response(200, {"Correlation-Id": "c-9"}, body, endpoint=TOKEN_URL, now=NOW)
    assert needle in str(info.value)
    assert "at-123456789" not in str(info.value)
    assert "login" not in str(info.value)
    assert info.value.correlation_id == "c-9"


def test_oauth_error_body_becomes_token_request_error() -> None:
    """An RFC 6749 error body maps to TokenRequestError with structured fields and a hint."""
    err = error_from_response(
        401,
        {"correlation-id": "abc-123"},
        b'{"error": "invalid_client", "error_description": "Unsupported authentication method"}',
        endpoint=TOKEN_URL,
    )
    assert isinstance(err, TokenRequestError)
    assert err.error == "invalid_client"
    assert err.error_description == "Unsupported authentication method"
    assert err.status_code == 401
    assert err.correlation_id == "abc-123"
    assert err.hint
    assert "auth method" in err.hint
    assert "invalid_client" in str(err)


@pytest.mark.parametrize(
    "body", [b"<html>Bad Gateway secret-page</html>", b'{"message": "secret-page"}', b"x"]
)
def test_non_oauth_error_body_is_protocol_error_without_body(body: bytes) -> None:
    """A non-OAuth error page becomes TokenProtocolError that does not quote the page."""
    err = error_from_response(502, {}, body, endpoint=TOKEN_URL)
    assert isinstance(err, TokenProtocolError)
    assert err.status_code == 502
    assert "secret-page" not in str(err)
    assert "secret-page" not in repr(err)


@respx.mock
def test_request_client_credentials_token_via_respx() -> None:
    """The sync shell sends one request through respx and returns the parsed token."""
    route = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200, json={"access_token": "abc-1234567", "token_type": "Bearer", "expires_in": 300}
        )
    )
    token = request_client_credentials_token(TOKEN_URL, CLIENT_ID, SECRET, "s1", clock=lambda: NOW)
    assert route.call_count == 1
    assert token.expires_at == NOW + 300
    assert _form(route.calls[0].request.content)["scope"] == ["s1"]


def test_shell_uses_given_client_and_raises_oauth_errors_without_retry() -> None:
    """invalid_client is raised at once (one request, no sleeps)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return oauth_error(400, "invalid_client", "bad secret")

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(TokenRequestError) as info,
    ):
        request_client_credentials_token(TOKEN_URL, CLIENT_ID, SECRET, client=client)
    assert len(calls) == 1
    assert info.value.error == "invalid_client"


def test_shell_wraps_network_errors_naming_the_endpoint() -> None:
    """Connect errors are retried, then reported as unreachable with the endpoint named."""
    clock = FakeClock()
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("boom", request=request)

    policy = RetryPolicy(max_attempts=3, backoff_base=0.0, jitter=0.0)
    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(TokenEndpointUnreachableError) as info,
    ):
        request_client_credentials_token(
            TOKEN_URL, CLIENT_ID, SECRET, client=client, clock=clock, retry=policy
        )
    assert len(calls) == 3
    assert TOKEN_URL in str(info.value)
    assert "ConnectError" in str(info.value.__cause__)
    # The network failure's own advice survives the give-up, not "try again later".
    assert info.value.hint is not None
    assert "network" in info.value.hint


def test_shell_rejects_insecure_endpoint() -> None:
    """Plain http to a non-loopback host is refused before any I/O."""
    with pytest.raises(InsecureTransportError):
        request_client_credentials_token("http://example.com/as/token", CLIENT_ID, SECRET)
