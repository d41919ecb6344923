"""Client authentication on the auth host's token, introspect and revoke endpoints
(RFC 6749 §2.3, RFC 7523): secrets (Basic or POST) and client assertions, enforced per app."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any, NoReturn
from urllib.parse import parse_qs, unquote_plus

from httpx_pingone_worker._core._input import BadJSON, parse_json

from ._engine import EmulatorEngine
from ._http import Abort, Ctx, oauth_error
from ._keys import b64url_decode
from ._state import App, Environment

__all__ = ["ASSERTION_TYPE", "authenticate", "canonical_issuer", "form_body", "issuer_url"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def issuer_url(ctx: Ctx, env: Environment) -> str:
    """The issuer on the host the request came in on."""
    return f"{ctx.base}/{env.id}/as"


def canonical_issuer(env: Environment) -> str:
    """The issuer on PingOne's own auth host."""
    return f"{env.region.auth_base_url}/{env.id}/as"


def form_body(ctx: Ctx) -> dict[str, str] | None:
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
        header = parse_json(b64url_decode(head))
        claims = parse_json(b64url_decode(payload))
    except (ValueError, binascii.Error, BadJSON):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


_BASIC_CHALLENGE = 'Basic realm="PingOne"'


def _reject(
    ctx: Ctx, status: int, error: str, description: str, extra: dict[str, str] | None = None
) -> NoReturn:
    """Refuse the client: raise ``Abort`` with the RFC 6749 §5.2 error.

    Every ``401`` to a client that authenticated with HTTP Basic carries
    ``WWW-Authenticate: Basic`` (RFC 6749 §5.2: "MUST ... include the WWW-Authenticate
    response header field matching the authentication scheme used by the client").
    """
    headers = dict(extra or {})
    if (
        status == 401
        and ctx.headers.get("authorization", "")[:6].lower() == "basic "
        and not any(name.lower() == "www-authenticate" for name in headers)
    ):
        headers["WWW-Authenticate"] = _BASIC_CHALLENGE
    raise Abort(oauth_error(ctx, status, error, description, headers))


def authenticate(  # noqa: PLR0915 - one check per RFC 6749 §2.3 rule, in order
    engine: EmulatorEngine, ctx: Ctx, env: Environment, form: dict[str, str]
) -> App:
    """Client authentication on the token/introspect/revoke endpoints (RFC 6749 §2.3): the
    app, or ``Abort`` with the error (``_reject``)."""
    presented: list[str] = []
    client_id: str | None = form.get("client_id")
    basic: tuple[str, str] | None = None
    auth_header = ctx.headers.get("authorization", "")
    if auth_header[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(auth_header[6:].strip(), validate=True).decode("utf-8")
            user, _, password = raw.partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            _reject(
                ctx,
                401,
                "invalid_client",
                "Malformed Basic authorization header",
                {"WWW-Authenticate": _BASIC_CHALLENGE},
            )
        basic = (unquote_plus(user), unquote_plus(password))
        presented.append("client_secret_basic")
        if client_id is not None and client_id != basic[0]:
            _reject(
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
            _reject(ctx, 400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        parsed = _unverified_jwt(assertion)
        if parsed is None:
            _reject(ctx, 401, "invalid_client", "client_assertion is not a JWT")
        alg = str(parsed[0].get("alg", ""))
        if alg in ("HS256", "HS384", "HS512"):
            presented.append("client_secret_jwt")
        elif alg in ("RS256", "RS384", "RS512"):
            presented.append("private_key_jwt")
        else:
            _reject(
                ctx,
                401,
                "invalid_client",
                f"Unsupported client assertion algorithm {alg or 'none'!r}",
            )
        sub = parsed[1].get("sub")
        if client_id is None and isinstance(sub, str):
            client_id = sub
    if len(presented) > 1:
        _reject(
            ctx,
            400,
            "invalid_request",
            f"More than one client authentication method was used ({', '.join(presented)})",
        )
    method = presented[0] if presented else "none"
    ctx.client_id = client_id
    ctx.auth_method = method
    if not client_id:
        _reject(
            ctx,
            401,
            "invalid_client",
            "Client authentication is required",
            {"WWW-Authenticate": _BASIC_CHALLENGE},
        )
    app = env.apps.get(client_id)
    if app is None:
        _reject(ctx, 401, "invalid_client", "Client authentication failed")
    if method != app.auth_method and (engine.settings.strict_auth or method == "none"):
        _reject(ctx, 401, "invalid_client", "Unsupported authentication method")
    now = engine.clock.now()
    secrets = app.secrets(now)
    ok = False
    if basic is not None:
        ok = any(hmac.compare_digest(basic[1].encode(), s.encode()) for s in secrets)
    elif method == "client_secret_post":
        given = form.get("client_secret", "")
        ok = any(hmac.compare_digest(given.encode(), s.encode()) for s in secrets)
    elif assertion is not None and parsed is not None:
        problem = _check_assertion(
            engine, ctx, env, app, assertion=assertion, parsed=parsed, method=method, now=now
        )
        if problem is not None:
            _reject(ctx, 401, "invalid_client", problem)
        ok = True
    if not ok:
        _reject(ctx, 401, "invalid_client", "Client authentication failed")
    if not app.enabled:
        _reject(ctx, 400, "unauthorized_client", "The application is disabled")
    return app


def _check_assertion(
    engine: EmulatorEngine,
    ctx: Ctx,
    env: Environment,
    app: App,
    *,
    assertion: str,
    parsed: tuple[dict[str, Any], dict[str, Any]],
    method: str,
    now: float,
) -> str | None:
    """Why a client assertion is rejected, or ``None`` (the rules PingOne documents)."""
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
    endpoint_url = f"{issuer_url(ctx, env)}/{ctx.endpoint}"
    accepted = {
        issuer_url(ctx, env),
        f"{issuer_url(ctx, env)}/token",
        endpoint_url,
        canonical_issuer(env),
        f"{canonical_issuer(env)}/token",
        f"{canonical_issuer(env)}/{ctx.endpoint}",
    }
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") in accepted for a in auds):
        return "Client assertion aud must be the token endpoint URL"
    leeway = engine.settings.assertion_leeway
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
