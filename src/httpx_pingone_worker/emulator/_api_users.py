"""Users: CRUD, ``enabled``, ``population`` and ``password`` sub-resources.

PingOne's rules (body checks in ``_user_body``): ``username`` is required and unique per
environment (case-insensitive; a clash is ``400 INVALID_DATA`` / ``UNIQUENESS_VIOLATION``
with ``innerError.existingId``), a user without ``population`` joins the environment's
default population; moving a user to another population removes it from the groups of its
old population. ``include=memberOfGroupIDs,memberOfGroupNames`` on a user read lists its
groups, direct and through nesting. ``POST`` takes ``application/json`` or
``application/vnd.pingidentity.user.import+json``; ``PUT`` replaces, ``PATCH`` merges.
Passwords are accepted (create with ``password.value``, or ``PUT …/password`` with
``application/vnd.pingidentity.password.set+json``) and never stored or returned: the
emulator keeps only the password state (``status``, ``lastChangedAt``).
"""

from __future__ import annotations

from typing import Any

from ._http import (
    HAL,
    JSON,
    Abort,
    Detail,
    EmulatorResponse,
    invalid_data,
    json_body,
    no_content,
    not_found,
    read_json,
)
from ._paging import item, paged
from ._routes import Call, Route, Validator, route, unique
from ._state import Environment
from ._user_body import (
    FIXED_ON_UPDATE,
    IMPORT_JSON,
    OBJECTS,
    PASSWORD_SET,
    fixed_on_update,
    validate_user,
)

__all__ = ["ROUTES", "group_ids_of", "user_or_404"]


def user_or_404(call: Call, user_id: str) -> dict[str, Any]:
    user = call.environment.users.get(user_id)
    if user is None:
        raise Abort(not_found(call.ctx, "user", user_id))
    return user


def group_ids_of(env: Environment, user_id: str) -> list[tuple[str, str]]:
    """``(group id, "DIRECT" | "INDIRECT")`` of every group the user is in: its direct
    groups, then the groups those are nested in (transitively, each once)."""
    direct = [g for g in env.memberships.get(user_id, []) if g in env.groups]
    out = [(g, "DIRECT") for g in direct]
    seen = set(direct)
    queue = list(direct)
    while queue:
        for parent in env.nesting.get(queue.pop(0), []):
            if parent not in seen and parent in env.groups:
                seen.add(parent)
                out.append((parent, "INDIRECT"))
                queue.append(parent)
    return out


def _view(call: Call, user: dict[str, Any]) -> dict[str, Any]:
    out = dict(user)
    include = {
        part.strip()
        for value in call.ctx.query.get("include", [])
        for part in value.split(",")
        if part.strip()
    }
    if include & {"memberOfGroupIDs", "memberOfGroupNames"}:
        env = call.environment
        groups = [g for g, _ in group_ids_of(env, user["id"])]
        if "memberOfGroupIDs" in include:
            out["memberOfGroupIDs"] = groups
        if "memberOfGroupNames" in include:
            out["memberOfGroupNames"] = [env.groups[g]["name"] for g in groups]
    return out


def _unique_username(call: Call, username: str | None, exclude: str | None) -> Detail | None:
    if username is None:
        return None
    existing = unique(call.environment.users, "username", username, exclude=exclude)
    if existing is None:
        return None
    return Detail(
        "UNIQUENESS_VIOLATION", "username must be unique", "username", {"existingId": existing}
    )


def _set_password(call: Call, user_id: str, password: dict[str, Any]) -> dict[str, Any]:
    force = password.get("forceChange") is True
    state = {"status": "MUST_CHANGE_PASSWORD" if force else "OK", "lastChangedAt": call.now()}
    call.environment.passwords[user_id] = state  # the value itself is dropped here
    return state


def _list(call: Call) -> EmulatorResponse:
    env = call.environment

    def with_groups(user: dict[str, Any]) -> dict[str, Any]:
        groups = group_ids_of(env, user["id"])
        return {**user, "memberOfGroups": [{"id": g} for g, _ in groups]}

    # Only a membership filter needs the (copied) view with memberOfGroups.
    needs_groups = "memberofgroups" in (call.ctx.param("filter") or "").lower()
    return paged(
        call.ctx,
        "users",
        env.users.values(),
        lambda u: call.env_path(f"/users/{u['id']}"),
        filter_view=with_groups if needs_groups else None,
        cap=call.engine.settings.page_sizes.get("users"),
    )


def _create(call: Call) -> EmulatorResponse:
    body = read_json(call.ctx, JSON, IMPORT_JSON)
    imported = call.ctx.content_type == IMPORT_JSON
    attrs, password, details = validate_user(
        call, body, partial=False, create=True, imported=imported
    )
    clash = _unique_username(call, attrs.get("username"), None)
    if clash is not None:
        details.append(clash)
    env = call.environment
    if "population" not in attrs and not details:
        default = env.default_population()
        if default is None:
            details.append(
                Detail(
                    "REQUIRED_VALUE",
                    "population.id is required: the environment has no default population",
                    "population.id",
                )
            )
        else:
            attrs["population"] = {"id": default["id"]}
    if details:
        return invalid_data(call.ctx, *details)
    for key in OBJECTS:
        if key in attrs:
            attrs[key] = {k: v for k, v in attrs[key].items() if v is not None}
            if not attrs[key]:
                del attrs[key]
    world = call.engine.world
    now = call.now()
    user: dict[str, Any] = {
        "id": world.new_id(),
        "environment": {"id": env.id},
        "enabled": attrs.pop("enabled", True),
        "lifecycle": attrs.pop("lifecycle", {"status": "ACCOUNT_OK"}),
        **attrs,
        "createdAt": now,
        "updatedAt": now,
    }
    env.users[user["id"]] = user
    world.count_user(env, user["population"]["id"], +1)
    if password is not None:
        _set_password(call, user["id"], password)
    return item(call.ctx, user, call.env_path(f"/users/{user['id']}"), status=201)


