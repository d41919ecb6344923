"""The Management API host (``/v1/...``): route, authenticate the bearer token, apply the
rate limit and the role permissions, then hand the call to the resource module.

**Permissions.** Which permission each operation needs is decided here and only here, in
``OPERATION_PERMISSIONS`` (PingOne's permission ids; ``None``: any valid token). What
each role grants, and the two rules that depend on scopes as well (who may assign a role
where; who may see a worker app's secret), live in ``_roles``. An operation missing from
the table is refused (403), so a new route cannot be served unguarded.

Resource modules: ``_api_config`` (environments, bill of materials, organization, licenses,
policies, resources), ``_api_roles`` (roles, role assignments), ``_api_apps``
(applications, secrets), ``_api_users``, ``_api_groups`` (groups, memberships),
``_api_populations``. A route or method not listed there answers 404 "not emulated".
"""

from __future__ import annotations

import re

from . import _api_apps, _api_config, _api_groups, _api_populations, _api_roles, _api_users
from ._engine import EmulatorEngine
from ._fault_answers import apply_fault, rate_limited
from ._http import Ctx, EmulatorResponse, api_error, not_emulated, not_found
from ._routes import Call, Handler, Route, forbidden

__all__ = ["OPERATION_PERMISSIONS", "ROUTES", "handle_api"]

ROUTES: list[Route] = [
    *_api_config.ROUTES,
    *_api_roles.ROUTES,
    *_api_apps.ROUTES,
    *_api_users.ROUTES,
    *_api_groups.ROUTES,
    *_api_populations.ROUTES,
]
_NO_ACCESS = "The request could not be completed. You do not have access to this resource."

