"""Groups (CRUD, unique ``name``) and group memberships of users
(``/users/{id}/memberOfGroups[/{groupId}]``)."""

from __future__ import annotations

from typing import Any

from ._api_users import user_or_404
from ._http import (
    Detail,
    EmulatorResponse,
    invalid_data,
    no_content,
    not_found,
    read_json,
)
from ._paging import item, paged
from ._routes import Call, Route, Validator, route, unique

__all__ = ["ROUTES"]

_WRITABLE = {"name", "description", "externalId", "customData", "population"}
_READ_ONLY = {
    "id",
    "environment",
    "_links",
    "displayName",
    "sourceId",
    "sourceType",
    "directMemberCounts",
    "totalMemberCounts",
}


def _group_or_404(call: Call, group_id: str) -> dict[str, Any] | EmulatorResponse:
    group = call.environment.groups.get(group_id)
    return group if group is not None else not_found(call.ctx, "group", group_id)


def _validate(
    call: Call, body: dict[str, Any], exclude: str | None
) -> dict[str, Any] | EmulatorResponse:
    v = Validator(body)
    v.unknown(_WRITABLE, _READ_ONLY)
    out: dict[str, Any] = {}
    name = v.string("name", required=True)
    if name is not None:
        out["name"] = name
        existing = unique(call.environment.groups, "name", name, exclude=exclude)
        if existing is not None:
            v.fail("UNIQUENESS_VIOLATION", "name", "name must be unique", existingId=existing)
    for key in ("description", "externalId"):
        value = v.string(key, required=False, max_len=1024)
        if value is not None:
            out[key] = value
    custom = body.get("customData")
    if custom is not None:
        if isinstance(custom, dict):
            out["customData"] = custom
        else:
            v.fail("INVALID_VALUE", "customData", "customData must be an object.")
    pop_id = v.reference("population")
    if pop_id is not None:
        if pop_id in call.environment.populations:
            out["population"] = {"id": pop_id}
        else:
            v.fail("INVALID_VALUE", "population.id", f"No population with id {pop_id!r}.")
    if v.details:
        return invalid_data(call.ctx, *v.details)
    return out


def _list(call: Call) -> EmulatorResponse:
    return paged(
        call.ctx,
        "groups",
        call.environment.groups.values(),
        lambda g: call.env_path(f"/groups/{g['id']}"),
    )


def _create(call: Call) -> EmulatorResponse:
    body = read_json(call.ctx)
    if isinstance(body, EmulatorResponse):
        return body
    attrs = _validate(call, body, None)
    if isinstance(attrs, EmulatorResponse):
        return attrs
    env = call.environment
    group = {"id": call.engine.world.new_id(), "environment": {"id": env.id}, **attrs}
    env.groups[group["id"]] = group
    return item(call.ctx, group, call.env_path(f"/groups/{group['id']}"), status=201)


def _get(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    if isinstance(group, EmulatorResponse):
        return group
    return item(call.ctx, group, call.ctx.path)


def _replace(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    if isinstance(group, EmulatorResponse):
        return group
    body = read_json(call.ctx)
    if isinstance(body, EmulatorResponse):
        return body
    attrs = _validate(call, body, group["id"])
    if isinstance(attrs, EmulatorResponse):
        return attrs
    kept = {"id": group["id"], "environment": group["environment"]}
    group.clear()
    group.update(kept | attrs)
    return item(call.ctx, group, call.ctx.path)


def _delete(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    if isinstance(group, EmulatorResponse):
        return group
    call.engine.world.delete_group(call.environment, group["id"])
    return no_content(call.ctx)


# --------------------------------------------------------------------------- memberships
def _membership(call: Call, user_id: str, group: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": group["id"],
        "name": group["name"],
        "type": "DIRECT",
        "environment": {"id": call.environment.id},
        "_links": {
            "self": {
                "href": call.ctx.url(
                    call.env_path(f"/users/{user_id}/memberOfGroups/{group['id']}")
                )
            },
            "group": {"href": call.ctx.url(call.env_path(f"/groups/{group['id']}"))},
        },
    }


def _memberships(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
    env = call.environment
    items = [
        _membership(call, user["id"], env.groups[g])
        for g in env.memberships.get(user["id"], [])
        if g in env.groups
    ]
    return paged(
        call.ctx,
        "groupMemberships",
        items,
        lambda m: call.env_path(f"/users/{user['id']}/memberOfGroups/{m['id']}"),
    )


def _add(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
    body = read_json(call.ctx)
    if isinstance(body, EmulatorResponse):
        return body
    v = Validator(body)
    v.unknown({"id"}, {"_links", "type", "name", "environment"})
    group_id = v.string("id", required=True)
    env = call.environment
    groups = env.memberships.setdefault(user["id"], [])
    if group_id is not None and group_id not in env.groups:
        v.fail("INVALID_VALUE", "id", f"No group with id {group_id!r}.")
    elif group_id is not None and group_id in groups:
        v.details.append(
            Detail(
                "UNIQUENESS_VIOLATION",
                "The user is already a member of the group.",
                "id",
                {"existingId": group_id},
            )
        )
    if v.details or group_id is None:
        return invalid_data(call.ctx, *v.details)
    groups.append(group_id)
    out = _membership(call, user["id"], env.groups[group_id])
    return item(call.ctx, out, call.env_path(f"/users/{user['id']}/memberOfGroups/{group_id}"), 201)


def _one(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    if isinstance(user, EmulatorResponse):
        return user
    env = call.environment
    group_id = call.params["group"]
    groups = env.memberships.get(user["id"], [])
    if group_id not in groups or group_id not in env.groups:
        return not_found(call.ctx, "group membership", group_id)
    if call.ctx.method == "DELETE":
        groups.remove(group_id)
        return no_content(call.ctx)
    return item(call.ctx, _membership(call, user["id"], env.groups[group_id]), call.ctx.path)


_G = "/environments/{env}/groups"
_M = "/environments/{env}/users/{id}/memberOfGroups"
ROUTES: list[Route] = [
    route(_G, "groups", GET=_list, POST=_create),
    route(
        f"{_G}/{{id}}",
        "groups",
        GET=_get,
        PUT=_replace,
        DELETE=_delete,
    ),
    route(
        _M,
        "memberOfGroups",
        GET=_memberships,
        POST=_add,
    ),
    route(
        f"{_M}/{{group}}",
        "memberOfGroups",
        GET=_one,
        DELETE=_one,
    ),
]
