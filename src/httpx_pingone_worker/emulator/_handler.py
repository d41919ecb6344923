"""The sans-IO request handler: one request in, one :class:`EmulatorResponse` out.

Routing is by path, so the same handler serves PingOne's real hosts (through the in-process
transport or respx) and the loopback HTTPS server:

- ``/<envId>/as/...``: auth endpoints (discovery, JWKS, token, introspect, revoke);
- ``/v1/...``: the Management API subset;
- ``/_emulator/...``: control endpoints (loopback hosts only).

The host picks the region: ``auth.pingone.eu`` serves only EU environments. A loopback
host serves every environment. Issuer and link URLs follow the host the request came in
on, as a real server behind a custom domain does; access tokens always name the canonical
``https://auth.pingone.<tld>/<envId>/as`` issuer when called through PingOne's hosts.

Simplifications (PingOne behaves in more detail):

- The Management API is read-only (``GET``); other methods answer 404 "not emulated".
- Roles map to resources (see ``_state.ROLE_PERMISSIONS``), not to fine-grained permissions.
- 429 and injected 5xx answers use the Platform error body on both hosts.
- A disabled app gets ``400 unauthorized_client``; an unknown environment on the auth host a
  Platform ``404 NOT_FOUND`` body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from httpx_pingone_worker._regions import Region, is_loopback_host

from ._filters import InvalidFilter, compile_filter
from ._keys import b64url_decode
from ._state import ROLE_PERMISSIONS, App, Environment, IssuedToken

if TYPE_CHECKING:
    from ._emulator import PingOneEmulator

__all__ = ["ASSERTION_TYPE", "EmulatorResponse", "RequestRecord", "dispatch"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_JSON = "application/json"
_HAL = "application/hal+json;charset=UTF-8"
_UUID = r"[^/]+"

_HOSTS: dict[str, tuple[Region, str]] = {}
for _r in Region:
    _HOSTS[_r.auth_host] = (_r, "auth")
    _HOSTS[_r.api_host] = (_r, "api")

#: Attributes each collection can be filtered on.
FILTER_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "users": (
        "id",
        "username",
        "email",
        "name.given",
        "name.family",
        "enabled",
        "population.id",
        "lifecycle.status",
    ),
    "groups": ("id", "name", "description"),
    "populations": ("id", "name", "default"),
}

_API_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/v1/environments/?$"), "environments"),
    (re.compile(rf"^/v1/environments/(?P<env>{_UUID})/?$"), "environments"),
    (re.compile(rf"^/v1/environments/(?P<env>{_UUID})/applications/?$"), "applications"),
    (
        re.compile(rf"^/v1/environments/(?P<env>{_UUID})/applications/(?P<id>{_UUID})/?$"),
        "applications",
    ),
    (
        re.compile(
            rf"^/v1/environments/(?P<env>{_UUID})/applications/(?P<app>{_UUID})/roleAssignments/?$"
        ),
        "roleAssignments",
    ),
    (re.compile(r"^/v1/roles/?$"), "roles"),
    (re.compile(rf"^/v1/roles/(?P<id>{_UUID})/?$"), "roles"),
    *[
        (re.compile(rf"^/v1/environments/(?P<env>{_UUID})/{res}/?$"), res)
        for res in ("users", "groups", "populations")
    ],
    *[
        (re.compile(rf"^/v1/environments/(?P<env>{_UUID})/{res}/(?P<id>{_UUID})/?$"), res)
        for res in ("users", "groups", "populations")
    ],
]
_AUTH_ROUTE = re.compile(
    rf"^/(?P<env>{_UUID})/as/(?P<rest>token|jwks|introspect|revoke|\.well-known/openid-configuration)/?$"
)
_AUTH_NAMES = {
    "token": "token",
    "jwks": "jwks",
    "introspect": "introspect",
    "revoke": "revoke",
    ".well-known/openid-configuration": "discovery",
}


@dataclass(frozen=True, slots=True)
class EmulatorResponse:
    """What the handler answers. ``delay`` is latency the adapter applies before answering;
    ``action`` asks the adapter to drop the connection (``connect``) or never answer
    (``timeout``) instead of sending ``status``/``body``."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    action: Literal["connect", "timeout"] | None = None
    endpoint: str = "unknown"

    def json(self) -> Any:
        """The body parsed as JSON (tests and control clients)."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the emulator saw it, redacted: no headers, bodies or secrets."""

    method: str
    path: str
    endpoint: str
    status: int
    client_id: str | None = None
    auth_method: str | None = None
    environment_id: str | None = None
    correlation_id: str | None = None
    fault: str | None = None
    time: float = 0.0