_E = "/environments/{env}"
_AR = f"{_E}/applications/{{app}}/roleAssignments"
_UR = f"{_E}/users/{{user}}/roleAssignments"
#: The permission each emulated operation needs (``"<METHOD> <path template>"``, path
#: parameters by any name). Ids as in PingOne's *Permissions by Identifier* reference and
#: the ``x-permission`` of its OpenAPI 3.1 spec; roles grant them in ``_roles``.
OPERATION_PERMISSIONS: dict[str, str | None] = {
    # organization and environments
    "GET /environments": "orgmgt:read:environment",
    f"GET {_E}": "orgmgt:read:environment",
    f"GET {_E}/billOfMaterials": "orgmgt:read:environment",
    "GET /organizations": "orgmgt:read:organization",
    "GET /organizations/{org}": "orgmgt:read:organization",
    "GET /organizations/{org}/licenses": "licensing:read:license",
    "GET /organizations/{org}/licenses/{id}": "licensing:read:license",
    # configuration
    f"GET {_E}/signOnPolicies": "authn:read:signOnPolicy",
    f"GET {_E}/signOnPolicies/{{id}}": "authn:read:signOnPolicy",
    f"GET {_E}/signOnPolicies/{{policy}}/actions": "authn:read:signOnPolicy",
    f"GET {_E}/signOnPolicies/{{policy}}/actions/{{id}}": "authn:read:signOnPolicy",
    f"GET {_E}/passwordPolicies": "dir:read:passwordPolicy",
    f"GET {_E}/passwordPolicies/{{id}}": "dir:read:passwordPolicy",
    f"GET {_E}/resources": "resources:read:resource",
    f"GET {_E}/resources/{{id}}": "resources:read:resource",
    f"GET {_E}/resources/{{resource}}/scopes": "resources:read:scope",
    f"GET {_E}/resources/{{resource}}/scopes/{{id}}": "resources:read:scope",
    # roles and role assignments (who may assign which role where: _roles.may_assign)
    "GET /roles": None,
    "GET /roles/{id}": None,
    f"GET {_AR}": "permissions:read:applicationRoleAssignments",
    f"POST {_AR}": "permissions:create:applicationRoleAssignments",
    f"GET {_AR}/{{id}}": "permissions:read:applicationRoleAssignments",
    f"DELETE {_AR}/{{id}}": "permissions:delete:applicationRoleAssignments",
    f"GET {_UR}": "permissions:read:userRoleAssignments",
    f"POST {_UR}": "permissions:create:userRoleAssignments",
    f"GET {_UR}/{{id}}": "permissions:read:userRoleAssignments",
    f"DELETE {_UR}/{{id}}": "permissions:delete:userRoleAssignments",
    # applications and their secret (a more privileged worker's: _roles.may_manage_secret)
    f"GET {_E}/applications": "applications:read:application",
    f"GET {_E}/applications/{{id}}": "applications:read:application",
    f"PUT {_E}/applications/{{id}}": "applications:update:application",
    f"GET {_E}/applications/{{id}}/secret": "applications:read:secret",
    f"POST {_E}/applications/{{id}}/secret": "applications:update:secret",
    # identity data
    f"GET {_E}/users": "dir:read:user",
    f"POST {_E}/users": "dir:create:user",
    f"GET {_E}/users/{{id}}": "dir:read:user",
    f"PUT {_E}/users/{{id}}": "dir:update:user",
    f"PATCH {_E}/users/{{id}}": "dir:update:user",
    f"DELETE {_E}/users/{{id}}": "dir:delete:user",
    f"GET {_E}/users/{{id}}/enabled": "dir:read:user",
    f"PUT {_E}/users/{{id}}/enabled": "dir:update:user",
    f"GET {_E}/users/{{id}}/population": "dir:read:user",
    f"PUT {_E}/users/{{id}}/population": "dir:update:user",
    f"GET {_E}/users/{{id}}/password": "dir:read:userPassword",
    f"PUT {_E}/users/{{id}}/password": "dir:set:userPassword",
    f"GET {_E}/users/{{id}}/memberOfGroups": "dir:read:groupMembership",
    f"POST {_E}/users/{{id}}/memberOfGroups": "dir:create:groupMembership",
    f"GET {_E}/users/{{id}}/memberOfGroups/{{group}}": "dir:read:groupMembership",
    f"DELETE {_E}/users/{{id}}/memberOfGroups/{{group}}": "dir:delete:groupMembership",
    f"GET {_E}/groups": "dir:read:group",
    f"POST {_E}/groups": "dir:create:group",
    f"GET {_E}/groups/{{id}}": "dir:read:group",
    f"PUT {_E}/groups/{{id}}": "dir:update:group",
    f"DELETE {_E}/groups/{{id}}": "dir:delete:group",
    # Group nesting: the spec gives these operations no x-permission; nesting changes the
    # group, so it takes the group permissions (an inference, noted in DECISIONS.md).
    f"GET {_E}/groups/{{id}}/memberOfGroups": "dir:read:group",
    f"POST {_E}/groups/{{id}}/memberOfGroups": "dir:update:group",
    f"GET {_E}/groups/{{id}}/memberOfGroups/{{parent}}": "dir:read:group",
    f"DELETE {_E}/groups/{{id}}/memberOfGroups/{{parent}}": "dir:update:group",
    f"GET {_E}/populations": "dir:read:population",
    f"POST {_E}/populations": "dir:create:population",
    f"GET {_E}/populations/{{id}}": "dir:read:population",
    f"PUT {_E}/populations/{{id}}": "dir:update:population",
    f"DELETE {_E}/populations/{{id}}": "dir:delete:population",
}
_PARAM = re.compile(r"\{\w+\}")
_UNLISTED = "(an operation with no permission entry)"


def _key(method: str, template: str) -> str:
    return f"{method} {_PARAM.sub('{}', template)}"


_PERMISSION_OF: dict[str, str | None] = {
    _key(*op.split(" ", 1)): perm for op, perm in OPERATION_PERMISSIONS.items()
}


def permission_of(method: str, route: Route) -> str | None:
    """The permission ``method`` on ``route`` needs; an unlisted operation needs one no
    role grants."""
    return _PERMISSION_OF.get(_key(method, route.template), _UNLISTED)


def handle_api(engine: EmulatorEngine, ctx: Ctx) -> EmulatorResponse:
    """Answer one Management API request."""
    ctx.endpoint = "api"
    for candidate in ROUTES:
        match = candidate.pattern.match(ctx.path)
        if match is not None:
            break
    else:
        return not_emulated(ctx)
    ctx.resource = candidate.resource
    handler = candidate.methods.get(ctx.method)
    if handler is None:
        return not_emulated(ctx)
    apply_fault(engine, ctx)
    permission = permission_of(ctx.method, candidate)
    return _call(engine, ctx, match.groupdict(), permission, handler)


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
    return forbidden(
        ctx,
        "The actor attempting to perform the request is not authorized "
        f"(it needs the {permission} permission).",
    )


def _call(
    engine: EmulatorEngine,
    ctx: Ctx,
    params: dict[str, str],
    permission: str | None,
    handler: Handler,
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
