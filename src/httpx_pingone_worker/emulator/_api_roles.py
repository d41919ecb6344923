"""Roles (``/roles``) and role assignments of applications and users.

An assignment names a role and a scope (``ORGANIZATION``, ``ENVIRONMENT``, ``POPULATION``
or ``APPLICATION``) the role applies to. The emulator checks, as PingOne does:

1. the body: the role exists; the scope type is one the role can be assigned at (else
   ``400 INVALID_DATA`` / ``INVALID_VALUE`` with target ``scope``); the scope exists;
2. the actor: it may assign the role at that scope, holding at the same or a broader scope
   the role itself or a role that can assign it (``_roles.may_assign``; else ``403``);
   removing an assignment takes the same right;
3. duplicates: the holder has no assignment of the role at the same or a broader scope
   (else ``400 INVALID_DATA`` / ``UNIQUENESS_VIOLATION`` "May not assign duplicate Role",
   target ``role``).

Environment and organization scopes change what the holder's tokens may do at once;
population and application scopes are stored and listed but do not widen the permission
check.
"""

from __future__ import annotations

from typing import Any

from ._http import Abort, Detail, EmulatorResponse, invalid_data, no_content, not_found, read_json
from ._paging import collection, item, with_links
from ._roles import APPLICABLE_TO, ROLE_PERMISSION_IDS, may_assign, scope_chain
from ._routes import Call, Route, Validator, forbidden, route
from ._state import RoleAssignment

__all__ = ["APPLICABLE_TO", "ROUTES", "role_json"]

_ALL_SCOPES = ("ORGANIZATION", "ENVIRONMENT", "POPULATION", "APPLICATION")


def role_json(name: str, role_id: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "description": f"{name} (emulated)",
        "applicableTo": list(APPLICABLE_TO.get(name, ("ENVIRONMENT",))),
        "permissions": [{"id": p} for p in sorted(ROLE_PERMISSION_IDS.get(name, ()))],
    }


def _roles(call: Call) -> EmulatorResponse:
    world = call.engine.world
    if "id" in call.params:
        name = world.role_name(call.params["id"])
        if name is None:
            return not_found(call.ctx, "role", call.params["id"])
        return item(call.ctx, role_json(name, call.params["id"]), call.ctx.path)
    items = [
        with_links(call.ctx, role_json(n, rid), f"/v1/roles/{rid}")
        for n, rid in world.roles.items()
    ]
    return collection(call.ctx, "roles", items)


def _holder(call: Call) -> tuple[list[RoleAssignment], str]:
    """The role assignment list of the app or user in the path, and its path."""
    env = call.environment
    if "app" in call.params:
        app = env.apps.get(call.params["app"])
        if app is None:
            raise Abort(not_found(call.ctx, "application", call.params["app"]))
        return app.role_assignments, call.env_path(f"/applications/{app.id}/roleAssignments")
    user_id = call.params["user"]
    if user_id not in env.users:
        raise Abort(not_found(call.ctx, "user", user_id))
    # Only a write makes the entry: a read leaves the directory as it was (cheap resets).
    if call.ctx.method == "POST":
        held = env.user_roles.setdefault(user_id, [])
    else:
        held = env.user_roles.get(user_id, [])
    return held, call.env_path(f"/users/{user_id}/roleAssignments")


def _scope_exists(call: Call, scope_type: str, scope_id: str) -> bool:
    env, world = call.environment, call.engine.world
    if scope_type == "ORGANIZATION":
        return scope_id == world.organization_id
    if scope_type == "ENVIRONMENT":
        return scope_id in world.environments
    if scope_type == "POPULATION":
        return scope_id in env.populations
    return scope_id in env.apps