@dataclass(slots=True)
class _Ctx:
    method: str
    scheme: str
    host: str
    base: str  # scheme://netloc of the request
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    region: Region | None  # None: loopback, any region
    host_kind: str  # auth | api | loopback
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    endpoint: str = "unknown"
    resource: str | None = None
    client_id: str | None = None
    auth_method: str | None = None
    environment_id: str | None = None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _json_body(
    status: int,
    payload: Any,
    ctx: _Ctx,
    *,
    content_type: str = _JSON,
    extra: Mapping[str, str] | None = None,
) -> EmulatorResponse:
    headers = {"Content-Type": content_type, "Correlation-Id": ctx.correlation_id}
    if extra:
        headers.update(extra)
    return EmulatorResponse(status, headers, json.dumps(payload).encode(), endpoint=ctx.endpoint)


def oauth_error(
    ctx: _Ctx, status: int, error: str, description: str, extra: Mapping[str, str] | None = None
) -> EmulatorResponse:
    """An RFC 6749 §5.2 error body."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **(extra or {})}
    return _json_body(
        status, {"error": error, "error_description": description}, ctx, extra=headers
    )


def api_error(
    ctx: _Ctx,
    status: int,
    code: str,
    message: str,
    *,
    detail: str | None = None,
    target: str | None = None,
    detail_message: str | None = None,
    inner: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
) -> EmulatorResponse:
    """A Platform API error body: ``{"id", "code", "message", "details"}``."""
    body: dict[str, Any] = {"id": ctx.correlation_id, "code": code, "message": message}
    if detail is not None:
        item: dict[str, Any] = {"code": detail, "message": detail_message or message}
        if target is not None:
            item["target"] = target
        if inner:
            item["innerError"] = dict(inner)
        body["details"] = [item]
    return _json_body(status, body, ctx, extra=extra)


def not_emulated(ctx: _Ctx) -> EmulatorResponse:
    return api_error(
        ctx,
        404,
        "NOT_FOUND",
        f"{ctx.method} {ctx.path} is not emulated by PingOneEmulator "
        "(see httpx_pingone_worker.emulator for the emulated endpoints)",
    )


# --------------------------------------------------------------------------- entry point
def dispatch(
    emu: PingOneEmulator, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> EmulatorResponse:
    """Route one request; the caller holds the emulator's lock."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    hk = _HOSTS.get(host)
    if hk is not None:
        region: Region | None = hk[0]
        host_kind = hk[1]
    elif is_loopback_host(host):
        region, host_kind = None, "loopback"
    else:
        region, host_kind = None, "unknown"
    ctx = _Ctx(
        method=method.upper(),
        scheme=parts.scheme or "https",
        host=host,
        base=f"{parts.scheme or 'https'}://{parts.netloc}",
        path=parts.path or "/",
        query=parse_qs(parts.query, keep_blank_values=True),
        raw_query=parts.query,
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        region=region,
        host_kind=host_kind,
    )
    emu._current_ctx = ctx
    if host_kind == "unknown":
        ctx.endpoint = "unknown"
        return not_emulated(ctx)
    if ctx.path.startswith("/_emulator/") and host_kind == "loopback":
        ctx.endpoint = "control"
        return emu._control(ctx)
    if ctx.path.startswith("/v1/") or ctx.path == "/v1":
        if host_kind == "auth":
            return not_emulated(ctx)
        return _api(emu, ctx)
    m = _AUTH_ROUTE.match(ctx.path)
    if m is None or host_kind == "api":
        return not_emulated(ctx)
    ctx.endpoint = _AUTH_NAMES[m.group("rest")]
    ctx.environment_id = m.group("env")
    return _auth(emu, ctx, m.group("env"))