def _get(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    return item(call.ctx, _view(call, user), call.ctx.path)


def _update(call: Call, *, replace: bool) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    attrs, _, details = validate_user(call, body, partial=not replace, create=False)
    clash = _unique_username(call, attrs.get("username"), user["id"])
    if clash is not None:
        details.append(clash)
    details += fixed_on_update(user, attrs)
    if details:
        return invalid_data(call.ctx, *details)
    for key in FIXED_ON_UPDATE:
        attrs.pop(key, None)  # the same value as the user's: nothing to change
    if replace:
        kept: dict[str, Any] = {
            k: user[k]
            for k in (
                "id",
                "environment",
                "enabled",
                "lifecycle",
                "population",
                "mfaEnabled",
                "createdAt",
            )
            if k in user
        }
        user.clear()
        user.update(kept)
    for key, value in attrs.items():
        if value is None:
            user.pop(key, None)  # null clears the attribute (PUT and PATCH)
        elif key in OBJECTS:
            current = user.get(key)
            base: dict[str, Any] = current if not replace and isinstance(current, dict) else {}
            merged = {**base, **value}
            merged = {k: v for k, v in merged.items() if v is not None}
            if merged:
                user[key] = merged
            else:
                user.pop(key, None)
        else:
            user[key] = value
    user["updatedAt"] = call.now()
    return item(call.ctx, _view(call, user), call.ctx.path)


def _delete(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    call.engine.world.delete_user(call.environment, user["id"])
    return no_content(call.ctx)


def _sub(call: Call, user: dict[str, Any], body: dict[str, Any]) -> EmulatorResponse:
    body["_links"] = {
        "self": {"href": call.ctx.url(call.ctx.path)},
        "user": {"href": call.ctx.url(call.env_path(f"/users/{user['id']}"))},
    }
    return json_body(200, body, call.ctx, content_type=HAL)


def _enabled(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if call.ctx.method == "PUT":
        body = read_json(call.ctx)
        v = Validator(body)
        v.unknown({"enabled"}, {"_links"})
        flag = v.boolean("enabled", required=True)
        if v.details or flag is None:
            return invalid_data(call.ctx, *v.details)
        user["enabled"] = flag
        user["updatedAt"] = call.now()
    return _sub(call, user, {"enabled": user["enabled"]})


def _population(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if call.ctx.method == "PUT":
        body = read_json(call.ctx)
        v = Validator(body)
        v.unknown({"id"}, {"_links"})
        pop_id = v.string("id", required=True)
        if pop_id is not None and pop_id not in call.environment.populations:
            v.fail("INVALID_VALUE", "id", f"No population with id {pop_id!r}.")
        if v.details or pop_id is None:
            return invalid_data(call.ctx, *v.details)
        world = call.engine.world
        env = call.environment
        old_pop = user["population"]["id"]
        world.count_user(env, old_pop, -1)
        world.count_user(env, pop_id, +1)
        user["population"] = {"id": pop_id}
        if pop_id != old_pop:
            # PingOne: "If a user's population changes, they are also removed from any
            # group that contains them for this population" (Groups, "Creating groups").
            groups = env.memberships.get(user["id"], [])
            groups[:] = [
                g
                for g in groups
                if env.groups.get(g, {}).get("population", {}).get("id") != old_pop
            ]
        user["updatedAt"] = call.now()
    return _sub(call, user, {"id": user["population"]["id"]})


def _password(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    env = call.environment
    state = env.passwords.get(user["id"], {"status": "NO_PASSWORD"})
    if call.ctx.method == "PUT":
        body = read_json(call.ctx, PASSWORD_SET)
        v = Validator(body)
        v.unknown({"value", "forceChange"}, set())
        value = v.string("value", required=True)
        v.boolean("forceChange")
        if v.details or value is None:
            return invalid_data(call.ctx, *v.details)
        state = _set_password(call, user["id"], body)
    policy = next(iter(env.password_policies), None)
    out = {"environment": {"id": env.id}, "user": {"id": user["id"]}, **state}
    if policy is not None:
        out["passwordPolicy"] = {"id": policy}
    return _sub(call, user, out)


_U = "/environments/{env}/users"
ROUTES: list[Route] = [
    route(_U, "users", GET=_list, POST=_create),
    route(
        f"{_U}/{{id}}",
        "users",
        GET=_get,
        PUT=lambda c: _update(c, replace=True),
        PATCH=lambda c: _update(c, replace=False),
        DELETE=_delete,
    ),
    route(
        f"{_U}/{{id}}/enabled",
        "users",
        GET=_enabled,
        PUT=_enabled,
    ),
    route(
        f"{_U}/{{id}}/population",
        "users",
        GET=_population,
        PUT=_population,
    ),
    route(
        f"{_U}/{{id}}/password",
        "users",
        GET=_password,
        PUT=_password,
    ),
]
