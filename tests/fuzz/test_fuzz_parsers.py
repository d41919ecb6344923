"""Every JSON parser against garbage bodies: a library error naming the problem, no leak.

Covers what fuzzing once found: deep nesting (a RecursionError), introspection
exp/iat/nbf, tokenCacheTtlPercent, expires_in digits, and the not-JSON messages.
"""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path
from typing import Any

import httpx
from fuzz_support import (
    CANARY,
    garbage_bodies,
    library_error,
    number_literals,
    object_with,
    raises_library_error,
    unsigned_jwt,
)
from hypothesis import example, given
from hypothesis import strategies as st

from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    IntrospectionError,
    JWKSCache,
    JWTError,
    ManagementApiError,
    PingOneClient,
    TokenError,
    decode_jwt,
    introspect_token,
    request_client_credentials_token,
    resolve_settings,
    test_api_access,
    verify_jwt,
)

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
TOKEN_URL = f"https://auth.pingone.com/{ENV}/as/token"
# RetryPolicy via the public signature: its module moves with the layout work.
_RetryPolicy = type(inspect.signature(request_client_credentials_token).parameters["retry"].default)
NO_RETRY = _RetryPolicy(max_attempts=1)


def _client(body: bytes, status: int = 200, content_type: str = "application/json") -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    return httpx.Client(transport=httpx.MockTransport(handler))


def _creds() -> ClientCredentials:
    return ClientCredentials(CLIENT_ID, CANARY, ENV)


# --- token endpoint ----------------------------------------------------------------------


@given(body=garbage_bodies(), status=st.sampled_from([200, 400, 401, 500]))
@example(body=b"[" * 100_000, status=200)
@example(body=b"[" * 100_000, status=400)
@example(body=b'{"error": ' * 30_000, status=400)
def test_token_endpoint_garbage_is_a_token_error(body: bytes, status: int) -> None:
    """A token endpoint sending garbage gives a TokenError, never a builtin exception."""
    with _client(body, status) as http:
        raises_library_error(
            lambda: request_client_credentials_token(
                TOKEN_URL, CLIENT_ID, CANARY, client=http, retry=NO_RETRY, clock=lambda: 1000.0
            ),
            TokenError,
        )


@given(expires_in=number_literals())
@example(expires_in=f'"{"9" * 4301}"')
@example(expires_in="9" * 5000)
@example(expires_in="1e400")
@example(expires_in="NaN")
def test_token_expires_in_is_checked_without_crashing(expires_in: str) -> None:
    """Any expires_in ends in a Token with a sane lifetime or a TokenError naming the field."""
    body = object_with(
        {"expires_in": expires_in}, {"access_token": "tok.en.x", "token_type": "Bearer"}
    )
    with _client(body) as http:
        outcome = library_error(
            lambda: request_client_credentials_token(
                TOKEN_URL, CLIENT_ID, CANARY, client=http, retry=NO_RETRY, clock=lambda: 1000.0
            ),
            TokenError,
        )
    if isinstance(outcome, TokenError):
        # Names the field, or says the number is the problem: never a bare "not JSON".
        assert "expires_in" in outcome.message or "number" in outcome.message, outcome.message
        assert "not JSON" not in outcome.message, "a number that is too big is not 'not JSON'"
    else:
        assert 0 < outcome.expires_in <= 30 * 86400


# --- introspection -----------------------------------------------------------------------


@given(body=garbage_bodies(), status=st.sampled_from([200, 400, 401, 503]))
@example(body=b"[" * 100_000, status=200)
def test_introspection_garbage_is_an_introspection_error(body: bytes, status: int) -> None:
    """A garbage introspection answer gives IntrospectionError."""
    with _client(body, status) as http:
        library_error(
            lambda: introspect_token(
                f"https://auth.pingone.com/{ENV}/as/introspect", "some.token", _creds(), client=http
            ),
            IntrospectionError,
        )


@given(
    claim=st.sampled_from(["exp", "iat", "nbf"]),
    literal=number_literals(),
)
@example(claim="exp", literal="Infinity")
@example(claim="iat", literal="NaN")
@example(claim="nbf", literal="1e400")
@example(claim="exp", literal="9" * 400)
def test_introspection_time_claims_are_numbers_or_errors(claim: str, literal: str) -> None:
    """exp/iat/nbf of NaN, inf, 1e400 or 400 digits: an int that fits, None, or an error."""
    body = object_with({claim: literal}, {"active": True})
    with _client(body) as http:
        outcome = library_error(
            lambda: introspect_token(
                f"https://auth.pingone.com/{ENV}/as/introspect", "some.token", _creds(), client=http
            ),
            IntrospectionError,
        )
    if not isinstance(outcome, IntrospectionError):
        value = getattr(outcome, claim)
        assert value is None or (isinstance(value, int) and abs(value) < 10**13)


# --- JWT decode / verify -----------------------------------------------------------------


@given(header=garbage_bodies(), payload=garbage_bodies())
@example(header=b"[" * 100_000, payload=b"{}")
@example(header=b'{"alg":"RS256"}', payload=b"[" * 100_000)
def test_decode_jwt_garbage_parts_are_jwt_errors(header: bytes, payload: bytes) -> None:
    """A JWT whose header or payload is garbage decodes or raises JWTError."""
    library_error(lambda: decode_jwt(unsigned_jwt(header, payload)), JWTError)