def _with_faults(emu: PingOneEmulator, ctx: _Ctx) -> EmulatorResponse | float | None:
    """An injected failure for this request, a latency to add, or ``None``."""
    fault = emu._take_fault(ctx.endpoint, ctx.resource)
    if fault is None:
        return None
    ctx_fault = fault.kind
    emu._last_fault = ctx_fault
    if fault.kind == "latency":
        return fault.delay
    if fault.kind in ("connect", "timeout"):
        return EmulatorResponse(
            0,
            {},
            b"",
            delay=fault.delay,
            action=fault.kind,
            endpoint=ctx.endpoint,
        )
    if fault.kind == "malformed":
        return EmulatorResponse(
            200,
            {"Content-Type": _JSON, "Correlation-Id": ctx.correlation_id},
            b'{"access_token": "truncated',
            delay=fault.delay,
            endpoint=ctx.endpoint,
        )
    extra: dict[str, str] = {}
    if fault.retry_after is not None:
        extra["Retry-After"] = str(math.ceil(fault.retry_after))
    if fault.status == 429:
        resp = api_error(
            ctx,
            429,
            "REQUEST_LIMITED",
            "The request was rate limited (injected fault).",
            detail="LIMIT_EXCEEDED",
            inner={"retryAfter": fault.retry_after} if fault.retry_after is not None else None,
            extra=extra,
        )
    elif fault.status >= 500:
        resp = api_error(
            ctx,
            fault.status,
            "UNEXPECTED_ERROR",
            "An unexpected error occurred (injected fault).",
            extra=extra,
        )
    elif ctx.endpoint in ("token", "introspect", "revoke"):
        resp = oauth_error(ctx, fault.status, "invalid_request", "injected fault", extra)
    else:
        resp = api_error(ctx, fault.status, "REQUEST_FAILED", "injected fault", extra=extra)
    return EmulatorResponse(
        resp.status, resp.headers, resp.body, delay=fault.delay, endpoint=ctx.endpoint
    )


def _delayed(resp: EmulatorResponse, delay: float) -> EmulatorResponse:
    if not delay:
        return resp
    return EmulatorResponse(
        resp.status,
        resp.headers,
        resp.body,
        delay=delay,
        action=resp.action,
        endpoint=resp.endpoint,
    )


# --------------------------------------------------------------------------- auth host
def _issuer(ctx: _Ctx, env: Environment) -> str:
    return f"{ctx.base}/{env.id}/as"


def _canonical_issuer(env: Environment) -> str:
    return f"{env.region.auth_base_url}/{env.id}/as"


def _auth(emu: PingOneEmulator, ctx: _Ctx, env_id: str) -> EmulatorResponse:
    if ctx.endpoint == "token":
        emu._token_request_count += 1  # faulted requests count too
    faulted = _with_faults(emu, ctx)
    if isinstance(faulted, EmulatorResponse):
        return faulted
    delay = faulted or 0.0
    env = emu._world.environments.get(env_id)
    if env is None or (ctx.region is not None and env.region != ctx.region):
        where = f" in region {ctx.region.value}" if ctx.region is not None else ""
        return _delayed(
            api_error(ctx, 404, "NOT_FOUND", f"Environment {env_id} was not found{where}."), delay
        )
    if ctx.endpoint == "discovery":
        resp = (
            _json_body(200, _discovery(ctx, env), ctx) if ctx.method == "GET" else not_emulated(ctx)
        )
    elif ctx.endpoint == "jwks":
        resp = _json_body(200, emu._jwks(), ctx) if ctx.method == "GET" else not_emulated(ctx)
    elif ctx.method != "POST":
        resp = oauth_error(
            ctx, 405, "invalid_request", f"{ctx.endpoint} requires POST", {"Allow": "POST"}
        )
    elif ctx.endpoint == "token":
        resp = _token(emu, ctx, env)
    elif ctx.endpoint == "introspect":
        resp = _introspect(emu, ctx, env)
    else:
        resp = _revoke(emu, ctx, env)
    return _delayed(resp, delay)


