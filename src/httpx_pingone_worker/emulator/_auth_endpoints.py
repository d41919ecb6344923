"""The auth host: OIDC discovery, JWKS, token, introspection and revocation.

Routes ``/<envId>/as/<endpoint>``. The host picks the region (``auth.pingone.eu`` serves only
EU environments; a loopback host serves every environment). Issuer URLs follow the host the
request came in on, as a server behind a custom domain does.
"""

from __future__ import annotations

from typing import Any

from ._auth_client import authenticate, form_body, issuer_url
from ._engine import EmulatorEngine
from ._fault_answers import apply_fault
from ._http import Ctx, EmulatorResponse, api_error, json_body, not_emulated, oauth_error
from ._state import Environment

__all__ = ["AUTH_ENDPOINTS", "handle_auth"]

#: Path suffix below ``/<envId>/as/`` -> endpoint name (fault and log name).
AUTH_ENDPOINTS = {
    "token": "token",
    "jwks": "jwks",
    "introspect": "introspect",
    "revoke": "revoke",
    ".well-known/openid-configuration": "discovery",
}


def handle_auth(engine: EmulatorEngine, ctx: Ctx, env_id: str) -> EmulatorResponse:
    """Answer one auth-host request for environment ``env_id``."""
    if ctx.endpoint == "token":
        engine.token_request_count += 1  # faulted requests count too
    apply_fault(engine, ctx)
    env = engine.world.environments.get(env_id)
    if env is None or (ctx.region is not None and env.region != ctx.region):
        where = f" in region {ctx.region.value}" if ctx.region is not None else ""
        return api_error(ctx, 404, "NOT_FOUND", f"Environment {env_id} was not found{where}.")
    if ctx.endpoint == "discovery":
        return (
            json_body(200, _discovery(ctx, env), ctx) if ctx.method == "GET" else not_emulated(ctx)
        )
    if ctx.endpoint == "jwks":
        return json_body(200, engine.jwks(), ctx) if ctx.method == "GET" else not_emulated(ctx)
    if ctx.method != "POST":
        return oauth_error(
            ctx, 405, "invalid_request", f"{ctx.endpoint} requires POST", {"Allow": "POST"}
        )
    if ctx.endpoint == "token":
        return _token(engine, ctx, env)
    if ctx.endpoint == "introspect":
        return _introspect(engine, ctx, env)
    return _revoke(engine, ctx, env)


#: Signing algorithms of client assertions the emulator verifies (HS* for
#: ``client_secret_jwt``, RS* for ``private_key_jwt``).
_ASSERTION_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"]


def _discovery(ctx: Ctx, env: Environment) -> dict[str, Any]:
    """PingOne's discovery keys, and only the grant the emulator implements.

    ``authorization_endpoint`` is listed, as PingOne lists it (OpenID Connect Discovery 1.0
    §3 makes it REQUIRED, and the document advertises response types that use it), though
    the emulator does not serve it (a request there answers ``404``). Every endpoint that
    accepts ``client_secret_jwt`` or ``private_key_jwt`` also lists its
    ``*_auth_signing_alg_values_supported`` (RFC 8414 §2: "This metadata entry MUST be
    present if either of these authentication methods are specified").
    """
    iss = issuer_url(ctx, env)
    auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
    ]
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/authorize",
        "token_endpoint": f"{iss}/token",
        "jwks_uri": f"{iss}/jwks",
        "introspection_endpoint": f"{iss}/introspect",
        "revocation_endpoint": f"{iss}/revoke",
        "claims_parameter_supported": False,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "require_pushed_authorization_requests": False,
        "scopes_supported": ["openid", "profile", "email", "address", "phone"],
        "response_types_supported": ["code", "id_token", "token id_token", "code id_token"],
        "response_modes_supported": ["pi.flow", "query", "fragment", "form_post"],
        "grant_types_supported": ["client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "request_object_signing_alg_values_supported": ["none", "HS256", "RS256"],
        "token_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "token_endpoint_auth_signing_alg_values_supported": list(_ASSERTION_ALGS),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": list(_ASSERTION_ALGS),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": list(_ASSERTION_ALGS),
        "claim_types_supported": ["normal"],
        "claims_supported": ["sub", "iss", "auth_time", "acr", "name", "email"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }


def _token(engine: EmulatorEngine, ctx: Ctx, env: Environment) -> EmulatorResponse:
    form = form_body(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    grant = form.get("grant_type")
    if not grant:
        return oauth_error(ctx, 400, "invalid_request", "grant_type is required")
    app = authenticate(engine, ctx, env, form)
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
    token, record = engine.issue(app, env, granted, issuer_url(ctx, env))
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": record.exp - record.iat,
    }
    if granted:
        body["scope"] = " ".join(granted)
    return json_body(200, body, ctx, extra={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _introspect(engine: EmulatorEngine, ctx: Ctx, env: Environment) -> EmulatorResponse:
    form = form_body(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    authenticate(engine, ctx, env, form)
    token = form.get("token")
    if not token:
        return oauth_error(ctx, 400, "invalid_request", "token is required")
    record = engine.lookup_token(token)
    if record is None or not engine.is_active(record) or record.environment_id != env.id:
        return json_body(200, {"active": False}, ctx)
    return json_body(
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


def _revoke(engine: EmulatorEngine, ctx: Ctx, env: Environment) -> EmulatorResponse:
    """Revocation (RFC 7009), as PingOne answers it for client-credentials tokens.

    PingOne does not support revoking client-credentials access tokens. The emulator
    authenticates the client, then answers ``400 unsupported_token_type`` (RFC 7009 §2.2.1:
    "the authorization server does not support the revocation of the presented token type")
    for any access token it issued, and ``200`` with an empty body for tokens it does not
    know (RFC 7009 §2.2). The token stays valid either way.
    """
    form = form_body(ctx)
    if form is None:
        return oauth_error(
            ctx, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    authenticate(engine, ctx, env, form)
    token = form.get("token")
    if not token:
        return oauth_error(ctx, 400, "invalid_request", "token is required")
    if engine.lookup_token(token) is not None:
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
