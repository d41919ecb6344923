"""The exception tree: shape, keyword-only fields, pickling, no secrets in messages."""

from __future__ import annotations

import pickle

import pytest

from canary import CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker._core import _errors
from httpx_pingone_worker._core._errors import (
    ConfigurationError,
    ConflictError,
    CredentialFormatError,
    EmulatorError,
    InsecureTransportError,
    IntrospectionError,
    InvalidArgumentError,
    InvalidRequestError,
    JWTError,
    ManagementApiError,
    NotFoundError,
    PermissionDeniedError,
    PingOneError,
    RateLimitedError,
    ScopeError,
    StorageError,
    TLSVerificationError,
    TokenEndpointUnreachableError,
    TokenError,
    TokenProtocolError,
    TokenRequestError,
)

ALL_ERRORS = [getattr(_errors, name) for name in _errors.__all__]

PARENTS: dict[type[PingOneError], type[Exception] | tuple[type[Exception], ...]] = {
    ConfigurationError: PingOneError,
    InsecureTransportError: ConfigurationError,
    CredentialFormatError: ConfigurationError,
    TokenError: PingOneError,
    TokenRequestError: TokenError,
    TokenProtocolError: TokenError,
    TokenEndpointUnreachableError: TokenError,
    ScopeError: TokenError,
    JWTError: PingOneError,
    IntrospectionError: PingOneError,
    ManagementApiError: PingOneError,
    ConflictError: ManagementApiError,
    NotFoundError: ManagementApiError,
    PermissionDeniedError: ManagementApiError,
    RateLimitedError: ManagementApiError,
    InvalidRequestError: ManagementApiError,
    TLSVerificationError: (ManagementApiError, TokenEndpointUnreachableError),
    InvalidArgumentError: (PingOneError, ValueError),
    StorageError: PingOneError,
    EmulatorError: PingOneError,
}


def test_tree_matches_docstring() -> None:
    """Every class sits under the parent the module docstring draws."""
    assert set(PARENTS) | {PingOneError} == set(ALL_ERRORS)
    for cls, parent in PARENTS.items():
        assert cls.__bases__ == (parent if isinstance(parent, tuple) else (parent,)), cls
        assert cls.__name__ in (_errors.__doc__ or "")
    assert issubclass(PingOneError, Exception)


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_fields_are_keyword_only(cls: type[PingOneError]) -> None:
    """Structured fields cannot be passed positionally (a typo becomes a TypeError)."""
    with pytest.raises(TypeError):
        cls("message", "invalid_client")  # type: ignore[misc]
    with pytest.raises(TypeError):
        cls("message", erorr="typo")  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_pickle_round_trip_keeps_fields(cls: type[PingOneError]) -> None:
    """Pickling (multiprocessing, xdist) keeps the class, message and every field."""
    err = cls(
        "token request failed",
        error="invalid_client",
        error_description="Unsupported authentication method",
        status_code=401,
        correlation_id="corr-123",
        code="ACCESS_FAILED",
        details=[{"code": "INVALID_TOKEN", "target": "x"}],
        hint="check the auth method",
    )
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(back) is cls
    assert str(back) == str(err)
    assert repr(back) == repr(err)
    for name in (
        "message",
        "error",
        "error_description",
        "status_code",
        "correlation_id",
        "code",
        "details",
        "hint",
    ):
        assert getattr(back, name) == getattr(err, name), name


def test_credential_format_error_pickles_problems() -> None:
    """CredentialFormatError keeps its problems through pickling."""
    from httpx_pingone_worker.credentials._format import CredentialProblem

    problems = [CredentialProblem("client_id", "is not a UUID", "copy it again")]
    err = CredentialFormatError("bad", problems=problems)
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert back.problems == tuple(problems)


def test_typed_api_errors_pickle_their_own_fields() -> None:
    """ConflictError.existing_id and RateLimitedError.retry_after survive pickling (xdist)."""
    conflict = pickle.loads(pickle.dumps(ConflictError("taken", existing_id="u-1")))  # noqa: S301
    assert conflict.existing_id == "u-1"
    limited = pickle.loads(pickle.dumps(RateLimitedError("slow", retry_after=12.0)))  # noqa: S301
    assert limited.retry_after == 12.0


def test_invalid_request_error_groups_details_by_field() -> None:
    """field_errors maps each target PingOne named to its messages."""
    err = InvalidRequestError(
        "refused",
        details=[
            {"code": "INVALID_VALUE", "target": "email", "message": "bad email"},
            {"code": "REQUIRED_VALUE", "target": "username", "message": "required"},
            {"code": "INVALID_VALUE", "target": "email", "message": "too long"},
            {"code": "INVALID_DATA"},
        ],
    )
    assert err.field_errors == {
        "email": ["bad email", "too long"],
        "username": ["required"],
        "": ["INVALID_DATA"],
    }


def test_message_composition() -> None:
    """str() carries the message, the correlation id and the hint; repr shows fields."""
    err = TokenRequestError(
        "invalid_client from token endpoint",
        error="invalid_client",
        status_code=401,
        correlation_id="abc",
        hint="check the secret",
    )
    assert (
        str(err) == "invalid_client from token endpoint (correlation id abc) Hint: check the secret"
    )
    assert repr(err) == (
        "TokenRequestError('invalid_client from token endpoint', error='invalid_client', "
        "status_code=401, correlation_id='abc')"
    )
    assert err.details == ()


def test_fields_default_to_none() -> None:
    """Unset fields are None and do not appear in the message."""
    err = PingOneError("plain")
    assert str(err) == "plain"
    assert (err.error, err.status_code, err.correlation_id, err.code, err.hint) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_library_errors_carry_no_secret() -> None:
    """Errors the foundation raises for bad input never echo a secret or token."""
    from httpx_pingone_worker import ClientCredentials
    from httpx_pingone_worker._core._regions import check_secure_url
    from httpx_pingone_worker.oauth._client_auth import client_auth
    from httpx_pingone_worker.oauth._discovery_doc import parse_discovery_document

    raised: list[BaseException] = []
    attempts = [
        lambda: check_secure_url(CANARY_SECRET, what="auth_base_url"),
        lambda: check_secure_url(f"https://u:{CANARY_SECRET}@h.test", what="auth_base_url"),
        lambda: check_secure_url(f"http://h.test/?client_secret={CANARY_SECRET}", what="x"),
        lambda: check_secure_url(f"ftp://h.test/#{CANARY_TOKEN}", what="x"),
        lambda: parse_discovery_document("https://i.test", f"<html>{CANARY_SECRET}</html>"),
        lambda: parse_discovery_document(
            "https://i.test", {"issuer": f"https://evil.test/?t={CANARY_TOKEN}"}
        ),
        lambda: ClientCredentials("", CANARY_SECRET, ""),
        lambda: client_auth(
            "private_key_jwt",
            client_id="c",
            client_secret=None,
            private_key=CANARY_SECRET,
            audience="https://a.test",
            now=0,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PingOneError) as info:
            attempt()
        raised.append(info.value)
    for err in raised:
        assert_no_canary(str(err))
        assert_no_canary(repr(err))
        # Chained library exceptions (jose, json) would print their own messages.
        assert err.__suppress_context__ or err.__context__ is None