def _discovery(ctx: _Ctx, env: Environment) -> dict[str, Any]:
    iss = _issuer(ctx, env)
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/authorize",
        "token_endpoint": f"{iss}/token",
        "jwks_uri": f"{iss}/jwks",
        "introspection_endpoint": f"{iss}/introspect",
        "revocation_endpoint": f"{iss}/revoke",
        "userinfo_endpoint": f"{iss}/userinfo",
        "end_session_endpoint": f"{iss}/signoff",
        "response_types_supported": ["code", "id_token", "token id_token", "code id_token"],
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "client_credentials",
            "refresh_token",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": [
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
        ],
        "scopes_supported": ["openid", "profile", "email", "address", "phone"],
        "claims_supported": ["sub", "iss", "auth_time", "acr", "name", "email"],
        "request_parameter_supported": True,
    }


def _form(ctx: _Ctx) -> dict[str, str] | None:
    ctype = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return None
    try:
        text = ctx.body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    form: dict[str, str] = {}
    for key, values in parse_qs(text, keep_blank_values=True).items():
        form[key] = values[0]
    return form


def _unverified_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        head, payload, _sig = token.split(".")
        header = json.loads(b64url_decode(head))
        claims = json.loads(b64url_decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def _authenticate(  # noqa: PLR0915 - one check per RFC 6749 §2.3 rule, in order
    emu: PingOneEmulator, ctx: _Ctx, env: Environment, form: dict[str, str]
) -> App | EmulatorResponse:
    """Client authentication on the token/introspect/revoke endpoints (RFC 6749 §2.3)."""
    presented: list[str] = []
    client_id: str | None = form.get("client_id")
    basic: tuple[str, str] | None = None
    auth_header = ctx.headers.get("authorization", "")
    if auth_header[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(auth_header[6:].strip(), validate=True).decode("utf-8")
            user, _, password = raw.partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return oauth_error(
                ctx,
                401,
                "invalid_client",
                "Malformed Basic authorization header",
                {"WWW-Authenticate": 'Basic realm="PingOne"'},
            )
        basic = (unquote_plus(user), unquote_plus(password))
        presented.append("client_secret_basic")
        if client_id is not None and client_id != basic[0]:
            return oauth_error(
                ctx,
                400,
                "invalid_request",
                "client_id in the body does not match the Authorization header",
            )
        client_id = basic[0]
    if "client_secret" in form:
        presented.append("client_secret_post")
    assertion = form.get("client_assertion")
    parsed: tuple[dict[str, Any], dict[str, Any]] | None = None
    if assertion is not None:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return oauth_error(
                ctx, 400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}"
            )
        parsed = _unverified_jwt(assertion)
        if parsed is None:
            return oauth_error(ctx, 401, "invalid_client", "client_assertion is not a JWT")
        alg = str(parsed[0].get("alg", ""))
        if alg in ("HS256", "HS384", "HS512"):
            presented.append("client_secret_jwt")
        elif alg in ("RS256", "RS384", "RS512"):
            presented.append("private_key_jwt")
        else:
            return oauth_error(
                ctx,
                401,
                "invalid_client",
                f"Unsupported client assertion algorithm {alg or 'none'!r}",
            )
        sub = parsed[1].get("sub")
        if client_id is None and isinstance(sub, str):
            client_id = sub
    if len(presented) > 1:
        return oauth_error(
            ctx,
            400,
            "invalid_request",
            f"More than one client authentication method was used ({', '.join(presented)})",
        )
    method = presented[0] if presented else "none"
    ctx.client_id = client_id
    ctx.auth_method = method
    if not client_id:
        return oauth_error(
            ctx,
            401,
            "invalid_client",
            "Client authentication is required",
            {"WWW-Authenticate": 'Basic realm="PingOne"'},
        )
    app = env.apps.get(client_id)
    if app is None:
        return oauth_error(ctx, 401, "invalid_client", "Client authentication failed")
    if method != app.auth_method and (emu.strict_auth or method == "none"):
        return oauth_error(ctx, 401, "invalid_client", "Unsupported authentication method")
    now = emu.clock.now()
    secrets = app.secrets(now)
    ok = False
    if basic is not None:
        ok = any(hmac.compare_digest(basic[1].encode(), s.encode()) for s in secrets)
    elif method == "client_secret_post":
        given = form.get("client_secret", "")
        ok = any(hmac.compare_digest(given.encode(), s.encode()) for s in secrets)
    elif assertion is not None and parsed is not None:
        problem = _check_assertion(
            emu, ctx, env, app, assertion=assertion, parsed=parsed, method=method, now=now
        )
        if problem is not None:
            return oauth_error(ctx, 401, "invalid_client", problem)
        ok = True
    if not ok:
        return oauth_error(
            ctx,
            401,
            "invalid_client",
            "Client authentication failed",
            {"WWW-Authenticate": 'Basic realm="PingOne"'}
            if method == "client_secret_basic"
            else None,
        )
    if not app.enabled:
        return oauth_error(ctx, 400, "unauthorized_client", "The application is disabled")
    return app


def _check_assertion(
    emu: PingOneEmulator,
    ctx: _Ctx,
    env: Environment,
    app: App,
    *,
    assertion: str,
    parsed: tuple[dict[str, Any], dict[str, Any]],
    method: str,
    now: float,
) -> str | None:
    """Why a client assertion is rejected, or ``None`` (PINGONE.md's rules)."""
    from jose import jws
    from jose.exceptions import JOSEError

    header, claims = parsed
    alg = str(header["alg"])
    keys: list[Any]
    if method == "client_secret_jwt":
        keys = list(app.secrets(now))
    else:
        jwks = (app.jwks or {}).get("keys", [])
        kid = header.get("kid")
        keys = [k for k in jwks if kid is None or k.get("kid") == kid]
        if not keys:
            return "No key of the application's JWKS matches the client assertion"
    for key in keys:
        try:
            jws.verify(assertion, key, algorithms=[alg])
            break
        except JOSEError:
            continue
    else:
        return "Client assertion signature is invalid"
    if claims.get("iss") != app.id or claims.get("sub") != app.id:
        return "Client assertion iss and sub must both be the client id"
    endpoint_url = f"{_issuer(ctx, env)}/{ctx.endpoint}"
    accepted = {
        _issuer(ctx, env),
        f"{_issuer(ctx, env)}/token",
        endpoint_url,
        _canonical_issuer(env),
        f"{_canonical_issuer(env)}/token",
        f"{_canonical_issuer(env)}/{ctx.endpoint}",
    }
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") in accepted for a in auds):
        return "Client assertion aud must be the token endpoint URL"
    leeway = emu.assertion_leeway
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return "Client assertion has no exp"
    if exp <= now - leeway:
        return "Client assertion has expired"
    if exp > now + 3600 + leeway:
        return "Client assertion exp is more than one hour ahead"
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + leeway):
        return "Client assertion is not valid yet (nbf)"
    return None


