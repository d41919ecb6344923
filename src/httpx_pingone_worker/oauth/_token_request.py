"""Building a client-credentials token request, sans-IO: settings in, ``TokenRequest`` out.

Also the transport-neutral result values a driver hands back (``HttpResult``,
``TransportFailure``). No httpx types, no I/O: the httpx and httpx2 shells share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from httpx_pingone_worker._core._errors import (
    ConfigurationError,
)
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import normalize_scopes
from httpx_pingone_worker.credentials._credentials import AuthMethod, parse_auth_method
from httpx_pingone_worker.oauth._client_auth import client_auth

__all__ = [
    "HttpResult",
    "TokenRequest",
    "TransportFailure",
    "build_token_request",
]

# --- sans-IO values ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """An HTTP request to send, transport-neutral. Headers and body may hold secrets."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    requested_scopes: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return (
            f"TokenRequest({self.method} {self.url}, headers={sorted(self.headers)!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, slots=True)
class HttpResult:
    """An HTTP response, transport-neutral (``headers`` keys in any case)."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Case-insensitive header look-up."""
        return _header(self.headers, name)

    def __repr__(self) -> str:
        return f"HttpResult(status_code={self.status_code}, body=<{len(self.body)} bytes>)"


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """The request never got a response: connect error, timeout, broken connection.

    ``certificate``: the server's TLS certificate was not trusted (never worth a retry).
    """

    error_type: str
    timeout: bool = False
    certificate: bool = False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, val in headers.items():
        if key.lower() == lower:
            return val
    return None


# --- request building -------------------------------------------------------------------


def build_token_request(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: AuthMethod | str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    now: float,
) -> TokenRequest:
    """The client-credentials ``POST`` for ``endpoint`` (RFC 6749 §4.4).

    Form: ``grant_type=client_credentials``, ``scope`` (sorted, space separated) when
    scopes are given, plus the client-authentication fields of ``auth_method``. JWT
    assertions get a fresh ``jti`` per call, so build a new request per attempt.
    """
    if not isinstance(client_id, str) or not client_id.strip():
        raise ConfigurationError("client_id is empty", hint="pass the worker app's client id")
    requested = normalize_scopes(scopes)
    parts = client_auth(
        parse_auth_method(auth_method),
        client_id=client_id,
        client_secret=client_secret,
        audience=endpoint,
        now=now,
        private_key=private_key,
        key_id=key_id,
    )
    form: dict[str, str] = {"grant_type": "client_credentials"}
    if requested:
        form["scope"] = " ".join(sorted(requested))
    form.update(parts.form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        **parts.headers,
    }
    return TokenRequest(
        method="POST",
        url=endpoint,
        headers=headers,
        body=urlencode(form).encode("ascii"),
        requested_scopes=requested,
    )