def _validate(call: Call, body: dict[str, Any], held: list[RoleAssignment]) -> RoleAssignment:
    v = Validator(body)
    v.unknown({"role", "scope"}, {"_links", "id", "environment", "readOnly"})
    role_id = v.reference("role", required=True)
    role_name = call.engine.world.role_name(role_id) if role_id else None
    if role_id is not None and role_name is None:
        v.fail("INVALID_VALUE", "role.id", f"No role with id {role_id!r}.")
    scope = body.get("scope")
    scope_id = scope.get("id") if isinstance(scope, dict) else None
    scope_type = scope.get("type") if isinstance(scope, dict) else None
    if not isinstance(scope_id, str) or not scope_id:
        v.fail("REQUIRED_VALUE", "scope.id", "scope.id is required.")
    if scope_type not in _ALL_SCOPES:
        v.fail(
            "INVALID_VALUE",
            "scope.type",
            "scope.type is not a scope type.",
            allowedValues=list(_ALL_SCOPES),
        )
    elif role_name is not None and scope_type not in APPLICABLE_TO.get(role_name, ()):
        v.fail(
            "INVALID_VALUE",
            "scope",
            f"The role {role_name} cannot be assigned at {scope_type} scope.",
            allowedValues=list(APPLICABLE_TO[role_name]),
        )
    elif isinstance(scope_id, str) and scope_id and not _scope_exists(call, scope_type, scope_id):
        v.fail("INVALID_VALUE", "scope.id", f"No {str(scope_type).lower()} with id {scope_id!r}.")
    if v.details or role_id is None or role_name is None:
        raise Abort(invalid_data(call.ctx, *v.details))
    assert isinstance(scope_id, str)  # noqa: S101 - checked above
    assert isinstance(scope_type, str)  # noqa: S101
    _check_may_assign(call, role_name, scope_type, scope_id)
    chain = scope_chain(call.engine.world, scope_type, scope_id)
    for ra in held:
        if ra.role_id == role_id and (ra.scope_type, ra.scope_id) in chain:
            duplicate = Detail(
                "UNIQUENESS_VIOLATION",
                "May not assign duplicate Role",
                "role",
                {"existingId": ra.id},
            )
            raise Abort(invalid_data(call.ctx, duplicate))
    return RoleAssignment(
        id=call.engine.world.new_id(),
        role_id=role_id,
        role_name=role_name,
        scope_type=scope_type,
        scope_id=scope_id,
        environment_id=call.environment.id,
    )


def _check_may_assign(call: Call, role_name: str, scope_type: str, scope_id: str) -> None:
    """Raise the 403 for an actor that may not assign (or remove) ``role_name`` at that
    scope."""
    if may_assign(call.engine.world, call.app.role_assignments, role_name, scope_type, scope_id):
        return
    raise Abort(
        forbidden(
            call.ctx,
            f"The actor attempting to perform the request may not assign the role {role_name} "
            f"at {scope_type} scope (it can assign only roles it holds or its roles can assign, "
            "at the scope it holds them or a narrower one).",
        )
    )


def _assignments(call: Call) -> EmulatorResponse:
    held, base = _holder(call)
    if call.ctx.method == "POST":
        body = read_json(call.ctx)
        new = _validate(call, body, held)
        held.append(new)
        return item(call.ctx, new.to_json(), f"{base}/{new.id}", status=201)
    items = [with_links(call.ctx, ra.to_json(), f"{base}/{ra.id}") for ra in held]
    return collection(call.ctx, "roleAssignments", items)


def _assignment(call: Call) -> EmulatorResponse:
    held, _ = _holder(call)
    for ra in held:
        if ra.id == call.params["id"]:
            if call.ctx.method == "DELETE":
                _check_may_assign(call, ra.role_name, ra.scope_type, ra.scope_id)
                if ra.read_only:
                    return invalid_data(
                        call.ctx,
                        Detail("CONSTRAINT_VIOLATION", "This role assignment is read-only.", "id"),
                    )
                held.remove(ra)
                return no_content(call.ctx)
            return item(call.ctx, ra.to_json(), call.ctx.path)
    return not_found(call.ctx, "role assignment", call.params["id"])


_AR = "/environments/{env}/applications/{app}/roleAssignments"
_UR = "/environments/{env}/users/{user}/roleAssignments"
ROUTES: list[Route] = [
    route("/roles", "roles", GET=_roles),
    route("/roles/{id}", "roles", GET=_roles),
    route(
        _AR,
        "roleAssignments",
        GET=_assignments,
        POST=_assignments,
    ),
    route(
        f"{_AR}/{{id}}",
        "roleAssignments",
        GET=_assignment,
        DELETE=_assignment,
    ),
    route(
        _UR,
        "roleAssignments",
        GET=_assignments,
        POST=_assignments,
    ),
    route(
        f"{_UR}/{{id}}",
        "roleAssignments",
        GET=_assignment,
        DELETE=_assignment,
    ),
]