@given(text=st.text(max_size=300))
def test_decode_jwt_any_string(text: str) -> None:
    """Any string at all: a DecodedJWT or JWTError."""
    library_error(lambda: decode_jwt(text), JWTError)


@given(literal=number_literals())
@example(literal=str(10**400))
@example(literal="99999999999999999")
def test_decoded_expires_at_is_a_float_or_an_error(literal: str) -> None:
    """DecodedJWT.expires_at of any exp is a finite float, None, or JWTError."""
    token = unsigned_jwt('{"alg":"RS256"}', f'{{"exp": {literal}}}')

    def expires_at() -> float | None:
        return decode_jwt(token).expires_at

    outcome = library_error(expires_at, JWTError)
    if isinstance(outcome, float):
        assert math.isfinite(outcome)


@given(body=garbage_bodies())
@example(body=b"[" * 100_000)
def test_jwks_garbage_is_a_jwt_error(body: bytes) -> None:
    """A JWKS endpoint sending garbage gives JWTError when keys are needed."""
    with _client(body) as http:
        cache = JWKSCache("https://auth.pingone.com/x/as/jwks", client=http)
        library_error(cache.keys, JWTError)


@given(body=garbage_bodies())
@example(body=b"[" * 100_000)
def test_discovery_via_jwks_cache_garbage_is_a_jwt_error(body: bytes) -> None:
    """A discovery document that is garbage gives JWTError, never a builtin exception."""
    with _client(body) as http:
        cache = JWKSCache(issuer=f"https://auth.pingone.com/{ENV}/as", client=http)
        library_error(cache.keys, JWTError)


@given(jwks=garbage_bodies())
def test_verify_with_garbage_jwks_text(jwks: bytes) -> None:
    """verify_jwt with a JWKS that came from garbage (parsed or not) raises JWTError."""
    try:
        parsed: Any = json.loads(jwks)
    except (ValueError, RecursionError):
        parsed = jwks.decode("utf-8", "replace")
    raises_library_error(
        lambda: verify_jwt(unsigned_jwt('{"alg":"RS256"}', '{"exp": 1}'), jwks=parsed), JWTError
    )


# --- settings.json -----------------------------------------------------------------------


@given(body=garbage_bodies())
@example(body=b"[" * 100_000)
@example(body=b'{"pingone": {"workerToken": {"tokenCacheTtlPercent": ' + b"9" * 400 + b"}}}")
def test_settings_file_garbage_is_a_configuration_error(tmp_path: Path, body: bytes) -> None:
    """A settings.json holding garbage gives ConfigurationError naming the file, never the body."""
    path = tmp_path / "settings.json"
    path.write_bytes(body)
    library_error(
        lambda: resolve_settings(settings_file=path, env={}, require=False), ConfigurationError
    )


@given(literal=number_literals())
@example(literal="9" * 400)
@example(literal="NaN")
@example(literal="1e400")
def test_settings_ttl_percent_any_number(tmp_path: Path, literal: str) -> None:
    """tokenCacheTtlPercent of any number: a ratio strictly between 0 and 1, or an error."""
    path = tmp_path / "settings.json"
    path.write_text(f'{{"pingone": {{"workerToken": {{"tokenCacheTtlPercent": {literal}}}}}}}')
    outcome = library_error(
        lambda: resolve_settings(settings_file=path, env={}, require=False), ConfigurationError
    )
    if not isinstance(outcome, ConfigurationError):
        assert 0.0 < outcome.token_cache_ttl_percent < 1.0


# --- Management API ----------------------------------------------------------------------


def _api(body: bytes, status: int) -> PingOneClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    return PingOneClient(
        token=CANARY,
        environment_id=ENV,
        transport=httpx.MockTransport(handler),
        retry=False,
        rate_limiter=False,
    )


@given(body=garbage_bodies(), status=st.sampled_from([200, 400, 403, 404, 500]))
@example(body=b"[" * 100_000, status=200)
@example(body=b"[" * 100_000, status=403)
def test_management_api_garbage_is_a_management_error(body: bytes, status: int) -> None:
    """Every Management API read against a garbage server: a result or ManagementApiError."""
    with _api(body, status) as client:
        library_error(client.get_environment, ManagementApiError)
        library_error(
            lambda: list(client.paginate("/environments/{env}/users")), ManagementApiError
        )
        library_error(client.list_applications, ManagementApiError)


@given(body=garbage_bodies(), status=st.sampled_from([200, 403, 500]))
@example(body=b"[" * 100_000, status=200)
@example(body=b"[" * 100_000, status=403)
def test_api_access_never_raises_on_garbage(body: bytes, status: int) -> None:
    """test_api_access promises never to raise for an answer; garbage included."""
    with _api(body, status) as client:
        report = test_api_access(client, ["users", "groups", "environment"])
    assert len(report.results) == 3
    assert all(not r.allowed for r in report.results) or status == 200
