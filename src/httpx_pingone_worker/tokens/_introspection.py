"""RFC 7662 token introspection against PingOne's ``/as/introspect`` (sync and async).

The request is built and the response parsed by pure functions
(``build_introspection_request``, ``parse_introspection_response``); the sync and
async shells only send it. Client authentication uses the same four methods as the token
endpoint (``client_auth``), because PingOne enforces
the app's configured method on both.

One cohesive thing (a little over 400 lines): the request builder, the response parser and the
two thin shells that send it are one protocol exchange, and half of the length is docstrings.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx

from httpx_pingone_worker._core._errors import ConfigurationError, IntrospectionError
from httpx_pingone_worker._core._httplib import HttpLib, asend_credentialed, send_credentialed
from httpx_pingone_worker._core._input import BadJSON, epoch_seconds, finite_arg, parse_json
from httpx_pingone_worker._core._logging import get_logger, redact, register_token
from httpx_pingone_worker._core._redirects import is_redirect, redirect_hint, redirect_target
from httpx_pingone_worker._core._regions import (
    Endpoints,
    check_secure_url,
    display_url,
    endpoints_for,
)
from httpx_pingone_worker._core._secrets import Secret, fingerprint, sealed_frames
from httpx_pingone_worker._core._token import Token, normalize_scopes
from httpx_pingone_worker._version import __version__
from httpx_pingone_worker.credentials._credentials import ClientCredentials
from httpx_pingone_worker.oauth._client_auth import client_auth
from httpx_pingone_worker.oauth._discovery_doc import discovery_url, parse_discovery_document

__all__ = [
    "Introspection",
    "IntrospectionRequest",
    "aintrospect_token",
    "build_introspection_request",
    "introspect_token",
    "parse_introspection_response",
]

_log = get_logger("introspection")
_USER_AGENT = f"httpx-pingone-worker/{__version__}"


@dataclass(frozen=True, slots=True)
class Introspection:
    """What the authorization server says about a token (RFC 7662 §2.2).

    ``scopes`` are the granted scopes; ``requested_scopes`` what the caller expected
    (the credentials' scopes unless given), so ``missing_scopes`` and
    ``extra_scopes`` compare the two. Everything else the server sent is in ``raw``.
    """

    active: bool
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    exp: int | None = None
    iat: int | None = None
    nbf: int | None = None
    iss: str | None = None
    aud: tuple[str, ...] = ()
    token_type: str | None = None
    sub: str | None = None
    jti: str | None = None
    env: str | None = None
    org: str | None = None
    requested_scopes: frozenset[str] = frozenset()
    token_fingerprint: str | None = None
    raw: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False, hash=False
    )

    @property
    def missing_scopes(self) -> frozenset[str]:
        """Requested scopes the token does not carry."""
        return self.requested_scopes - self.scopes

    @property
    def extra_scopes(self) -> frozenset[str]:
        """Granted scopes that were not requested (empty when nothing was requested)."""
        return self.scopes - self.requested_scopes if self.requested_scopes else frozenset()

    @property
    def scopes_match(self) -> bool:
        """True when every requested scope was granted."""
        return not self.missing_scopes

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds until ``exp`` (negative when past), or None without ``exp``."""
        if self.exp is None:
            return None
        if now is None:
            return self.exp - time.time()
        return self.exp - finite_arg(now, what="now", minimum=None, exc=IntrospectionError)

    def scope_summary(self) -> str:
        """One line comparing requested and granted scopes."""
        granted = " ".join(sorted(self.scopes)) or "(none)"
        if not self.requested_scopes:
            return f"granted: {granted}"
        line = f"requested: {' '.join(sorted(self.requested_scopes))}; granted: {granted}"
        if self.missing_scopes:
            line += f"; missing: {' '.join(sorted(self.missing_scopes))}"
        return line


@dataclass(frozen=True, slots=True)
class IntrospectionRequest:
    """A ready-to-send introspection request (the form holds the token: never log it)."""

    url: str
    headers: dict[str, str]
    form: dict[str, str]

    def __repr__(self) -> str:
        return f"IntrospectionRequest(url={self.url!r}, form={sorted(self.form)!r})"


def _raw(token: str | Secret | Token) -> str:
    if isinstance(token, Token):
        return token.access_token.get_secret_value()
    if isinstance(token, Secret):
        return token.get_secret_value()
    if not isinstance(token, str):
        raise IntrospectionError(
            f"token must be a str, Secret or Token, not {type(token).__name__}"
        )
    return token.strip()


def _credentials_of(credentials: Any) -> ClientCredentials:
    if isinstance(credentials, ClientCredentials):
        return credentials
    inner = getattr(credentials, "credentials", None)  # a PingOneWorkerAuth
    if isinstance(inner, ClientCredentials):
        return inner
    raise IntrospectionError(
        f"credentials must be ClientCredentials (or a PingOneWorkerAuth), "
        f"not {type(credentials).__name__}",
        hint="introspection needs the client authentication of the app that got the token",
    )


def _default_url(credentials: Any, creds: ClientCredentials) -> str:
    """The introspection endpoint when none is given.

    A ``PingOneWorkerAuth`` knows its endpoints (PingOne's layout, a host override, or what
    its ``issuer=`` discovery document named); bare credentials derive PingOne's URL from
    their environment id, so without one the URL must be given.
    """
    endpoints = getattr(credentials, "endpoints", None)
    if isinstance(endpoints, Endpoints) and endpoints.introspection:
        return endpoints.introspection
    if not isinstance(credentials, ClientCredentials):
        raise IntrospectionError(
            "no introspection endpoint is known for this auth object",
            hint="pass the introspection endpoint URL as url=, or use issuer= so that "
            "its discovery document names it",
        )
    if creds.environment_id is None:
        raise ConfigurationError(
            "environment_id is missing, so PingOne's introspection URL cannot be derived",
            hint="pass the introspection endpoint URL as url= (custom OIDC server), or "
            "credentials with environment_id=",
        )
    url = endpoints_for(creds.environment_id, creds.region).introspection
    assert url is not None  # noqa: S101 - PingOne layouts always have it
    return url


def _discovery_pending(url: str | None, credentials: Any) -> str | None:
    """The discovery URL to read first: an ``issuer=`` auth not yet discovered, no ``url``."""
    if url is not None or isinstance(credentials, ClientCredentials):
        return None
    issuer = getattr(credentials, "issuer", None)
    endpoints = getattr(credentials, "endpoints", None)
    if isinstance(issuer, str) and not (
        isinstance(endpoints, Endpoints) and endpoints.introspection
    ):
        return issuer
    return None


def _introspection_from_discovery(issuer: str, response: Any, allow: bool) -> str:
    if response.status_code != 200:
        raise IntrospectionError(
            f"OIDC discovery of {issuer} answered HTTP {response.status_code}",
            status_code=response.status_code,
            hint="pass the introspection endpoint URL as url=",
        )
    endpoints = parse_discovery_document(issuer, response.content, allow_loopback_http=allow)
    if endpoints.introspection is None:
        raise IntrospectionError(
            f"the discovery document of {issuer} names no introspection_endpoint",
            hint="pass the introspection endpoint URL as url=",
        )
    return endpoints.introspection


def build_introspection_request(
    url: str | None,
    token: str | Secret | Token,
    credentials: ClientCredentials | Any,
    *,
    token_type_hint: str | None = "access_token",
    now: Callable[[], float] | float = time.time,
    allow_loopback_http: bool = False,
) -> IntrospectionRequest:
    """Build the ``POST`` to the introspection endpoint (sans-IO)."""
    creds = _credentials_of(credentials)
    if url is None:
        url = _default_url(credentials, creds)
    url = check_secure_url(
        url, what="introspection endpoint", allow_loopback_http=allow_loopback_http
    )
    raw = _raw(token)
    if not raw:
        raise IntrospectionError("token is empty", hint="pass the access token to introspect")
    register_token(raw)
    parts = client_auth(
        creds.auth_method,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        audience=url,
        now=now,
        private_key=creds.private_key,
        key_id=creds.key_id,
    )
    form = {"token": raw, **parts.form}
    if token_type_hint:
        form["token_type_hint"] = token_type_hint
    headers = {
        "Accept": "application/json",
        "User-Agent": _USER_AGENT,
        **parts.headers,
    }
    return IntrospectionRequest(url=url, headers=headers, form=form)


def _epoch(
    doc: Mapping[str, Any], name: str, status_code: int, correlation_id: str | None
) -> int | None:
    """``exp``/``iat``/``nbf`` as whole epoch seconds; absent or not a number → ``None``; a
    number that is no time (NaN, ±inf, 1e400, beyond year 9999) → IntrospectionError."""
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = epoch_seconds(value)
    if seconds is None:
        raise IntrospectionError(
            f"introspection response field {name!r} is not a usable time "
            "(not a finite number of epoch seconds before the year 10000)",
            status_code=status_code,
            correlation_id=correlation_id,
            hint="the server's introspection endpoint sends a broken value; report it",
        )
    return int(seconds)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@sealed_frames  # its locals hold the response body (claims, an echoed token): not in tracebacks
def parse_introspection_response(
    status_code: int,
    body: bytes,
    *,
    requested_scopes: Iterable[str] | str | None = None,
    correlation_id: str | None = None,
    token_fingerprint: str | None = None,
) -> Introspection:
    """Turn the server's answer into ``Introspection`` or raise ``IntrospectionError``."""
    try:
        doc = parse_json(body) if body else None
        problem = None
    except BadJSON as exc:
        doc, problem = None, exc
    if status_code != 200:
        error = _str(doc.get("error")) if isinstance(doc, Mapping) else None
        description = _str(doc.get("error_description")) if isinstance(doc, Mapping) else None
        hint = None
        if error == "invalid_client" or status_code == 401:
            hint = (
                "the introspection endpoint authenticates the client like the token endpoint: "
                "check client id/secret and that auth_method matches the app's "
                "token endpoint auth method"
            )
        raise IntrospectionError(
            f"introspection failed with HTTP {status_code}" + (f" {error}" if error else ""),
            error=error,
            error_description=redact(description)[:200] if description else None,
            status_code=status_code,
            correlation_id=correlation_id,
            hint=hint,
        )
    if not isinstance(doc, Mapping):
        raise IntrospectionError(
            problem.describe("introspection response")
            if problem is not None
            else "introspection response is not a JSON object",
            status_code=status_code,
            correlation_id=correlation_id,
            hint="check that the URL is the server's RFC 7662 introspection endpoint",
        )
    active = doc.get("active")
    if not isinstance(active, bool):
        raise IntrospectionError(
            "introspection response has no boolean 'active' field",
            status_code=status_code,
            correlation_id=correlation_id,
        )
    scope = doc.get("scope")
    aud = doc.get("aud")
    times = {name: _epoch(doc, name, status_code, correlation_id) for name in ("exp", "iat", "nbf")}
    return Introspection(
        active=active,
        client_id=_str(doc.get("client_id")),
        scopes=normalize_scopes(scope if isinstance(scope, str) else None),
        exp=times["exp"],
        iat=times["iat"],
        nbf=times["nbf"],
        iss=_str(doc.get("iss")),
        aud=(aud,)
        if isinstance(aud, str)
        else tuple(a for a in aud if isinstance(a, str))
        if isinstance(aud, list)
        else (),
        token_type=_str(doc.get("token_type")),
        sub=_str(doc.get("sub")),
        jti=_str(doc.get("jti")),
        env=_str(doc.get("env")),
        org=_str(doc.get("org")),
        requested_scopes=normalize_scopes(requested_scopes),
        token_fingerprint=token_fingerprint,
        raw=MappingProxyType(dict(doc)),
    )


def _unreachable(url: str, exc: Exception) -> IntrospectionError:
    return IntrospectionError(
        f"could not reach the introspection endpoint {url}: {type(exc).__name__}",
        hint="check network access to the auth host and the region",
    )


def _prepare(
    url: str | None,
    token: str | Secret | Token,
    credentials: ClientCredentials | Any,
    *,
    token_type_hint: str | None,
    clock: Callable[[], float],
    allow_loopback_http: bool,
) -> tuple[ClientCredentials, IntrospectionRequest]:
    """The credentials and the request both shells send (logged without the form)."""
    creds = _credentials_of(credentials)
    req = build_introspection_request(
        _default_url(credentials, creds) if url is None else url,
        token,
        creds,
        token_type_hint=token_type_hint,
        now=clock,
        allow_loopback_http=allow_loopback_http,
    )
    _log.debug("POST %s (introspection)", display_url(req.url))
    return creds, req


def _result(
    response: httpx.Response,
    creds: ClientCredentials,
    req: IntrospectionRequest,
    requested_scopes: Iterable[str] | str | None,
) -> Introspection:
    """Parse the answer; ``requested_scopes`` defaults to the credentials' scopes."""
    return parse_introspection_response(
        response.status_code,
        response.content,
        requested_scopes=creds.scopes if requested_scopes is None else requested_scopes,
        correlation_id=response.headers.get("correlation-id"),
        token_fingerprint=fingerprint(req.form["token"]),
    )


def _discovery_request(client: Any, doc_url: str) -> Any:
    return client.build_request("GET", doc_url, headers={"Accept": "application/json"})


def _post_request(client: Any, req: IntrospectionRequest) -> Any:
    return client.build_request("POST", req.url, data=req.form, headers=req.headers)


def _redirect_error(response: Any, url: str) -> IntrospectionError:
    what = (
        "introspection endpoint" if response.request.method == "POST" else "OIDC discovery document"
    )
    return IntrospectionError(
        f"{what} {url} answered HTTP {response.status_code}, a redirect to "
        f"{redirect_target(response.headers, url)}; it was not followed",
        error="redirect",
        status_code=response.status_code,
        correlation_id=response.headers.get("correlation-id"),
        hint=redirect_hint(f"{what}s"),
    )


def _exchange(client: Any, request: Any, url: str) -> Any:
    """Send ``request`` once (no redirect, no event hooks) and read the answer.

    A transport error becomes ``IntrospectionError``, raised outside the ``except``
    block so that nothing chains the transport error (its ``.request`` holds the token and
    the client's credentials); a 3xx answer is an ``IntrospectionError`` too.
    """
    failure: IntrospectionError | None = None
    try:
        response = send_credentialed(client, request)
        try:
            response.read()
        finally:
            response.close()
    except HttpLib.errors_of(client) as exc:  # httpx2's own when client is an httpx2.Client
        failure = _unreachable(url, exc)
    if failure is not None:
        raise failure
    if is_redirect(response.status_code):
        raise _redirect_error(response, url)
    return response


async def _aexchange(client: Any, request: Any, url: str) -> Any:
    """Async ``_exchange``."""
    failure: IntrospectionError | None = None
    try:
        response = await asend_credentialed(client, request)
        try:
            await response.aread()
        finally:
            await response.aclose()
    except HttpLib.errors_of(client) as exc:
        failure = _unreachable(url, exc)
    if failure is not None:
        raise failure
    if is_redirect(response.status_code):
        raise _redirect_error(response, url)
    return response


def introspect_token(
    url: str | None,
    token: str | Secret | Token,
    credentials: ClientCredentials | Any,
    *,
    client: httpx.Client | None = None,
    requested_scopes: Iterable[str] | str | None = None,
    token_type_hint: str | None = "access_token",
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
    allow_loopback_http: bool = False,
) -> Introspection:
    """Ask the server whether ``token`` is active and what it grants (RFC 7662).

    ``url`` is the introspection endpoint; ``None`` derives PingOne's
    ``https://auth.pingone.<tld>/<envId>/as/introspect`` from ``credentials``. The client
    authenticates with ``credentials.auth_method`` (all four methods). ``requested_scopes``
    (default: the credentials' scopes) is compared with the granted ones. ``credentials``
    may be a ``PingOneWorkerAuth``: then ``url=None`` uses its introspection endpoint (with
    ``issuer=``, the one its discovery document names, read now if not yet known).

    ``client`` (else a short-lived one with ``timeout``) lends its transport, proxies, TLS
    settings and timeout; its event hooks and ``follow_redirects`` do not apply. A redirect is
    never followed (the request carries the token and the client's credentials): a ``3xx`` is
    an [`IntrospectionError`][httpx_pingone_worker.IntrospectionError] with ``error="redirect"``.
    """
    if isinstance(token, str):  # wrapped first: no frame of a failure below holds it raw
        token = Secret(token)
    issuer = _discovery_pending(url, credentials)
    with contextlib.ExitStack() as stack:
        http = client if client is not None else stack.enter_context(httpx.Client(timeout=timeout))
        if issuer is not None:
            doc_url = discovery_url(issuer, allow_loopback_http=allow_loopback_http)
            found = _exchange(http, _discovery_request(http, doc_url), doc_url)
            url = _introspection_from_discovery(issuer, found, allow_loopback_http)
        creds, req = _prepare(
            url,
            token,
            credentials,
            token_type_hint=token_type_hint,
            clock=clock,
            allow_loopback_http=allow_loopback_http,
        )
        response = _exchange(http, _post_request(http, req), req.url)
    return _result(response, creds, req, requested_scopes)


async def aintrospect_token(
    url: str | None,
    token: str | Secret | Token,
    credentials: ClientCredentials | Any,
    *,
    client: httpx.AsyncClient | None = None,
    requested_scopes: Iterable[str] | str | None = None,
    token_type_hint: str | None = "access_token",
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
    allow_loopback_http: bool = False,
) -> Introspection:
    """Async [`introspect_token`][httpx_pingone_worker.introspect_token]."""
    if isinstance(token, str):  # wrapped first: no frame of a failure below holds it raw
        token = Secret(token)
    issuer = _discovery_pending(url, credentials)
    async with contextlib.AsyncExitStack() as stack:
        http = (
            client
            if client is not None
            else await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
        )
        if issuer is not None:
            doc_url = discovery_url(issuer, allow_loopback_http=allow_loopback_http)
            found = await _aexchange(http, _discovery_request(http, doc_url), doc_url)
            url = _introspection_from_discovery(issuer, found, allow_loopback_http)
        creds, req = _prepare(
            url,
            token,
            credentials,
            token_type_hint=token_type_hint,
            clock=clock,
            allow_loopback_http=allow_loopback_http,
        )
        response = await _aexchange(http, _post_request(http, req), req.url)
    return _result(response, creds, req, requested_scopes)