def _token(emu: PingOneEmulator, ctx: _Ctx, env: Environment) -> EmulatorResponse:
    form = _form(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    grant = form.get("grant_type")
    if not grant:
        return oauth_error(ctx, 400, "invalid_request", "grant_type is required")
    authed = _authenticate(emu, ctx, env, form)
    if isinstance(authed, EmulatorResponse):
        return authed
    app = authed
    if grant != "client_credentials":
        return oauth_error(
            ctx, 400, "unsupported_grant_type", "Only grant_type=client_credentials is emulated"
        )
    requested = [s for s in form.get("scope", "").split() if s]
    granted = [s for s in requested if s in app.scopes]
    if requested and not granted:
        return oauth_error(
            ctx,
            400,
            "invalid_scope",
            f"None of the requested scopes is granted to the application "
            f"({', '.join(sorted(set(requested) - app.scopes))})",
        )
    token, record = emu._issue(app, env, granted, _issuer(ctx, env))
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": record.exp - record.iat,
    }
    if granted:
        body["scope"] = " ".join(granted)
    return _json_body(200, body, ctx, extra={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _introspect(emu: PingOneEmulator, ctx: _Ctx, env: Environment) -> EmulatorResponse:
    form = _form(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    authed = _authenticate(emu, ctx, env, form)
    if isinstance(authed, EmulatorResponse):
        return authed
    token = form.get("token")
    if not token:
        return oauth_error(ctx, 400, "invalid_request", "token is required")
    record = emu._lookup_token(token)
    if record is None or not emu._is_active(record) or record.environment_id != env.id:
        return _json_body(200, {"active": False}, ctx)
    return _json_body(
        200,
        {
            "active": True,
            "client_id": record.client_id,
            "scope": record.scope,
            "token_type": "Bearer",
            "exp": record.exp,
            "iat": record.iat,
            "iss": record.issuer,
            "aud": record.audience,
            "jti": record.jti,
            "env": record.environment_id,
            "org": env.organization_id,
        },
        ctx,
    )


def _revoke(emu: PingOneEmulator, ctx: _Ctx, env: Environment) -> EmulatorResponse:
    """Revocation (RFC 7009), as PingOne answers it for client-credentials tokens.

    PingOne does not support revoking client-credentials access tokens. The emulator
    authenticates the client, then answers ``400 unsupported_token_type`` (RFC 7009 §2.2.1:
    "the authorization server does not support the revocation of the presented token type")
    for any access token it issued, and ``200`` with an empty body for tokens it does not
    know (RFC 7009 §2.2). The token stays valid either way.
    """
    form = _form(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    authed = _authenticate(emu, ctx, env, form)
    if isinstance(authed, EmulatorResponse):
        return authed
    token = form.get("token")
    if not token:
        return oauth_error(ctx, 400, "invalid_request", "token is required")
    if emu._lookup_token(token) is not None:
        return oauth_error(
            ctx,
            400,
            "unsupported_token_type",
            "Revocation of client credentials access tokens is not supported",
        )
    return EmulatorResponse(
        200,
        {"Correlation-Id": ctx.correlation_id, "Content-Length": "0"},
        b"",
        endpoint=ctx.endpoint,
    )


# --------------------------------------------------------------------------- API host
def _api(emu: PingOneEmulator, ctx: _Ctx) -> EmulatorResponse:
    ctx.endpoint = "api"
    match: re.Match[str] | None = None
    for pattern, resource in _API_ROUTES:
        match = pattern.match(ctx.path)
        if match is not None:
            ctx.resource = resource
            break
    if match is None or ctx.resource is None or ctx.method != "GET":
        return not_emulated(ctx)
    faulted = _with_faults(emu, ctx)
    if isinstance(faulted, EmulatorResponse):
        return faulted
    return _delayed(_api_call(emu, ctx, match.groupdict()), faulted or 0.0)


def _api_call(emu: PingOneEmulator, ctx: _Ctx, params: dict[str, str]) -> EmulatorResponse:
    world = emu._world
    auth = ctx.headers.get("authorization", "")
    bearer = "WWW-Authenticate"
    if auth[:7].lower() != "bearer " or not auth[7:].strip():
        return api_error(
            ctx,
            401,
            "ACCESS_FAILED",
            "The request could not be completed. You do not have access to this resource.",
            detail="INVALID_TOKEN",
            detail_message="Access token is missing",
            extra={bearer: 'Bearer realm="PingOne"'},
        )
    record = emu._lookup_token(auth[7:].strip())
    if record is None:
        return api_error(
            ctx,
            401,
            "ACCESS_FAILED",
            "The request could not be completed. You do not have access to this resource.",
            detail="INVALID_TOKEN",
            detail_message="Access token is invalid",
            extra={bearer: 'Bearer realm="PingOne", error="invalid_token"'},
        )
    if not emu._is_active(record):
        return api_error(
            ctx,
            401,
            "ACCESS_FAILED",
            "The request could not be completed. You do not have access to this resource.",
            detail="INVALID_TOKEN",
            detail_message="Access token expired",
            extra={bearer: 'Bearer realm="PingOne", error="invalid_token"'},
        )
    ctx.client_id = record.client_id
    token_env = world.environments.get(record.environment_id)
    if token_env is not None and (ctx.region is None or token_env.region == ctx.region):
        limited = emu._rate_limited(token_env.license_id)
        if limited is not None:
            return api_error(
                ctx,
                429,
                "REQUEST_LIMITED",
                "The request was rate limited. Try again later.",
                detail="LIMIT_EXCEEDED",
                inner={"retryAfter": limited},
                extra={"Retry-After": str(limited)},
            )
    app = world.find_app(record.client_id)
    resource = ctx.resource or ""
    denied = api_error(
        ctx,
        403,
        "ACCESS_FAILED",
        "The request could not be completed. You do not have access to this resource.",
        detail="INSUFFICIENT_PERMISSIONS",
        detail_message="The actor attempting to perform the request is not authorized.",
    )
    if app is None:
        return denied
    if resource == "roles":
        return _roles(emu, ctx, params)
    env_id = params.get("env")
    if env_id is None:  # GET /environments
        envs = [
            e
            for e in world.environments.values()
            if "environments" in _permissions(emu, app, e.id)
            and (ctx.region is None or e.region == ctx.region)
        ]
        return _collection(ctx, "environments", [_env_json(ctx, e) for e in envs])
    ctx.environment_id = env_id
    perms = _permissions(emu, app, env_id)
    if resource not in perms:
        return denied
    env = world.environments.get(env_id)
    if env is None or (ctx.region is not None and env.region != ctx.region):
        return _not_found(ctx, "environment", env_id)
    if resource == "environments":
        return _json_body(200, _env_json(ctx, env), ctx, content_type=_HAL)
    if resource == "applications":
        if "id" in params:
            target = env.apps.get(params["id"])
            if target is None:
                return _not_found(ctx, "application", params["id"])
            return _json_body(200, _links(ctx, target.to_json()), ctx, content_type=_HAL)
        items = [_links(ctx, a.to_json()) for a in env.apps.values()]
        return _collection(ctx, "applications", items)
    if resource == "roleAssignments":
        target = env.apps.get(params["app"])
        if target is None:
            return _not_found(ctx, "application", params["app"])
        items = [
            _links(ctx, ra.to_json(), f"{ctx.path.rstrip('/')}/{ra.id}")
            for ra in target.role_assignments
        ]
        return _collection(ctx, "roleAssignments", items)
    data: list[dict[str, Any]] = getattr(env, resource)
    if "id" in params:
        for item in data:
            if item["id"] == params["id"]:
                return _json_body(200, _links(ctx, dict(item)), ctx, content_type=_HAL)
        return _not_found(ctx, resource.rstrip("s"), params["id"])
    return _paged(ctx, resource, data)


def _permissions(emu: PingOneEmulator, app: App, env_id: str) -> frozenset[str]:
    world = emu._world
    target = world.environments.get(env_id)
    perms: set[str] = set()
    for ra in app.role_assignments:
        covers = (ra.scope_type == "ENVIRONMENT" and ra.scope_id == env_id) or (
            ra.scope_type == "ORGANIZATION"
            and (target is None or target.organization_id == ra.scope_id)
        )
        if covers:
            perms |= ROLE_PERMISSIONS.get(ra.role_name, frozenset())
    return frozenset(perms)


def _roles(emu: PingOneEmulator, ctx: _Ctx, params: dict[str, str]) -> EmulatorResponse:
    world = emu._world

    def role_json(name: str, rid: str) -> dict[str, Any]:
        return _links(
            ctx,
            {
                "id": rid,
                "name": name,
                "description": f"{name} (emulated)",
                "applicableTo": ["ENVIRONMENT", "ORGANIZATION"],
                "permissions": [
                    {"id": f"emulated:read:{p}"} for p in sorted(ROLE_PERMISSIONS[name])
                ],
            },
            f"{ctx.path.rstrip('/')}" if "id" in params else f"{ctx.path.rstrip('/')}/{rid}",
        )

    if "id" in params:
        name = world.role_name(params["id"])
        if name is None:
            return _not_found(ctx, "role", params["id"])
        return _json_body(200, role_json(name, params["id"]), ctx, content_type=_HAL)
    items = [role_json(n, rid) for n, rid in world.roles.items()]
    return _collection(ctx, "roles", items)


def _not_found(ctx: _Ctx, what: str, ident: str) -> EmulatorResponse:
    return api_error(ctx, 404, "NOT_FOUND", f"Unable to find {what} with id {ident!r}.")


def _links(ctx: _Ctx, item: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    href = f"{ctx.base}{path or ctx.path.rstrip('/')}"
    if path is None and "id" in item and not ctx.path.rstrip("/").endswith(str(item["id"])):
        href = f"{href}/{item['id']}"
    item["_links"] = {"self": {"href": href}}
    return item


def _env_json(ctx: _Ctx, env: Environment) -> dict[str, Any]:
    body = env.to_json()
    body["_links"] = {"self": {"href": f"{ctx.base}/v1/environments/{env.id}"}}
    return body


def _collection(
    ctx: _Ctx,
    name: str,
    items: list[dict[str, Any]],
    *,
    total: int | None = None,
    next_href: str | None = None,
) -> EmulatorResponse:
    self_href = f"{ctx.base}{ctx.path}" + (f"?{ctx.raw_query}" if ctx.raw_query else "")
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    body = {
        "_links": links,
        "_embedded": {name: items},
        "count": len(items) if total is None else total,
        "size": len(items),
    }
    return _json_body(200, body, ctx, content_type=_HAL)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, num = raw.partition(":")
    if prefix != "emu" or not num.isdigit():
        return None
    return int(num)


def _paged(ctx: _Ctx, resource: str, data: list[dict[str, Any]]) -> EmulatorResponse:
    limit_raw = ctx.param("limit")
    limit = 100
    if limit_raw is not None:
        if not limit_raw.strip().isdigit() or not 1 <= int(limit_raw) <= 1000:
            return api_error(
                ctx,
                400,
                "INVALID_DATA",
                "The request could not be completed.",
                detail="OUT_OF_RANGE",
                target="limit",
                detail_message="limit must be an integer from 1 to 1000",
            )
        limit = int(limit_raw)
    offset = 0
    cursor = ctx.param("cursor")
    if cursor is not None:
        decoded = _decode_cursor(cursor)
        if decoded is None:
            return api_error(
                ctx,
                400,
                "INVALID_DATA",
                "The request could not be completed.",
                detail="INVALID_VALUE",
                target="cursor",
                detail_message="cursor is not a cursor this server returned",
            )
        offset = decoded
    items = data
    flt = ctx.param("filter")
    if flt is not None:
        try:
            predicate = compile_filter(flt, FILTER_ATTRIBUTES[resource])
        except InvalidFilter as exc:
            return api_error(
                ctx,
                400,
                "INVALID_DATA",
                "The request could not be completed.",
                detail="INVALID_FILTER",
                target="filter",
                detail_message=f"Invalid filter: {exc}",
            )
        items = [i for i in data if predicate(i)]
    page = [_links(ctx, dict(i)) for i in items[offset : offset + limit]]
    next_href = None
    if offset + limit < len(items):
        query: dict[str, str] = {"limit": str(limit)}
        if flt is not None:
            query["filter"] = flt
        query["cursor"] = _encode_cursor(offset + limit)
        next_href = f"{ctx.base}{ctx.path}?{urlencode(query)}"
    return _collection(ctx, resource, page, total=len(items), next_href=next_href)


def token_hash(token: str) -> str:
    """Key of the issued-token registry: the emulator never stores tokens themselves."""
    return hashlib.sha256(token.encode()).hexdigest()


def record_active(record: IssuedToken, now: float) -> bool:
    """Whether an issued token is still accepted at ``now``."""
    return not record.expired and now < record.exp
