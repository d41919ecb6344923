"""The Management API host (``/v1/...``): route, authenticate the bearer token, apply the
rate limit and the role permissions, then hand the call to the resource module.

Resource modules: ``_api_config`` (environments, bill of materials, organization, licenses,
policies, resources), ``_api_roles`` (roles, role assignments), ``_api_apps``
(applications, secrets), ``_api_users``, ``_api_groups`` (groups, memberships),
``_api_populations``. A route or method not listed there answers 404 "not emulated".
"""

from __future__ import annotations

from . import _api_apps, _api_config, _api_groups, _api_populations, _api_roles, _api_users
from ._engine import Engine
from ._fault_answers import apply_fault, delayed, rate_limited
from ._http import Ctx, EmulatorResponse, api_error, not_emulated, not_found
from ._routes import Call, Handler, Route

__all__ = ["ROUTES", "handle_api"]

ROUTES: list[Route] = [
    *_api_config.ROUTES,
    *_api_roles.ROUTES,
    *_api_apps.ROUTES,
    *_api_users.ROUTES,
    *_api_groups.ROUTES,
    *_api_populations.ROUTES,
]
_NO_ACCESS = "The request could not be completed. You do not have access to this resource."


def handle_api(engine: Engine, ctx: Ctx) -> EmulatorResponse:
    """Answer one Management API request."""
    ctx.endpoint = "api"
    for candidate in ROUTES:
        match = candidate.pattern.match(ctx.path)
        if match is not None:
            break
    else:
        return not_emulated(ctx)
    ctx.resource = candidate.resource
    entry = candidate.methods.get(ctx.method)
    if entry is None:
        return not_emulated(ctx)
    faulted = apply_fault(engine, ctx)
    if isinstance(faulted, EmulatorResponse):
        return faulted
    return delayed(_call(engine, ctx, match.groupdict(), *entry), faulted)


def _unauthorized(ctx: Ctx, why: str, header: str) -> EmulatorResponse:
    return api_error(
        ctx,
        401,
        "ACCESS_FAILED",
        _NO_ACCESS,
        detail="INVALID_TOKEN",
        detail_message=why,
        extra={"WWW-Authenticate": header},
    )


def _denied(ctx: Ctx, permission: str) -> EmulatorResponse:
    return api_error(
        ctx,
        403,
        "ACCESS_FAILED",
        _NO_ACCESS,
        detail="INSUFFICIENT_PERMISSIONS",
        detail_message="The actor attempting to perform the request is not authorized "
        f"(it needs the {permission} permission).",
    )


def _call(
    engine: Engine, ctx: Ctx, params: dict[str, str], permission: str | None, handler: Handler
) -> EmulatorResponse:
    world = engine.world
    auth = ctx.headers.get("authorization", "")
    if auth[:7].lower() != "bearer " or not auth[7:].strip():
        return _unauthorized(ctx, "Access token is missing", 'Bearer realm="PingOne"')
    invalid = 'Bearer realm="PingOne", error="invalid_token"'
    record = engine.lookup_token(auth[7:].strip())
    if record is None:
        return _unauthorized(ctx, "Access token is invalid", invalid)
    if not engine.is_active(record):
        return _unauthorized(ctx, "Access token expired", invalid)
    ctx.client_id = record.client_id
    token_env = world.environments.get(record.environment_id)
    if token_env is not None and (ctx.region is None or token_env.region == ctx.region):
        limited = engine.rate_limited(token_env.license_id)
        if limited is not None:
            return rate_limited(
                ctx, engine.clock.now(), limited, "The request was rate limited. Try again later."
            )
    app = world.find_app(record.client_id)
    if app is None:
        return _denied(ctx, permission or "any")
    env_id = params.pop("env", None)
    if env_id is None:
        perms = engine.permissions(app, app.environment_id)
        if permission is not None and permission not in perms:
            return _denied(ctx, permission)
        return handler(Call(engine, ctx, app, params, None, perms))
    ctx.environment_id = env_id
    perms = engine.permissions(app, env_id)
    if permission is not None and permission not in perms:
        return _denied(ctx, permission)
    env = world.environments.get(env_id)
    if env is None or (ctx.region is not None and env.region != ctx.region):
        return not_found(ctx, "environment", env_id)
    return handler(Call(engine, ctx, app, params, env, perms))
