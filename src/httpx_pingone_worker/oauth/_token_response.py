"""Parsing a token endpoint response, sans-IO: status, headers and body → ``Token`` or error.

Parsing is strict: ``access_token`` a non-empty string, ``token_type`` ``Bearer``
(case-insensitive), ``expires_in`` a positive integer (a digit string or an integral float
is accepted; more than ``MAX_EXPIRES_IN`` is kept as that), ``scope`` optional. A
rejected response is described, never quoted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from httpx_pingone_worker._core._errors import (
    TokenError,
    TokenProtocolError,
    TokenRequestError,
)
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._logging import (
    get_logger,
    redact,
    register_token,
)
from httpx_pingone_worker._core._redirects import redirect_hint, redirect_target
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import Token, normalize_scopes
from httpx_pingone_worker.oauth._token_request import (
    _header,
)

__all__ = [
    "MAX_EXPIRES_IN",
    "error_from_response",
    "parse_token_response",
    "redirect_error",
]

#: Longest lifetime the library keeps for a token: 30 days, PingOne's documented maximum
#: (2,592,000 s). A server granting more is believed up to this bound (the token is simply
#: refreshed earlier than it would have to be).
MAX_EXPIRES_IN = 2_592_000

_log = get_logger("token")


_HINTS = {
    "invalid_client": "check the client id and secret, and that the app's token endpoint "
    "auth method matches auth_method",
    "invalid_scope": "request only scopes the app is granted (worker apps usually need none)",
    "unauthorized_client": "enable the CLIENT_CREDENTIALS grant type on the application",
    "invalid_request": "the token request was malformed; check auth_method and the endpoint",
    "unsupported_grant_type": "the server does not allow client_credentials for this app",
    "access_denied": "the server refused the app; check that it is enabled",
}


# --- response parsing -------------------------------------------------------------------


def _describe_body(body: bytes, problem: BadJSON) -> str:
    stripped = body.lstrip()
    if not stripped:
        return "an empty body"
    if stripped[:1] == b"<":
        return "an HTML/XML page"
    if problem.syntax:
        return "a body that is not JSON"
    # JSON the library refuses: say why (too deep, NaN, a number with too many digits …).
    return f"a body that is not usable JSON ({problem.reason})"


def _load_json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except BadJSON as exc:
        return exc


def _short(text: str, limit: int = 200) -> str:
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_response(
    status_code: int, headers: Mapping[str, str], body: bytes, *, endpoint: str
) -> TokenError:
    """The exception for a non-200 token endpoint answer (not raised, returned)."""
    correlation_id = _header(headers, "correlation-id")
    doc = _load_json(body)
    if isinstance(doc, Mapping) and isinstance(doc.get("error"), str) and doc["error"]:
        error = doc["error"]
        raw_desc = doc.get("error_description")
        description = _short(raw_desc) if isinstance(raw_desc, str) and raw_desc else None
        message = f"token endpoint {endpoint} refused the request: {_short(error, 64)}"
        if description:
            message += f" ({description})"
        message += f" [HTTP {status_code}]"
        return TokenRequestError(
            message,
            error=error,
            error_description=description,
            status_code=status_code,
            correlation_id=correlation_id,
            hint=_HINTS.get(error),
        )
    what = (
        _describe_body(body, doc)
        if isinstance(doc, BadJSON)
        else "a JSON body without an 'error' field"
    )
    return TokenProtocolError(
        f"token endpoint {endpoint} answered HTTP {status_code} with {what}",
        status_code=status_code,
        correlation_id=correlation_id,
        hint="check that the URL is the OAuth token endpoint (…/as/token) and that no proxy "
        "rewrites the response",
    )


def redirect_error(
    status_code: int,
    headers: Mapping[str, str],
    *,
    endpoint: str,
    what: str = "token endpoint",
) -> TokenRequestError:
    """The error for a 3xx answer to a token (or discovery) request: it is never followed.

    Names the status and the redirect target's scheme and host, never its full URL (a
    ``Location`` can carry secrets); ``error`` is ``"redirect"``.
    """
    return TokenRequestError(
        f"{what} {endpoint} answered HTTP {status_code}, a redirect to "
        f"{redirect_target(headers, endpoint)}; it was not followed",
        error="redirect",
        status_code=status_code,
        correlation_id=_header(headers, "correlation-id"),
        hint=redirect_hint(f"{what}s"),
    )


def _parse_expires_in(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    # Longer digit strings are not lifetimes (and int() refuses past 4,300 digits).
    if text.isdigit() and text.isascii() and len(text) <= 20:
        return int(text)
    return None


@sealed_frames  # its locals hold the response body (a token): never in a traceback
def parse_token_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    endpoint: str,
    requested_scopes: Iterable[str] = (),
    now: float,
) -> Token:
    """Parse a token endpoint answer strictly into a [`Token`][httpx_pingone_worker.Token].

    Non-200 answers raise ``error_from_response``'s error; a 200 that is not a valid
    token response raises ``TokenProtocolError`` naming the bad field (not its value).
    The access token is registered for log redaction before anything else happens.
    """
    if status_code != 200:
        raise error_from_response(status_code, headers, body, endpoint=endpoint)
    correlation_id = _header(headers, "correlation-id")

    def bad(problem: str, hint: str | None = None) -> TokenProtocolError:
        return TokenProtocolError(
            f"token endpoint {endpoint} sent an unusable token response: {problem}",
            status_code=status_code,
            correlation_id=correlation_id,
            hint=hint,
        )

    doc = _load_json(body)
    if isinstance(doc, BadJSON):
        raise bad(_describe_body(body, doc), "check that the URL is the OAuth token endpoint")
    if not isinstance(doc, Mapping):
        raise bad("the JSON is not an object")
    access_token = doc.get("access_token")
    if isinstance(access_token, str) and access_token.strip():
        register_token(access_token)
    else:
        raise bad("access_token is missing, empty or not a string")
    token_type = doc.get("token_type")
    if not isinstance(token_type, str) or token_type.strip().lower() != "bearer":
        shown = (
            repr(token_type)
            if isinstance(token_type, str) and len(token_type) <= 20 and token_type.isalnum()
            else "missing or not a string"
            if not isinstance(token_type, str)
            else "not 'Bearer'"
        )
        raise bad(f"token_type is {shown}; only Bearer tokens are supported")
    raw_expires = doc.get("expires_in")
    if raw_expires is None:
        raise bad("expires_in is missing", "the server must say how long the token lives")
    expires_in = _parse_expires_in(raw_expires)
    if expires_in is None:
        raise bad("expires_in is not an integer number of seconds")
    if expires_in <= 0:
        raise bad(f"expires_in is {expires_in}; it must be positive")
    if expires_in > MAX_EXPIRES_IN:
        # Any positive lifetime the server grants is accepted; the library keeps at most
        # 30 days of it, so it refreshes early (never late) and no cache TTL overflows.
        _log.debug(
            "token endpoint granted expires_in=%ss; treating it as %ss (30 days)",
            expires_in,
            MAX_EXPIRES_IN,
        )
        expires_in = MAX_EXPIRES_IN
    requested = frozenset(requested_scopes)
    raw_scope = doc.get("scope")
    if raw_scope is None:
        granted, returned = requested, False  # RFC 6749 §5.1: absent = as requested
    elif isinstance(raw_scope, str):
        granted, returned = normalize_scopes(raw_scope), True
    else:
        raise bad("scope is not a space-separated string")
    return Token(
        access_token=Secret(access_token),
        token_type="Bearer",
        expires_in=expires_in,
        obtained_at=now,
        scopes=granted,
        requested_scopes=requested,
        scope_returned=returned,
    )
