"""Users: CRUD, ``enabled``, ``population`` and ``password`` sub-resources.

PingOne's rules: ``username`` and ``email`` are required (the spec's ``User`` schema),
``username`` is unique per environment (case-insensitive; a clash is ``400 INVALID_DATA`` /
``UNIQUENESS_VIOLATION`` with ``innerError.existingId``), a user without ``population``
joins the environment's default population. ``POST`` takes ``application/json`` or
``application/vnd.pingidentity.user.import+json``; ``PUT`` replaces, ``PATCH`` merges.
Passwords are accepted (create with ``password.value``, or ``PUT …/password`` with
``application/vnd.pingidentity.password.set+json``) and never stored or returned: the
emulator keeps only the password state (``status``, ``lastChangedAt``).
"""

from __future__ import annotations

import re
from typing import Any

from ._http import (
    HAL,
    JSON,
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

__all__ = ["ROUTES", "user_or_404"]

IMPORT_JSON = "application/vnd.pingidentity.user.import+json"
PASSWORD_SET = "application/vnd.pingidentity.password.set+json"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STRINGS = {
    "nickname",
    "title",
    "preferredLanguage",
    "locale",
    "timezone",
    "externalId",
    "mobilePhone",
    "primaryPhone",
    "type",
}
_NAME = {"given", "family", "middle", "formatted", "honorificPrefix", "honorificSuffix"}
_ADDRESS = {"streetAddress", "locality", "region", "postalCode", "countryCode"}
_WRITABLE = {
    "username",
    "email",
    "name",
    "address",
    "population",
    "password",
    "lifecycle",
    "enabled",
    "mfaEnabled",
    *_STRINGS,
}
_READ_ONLY = {
    "id",
    "environment",
    "createdAt",
    "updatedAt",
    "_links",
    "emailVerified",
    "lastSignOn",
    "memberOfGroupIDs",
    "memberOfGroupNames",
    "account",
    "identityProvider",
    "verifyStatus",
}
_LIFECYCLE = ("ACCOUNT_OK", "VERIFICATION_REQUIRED")


def user_or_404(call: Call, user_id: str) -> dict[str, Any] | EmulatorResponse:
    user = call.environment.users.get(user_id)
    return user if user is not None else not_found(call.ctx, "user", user_id)


def _view(call: Call, user: dict[str, Any]) -> dict[str, Any]:
    out = dict(user)
    if call.ctx.param("include") == "memberOfGroupIDs":
        out["memberOfGroupIDs"] = list(call.environment.memberships.get(user["id"], []))
    return out


def _validate(
    call: Call, body: dict[str, Any], *, partial: bool, create: bool
) -> tuple[dict[str, Any], dict[str, Any] | None, list[Detail]]:
    """Checked attributes, the password object (create only) and the details of errors."""
    v = Validator(body)
    v.unknown(_WRITABLE, _READ_ONLY)
    out: dict[str, Any] = {}
    username = v.string("username", required=not partial, max_len=128)
    if username is not None:
        out["username"] = username
    email = v.string("email", required=not partial)
    if email is not None:
        if _EMAIL.match(email):
            out["email"] = email
        else:
            v.fail("INVALID_VALUE", "email", "email must be a valid email address.")
    for key in sorted(_STRINGS & set(body)):
        value = v.string(key, required=False)
        if value is not None:
            out[key] = value
    for key, fields in (("name", _NAME), ("address", _ADDRESS)):
        sub = v.obj(key, fields)
        if sub is not None:
            out[key] = sub
    pop_id = v.reference("population")
    if pop_id is not None:
        if pop_id in call.environment.populations:
            out["population"] = {"id": pop_id}
        else:
            v.fail("INVALID_VALUE", "population.id", f"No population with id {pop_id!r}.")
    for key in ("enabled", "mfaEnabled"):
        flag = v.boolean(key)
        if flag is not None and (create or key == "mfaEnabled"):
            out[key] = flag
    lifecycle = body.get("lifecycle")
    if lifecycle is not None:
        status = lifecycle.get("status") if isinstance(lifecycle, dict) else None
        if status not in _LIFECYCLE:
            v.fail(
                "INVALID_VALUE",
                "lifecycle.status",
                f"lifecycle.status must be one of {_LIFECYCLE}.",
            )
        else:
            out["lifecycle"] = {"status": status}
    password = body.get("password")
    if password is not None and not create:
        v.fail("INVALID_VALUE", "password", "Set a password with PUT …/users/{id}/password.")
        password = None
    if password is not None and (
        not isinstance(password, dict) or not isinstance(password.get("value"), str)
    ):
        v.fail("INVALID_VALUE", "password.value", "password must be an object with a string value.")
        password = None
    return out, password, v.details


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
        groups = env.memberships.get(user["id"], [])
        return {**user, "memberOfGroups": [{"id": g} for g in groups]}

    # Only a membership filter needs the (copied) view with memberOfGroups.
    needs_groups = "memberofgroups" in (call.ctx.param("filter") or "").lower()
    return paged(
        call.ctx,
        "users",
        env.users.values(),
        lambda u: call.env_path(f"/users/{u['id']}"),
        filter_view=with_groups if needs_groups else None,
    )


def _create(call: Call) -> EmulatorResponse:
    body = read_json(call.ctx, JSON, IMPORT_JSON)
    if isinstance(body, EmulatorResponse):
        return body
    attrs, password, details = _validate(call, body, partial=False, create=True)
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
    if isinstance(user, EmulatorResponse):
        return user
    return item(call.ctx, _view(call, user), call.ctx.path)


def _update(call: Call, *, replace: bool) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
    body = read_json(call.ctx)
    if isinstance(body, EmulatorResponse):
        return body
    attrs, _, details = _validate(call, body, partial=not replace, create=False)
    clash = _unique_username(call, attrs.get("username"), user["id"])
    if clash is not None:
        details.append(clash)
    if details:
        return invalid_data(call.ctx, *details)
    env = call.environment
    old_pop = user["population"]["id"]
    if replace:
        kept: dict[str, Any] = {
            k: user[k]
            for k in ("id", "environment", "enabled", "lifecycle", "population", "createdAt")
            if k in user
        }
        user.clear()
        user.update(kept)
    for key, value in attrs.items():
        if key in ("name", "address") and not replace and isinstance(user.get(key), dict):
            user[key] = {**user[key], **value}
        else:
            user[key] = value
    user["updatedAt"] = call.now()
    if user["population"]["id"] != old_pop:
        call.engine.world.count_user(env, old_pop, -1)
        call.engine.world.count_user(env, user["population"]["id"], +1)
    return item(call.ctx, _view(call, user), call.ctx.path)


def _delete(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
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
    if isinstance(user, EmulatorResponse):
        return user
    if call.ctx.method == "PUT":
        body = read_json(call.ctx)
        if isinstance(body, EmulatorResponse):
            return body
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
    if isinstance(user, EmulatorResponse):
        return user
    if call.ctx.method == "PUT":
        body = read_json(call.ctx)
        if isinstance(body, EmulatorResponse):
            return body
        v = Validator(body)
        v.unknown({"id"}, {"_links"})
        pop_id = v.string("id", required=True)
        if pop_id is not None and pop_id not in call.environment.populations:
            v.fail("INVALID_VALUE", "id", f"No population with id {pop_id!r}.")
        if v.details or pop_id is None:
            return invalid_data(call.ctx, *v.details)
        world = call.engine.world
        world.count_user(call.environment, user["population"]["id"], -1)
        world.count_user(call.environment, pop_id, +1)
        user["population"] = {"id": pop_id}
        user["updatedAt"] = call.now()
    return _sub(call, user, {"id": user["population"]["id"]})


def _password(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
    env = call.environment
    state = env.passwords.get(user["id"], {"status": "NO_PASSWORD"})
    if call.ctx.method == "PUT":
        body = read_json(call.ctx, PASSWORD_SET)
        if isinstance(body, EmulatorResponse):
            return body
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
